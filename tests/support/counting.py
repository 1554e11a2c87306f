"""What the tracker costs, counted from outside: AWS calls and DynamoDB items read.

Both hook botocore's events on the clients the library uses, so production
code carries no counters. ``before-call`` fires once per API call (a
paginator's page is a call; a retry of the same call is not), which is what
AWS bills and throttles; ``after-call`` sees each response, whose
``ScannedCount`` (Query) or returned items (GetItem, BatchGetItem) are the
items DynamoDB read.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SERVICES = ("dynamodb", "ssm", "sts", "ecs", "cloudwatch")
_READ_PREFIXES = ("Get", "BatchGet", "Query", "Scan", "Describe", "List")


def is_read(operation: str) -> bool:
    return operation.startswith(_READ_PREFIXES)


@dataclass
class CallCounter:
    """Counts API calls per (service, operation), and DynamoDB items read."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    items_read: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, client: Any) -> Any:
        client.meta.events.register("before-call", self._count)
        client.meta.events.register("after-call", self._count_items)
        return client

    def attach_all(self, clients: Any) -> Any:
        """Hook every client of a :class:`tracker.stores.clients.Clients` (creating them now)."""
        for service in SERVICES:
            self.attach(clients.get(service))
        # ECR in the tracker's own region: where the bench's and tests' registries are.
        self.attach(clients.get("ecr", clients.get("dynamodb").meta.region_name))
        return clients

    def _count(self, model: Any, **_: Any) -> None:
        # Must return None: a handler returning a value short-circuits the call.
        with self._lock:  # deploy writes SSM from a thread pool
            self.counts[(model.service_model.service_name, model.name)] += 1

    def _count_items(self, model: Any, parsed: Any = None, **_: Any) -> None:
        if not isinstance(parsed, dict) or model.service_model.service_name != "dynamodb":
            return
        if "ScannedCount" in parsed:
            read = int(parsed["ScannedCount"])
        elif "Responses" in parsed:
            read = sum(len(items) for items in parsed["Responses"].values())
        else:
            read = 1 if parsed.get("Item") else 0
        with self._lock:
            self.items_read += read

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()
            self.items_read = 0

    def calls(self) -> list[str]:
        """Every operation called since the last reset, sorted (``["GetItem", "Query"]``)."""
        return sorted(op for (_, op), n in self.counts.items() for _ in range(n))

    def measure(self, function: Callable[[], Any]) -> dict[str, dict[str, int]]:
        """The calls ``function`` makes, as {service: {operation: count}}."""
        self.reset()
        function()
        result: dict[str, dict[str, int]] = {}
        for (service, operation), count in sorted(self.counts.items()):
            result.setdefault(service, {})[operation] = count
        return result
