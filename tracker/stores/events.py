"""Amazon EventBridge: one event per deployment, freeze and unfreeze, when a bus is configured.

``TRACKER_EVENT_BUS`` (a bus name or ARN; off by default) names the bus. Each
event has source ``release-tracker``, detail-type ``Deployment``, ``Freeze``
or ``Unfreeze``, and a detail carrying ``project_id``, ``environment_id``,
``release_id``, ``images``, ``requested_by``, ``description`` and
``date_requested`` (and, where they apply, ``forced``, ``previous_release_id``,
``until``). Chat notifications, pipelines and audit archives subscribe with
rules (see the README).

An event is sent after what it reports is recorded. Failing to send it never
undoes that record: the caller warns, and keeps the event in the environment's
state item for ``tracker verify`` to report and ``tracker repair`` to send again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tracker.errors import AwsError, InvalidInputError
from tracker.stores.clients import Clients, call

SOURCE = "release-tracker"
ENTRY_LIMIT = 256 * 1024  # PutEvents' limit on one entry, in bytes


# EventBridge's rule for bus names, alone or at the end of an event-bus ARN.
BUS = re.compile(r"^(arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/)?[/.\-_A-Za-z0-9]{1,256}$")


def check_bus(bus: str) -> str:
    """A bus name or ARN, or InvalidInputError naming TRACKER_EVENT_BUS."""
    if not BUS.match(bus):
        raise InvalidInputError(
            f"TRACKER_EVENT_BUS {bus[:80]!r} is not an EventBridge bus name or ARN "
            "(letters, digits, '.', '-', '_', '/'; or arn:aws:events:REGION:ACCOUNT:event-bus/NAME)"
        )
    return bus


class EventError(AwsError):
    """An event could not be sent (the bus is missing, access denied, or EventBridge refused it)."""


@dataclass
class EventBus:
    """The bus events go to, reached with the project's clients (its role and account)."""

    clients: Clients
    bus: str  # a name, or an ARN (arn:aws:events:REGION:ACCOUNT:event-bus/NAME)

    @property
    def region(self) -> str | None:
        parts = self.bus.split(":")
        return parts[3] if self.bus.startswith("arn:") and len(parts) > 5 and parts[3] else None

    def send(self, detail_type: str, detail: dict[str, Any]) -> None:
        """PutEvents of one event; EventError when it is not accepted."""
        entry = {
            "Source": SOURCE,
            "DetailType": detail_type,
            "Detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
            "EventBusName": self.bus,
        }
        if len(json.dumps(entry).encode("utf-8")) > ENTRY_LIMIT:
            raise EventError(f"the {detail_type} event is larger than EventBridge's 256 KB limit")
        client = self.clients.get("events", self.region)
        try:
            response = call(lambda: client.put_events(Entries=[entry]), f"sending the {detail_type} event")
        except AwsError as error:
            raise EventError(f"event bus '{self.bus}': {error}", error.code, error.response) from error
        if response.get("FailedEntryCount"):
            failed = response["Entries"][0]
            raise EventError(
                f"event bus '{self.bus}' refused the {detail_type} event: "
                f"{failed.get('ErrorCode', '?')}: {failed.get('ErrorMessage', '')}".rstrip(": "),
                str(failed.get("ErrorCode", "")),
            )
