"""Section 10: `tracker metrics` after section 2's history -- items read, calls and client time.

Section 2 seeds one release every 10 minutes, each deployed to stage a minute
later and every third one to prod after five: at 10 000 releases, 13 334
deployments over 69 days. The metrics are asked for the window ending just
after the newest deployment: prod over 30 days (the default), every
environment over 30 days (``--all``), and prod over the whole history. Client
time is the CPU time of the calling thread (parsing the pages and computing),
which the emulator, serving from other threads of the same process, does not
add to; wall time includes the emulator's work.
"""

from __future__ import annotations

import time
from typing import Any

from tests.support.counting import CallCounter

DAY = 86400
BUDGET = 2.0  # seconds of client time at 10 000 deployments (issue 22)


def window_end(size: int) -> float:
    from bench.items_read import START, STEP

    return START + (size - 1) * STEP + 301  # just after the newest deployment (prod's, at +300 s)


def metrics_reads(counter: CallCounter, tracker: Any, size: int) -> dict[str, Any]:
    from tracker.model.clock import iso8601

    until = window_end(size)
    cases = {
        "prod, 30 days": ("prod", False, until - 30 * DAY),
        "every environment, 30 days": (None, True, until - 30 * DAY),
        "prod, the whole history": ("prod", False, until - 80 * DAY),
    }
    found: dict[str, Any] = {}
    for name, (environment, every, since) in cases.items():
        result: list[Any] = []

        def ask(
            env: str | None = environment, all_: bool = every, start: float = since, into: list[Any] = result
        ) -> None:
            into.extend(
                tracker.metrics(env, every=all_, since=iso8601(start), until=iso8601(until), by="week")
            )

        started, cpu = time.perf_counter(), time.thread_time()
        calls = counter.measure(ask)
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - started
        found[name] = {
            "deployments": sum(m.total.deployments for m in result),
            "items_read": counter.items_read,
            "calls": calls,
            "client_seconds": round(cpu, 3),
            "wall_seconds": round(wall, 3),
        }
    return {"releases": size, "budget_seconds": BUDGET, "cases": found}
