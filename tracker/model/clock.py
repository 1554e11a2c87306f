"""Times: the RFC's unix-time Numbers and ISO 8601 dates, to the millisecond.

``created_at`` and ``deployed_at`` stay unix times, as the RFC's tables show,
but carry milliseconds (``1548345406.123``, a DynamoDB Number) so that what
one machine does in sequence -- a release created, then another; a deployment,
then a rollback -- is ordered by time. Values are rounded, never truncated:
``2_000_000_000.1 + 0.001`` is stored as the binary float ``...0.1009998`` and
must still become ``.101``. Ties that remain (equal milliseconds) are ordered
by the callers on a second key, never left to chance.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], float]
MILLISECOND = 0.001


def timestamp(seconds: float) -> float:
    """Unix time rounded to the millisecond: the value stored in ``created_at``/``deployed_at``."""
    return round(seconds * 1000) / 1000


def now(clock: Clock = time.time, after: float | None = None) -> float:
    """The clock's time to the millisecond, and strictly later than ``after`` when given.

    ``after`` is the newest time already recorded for the same thing (the newest
    release, the environment's last deployment): a later record then always
    sorts after it, even if this machine's clock is behind the one that wrote it.
    """
    moment = timestamp(clock())
    if after is not None and moment <= after:
        moment = timestamp(after + MILLISECOND)
    return moment


def iso8601(moment: float) -> str:
    """The RFC's ISO 8601 ``date_requested``, in UTC to the millisecond (``...T15:53:00.123Z``)."""
    millis = round(moment * 1000)
    seconds, fraction = divmod(millis, 1000)
    date = datetime.fromtimestamp(seconds, UTC)
    return date.strftime("%Y-%m-%dT%H:%M:%S.") + f"{fraction:03d}Z"


def epoch(date: str) -> float:
    """Unix time of an ISO 8601 date (a date without offset is taken as UTC), to the millisecond."""
    parsed = datetime.fromisoformat(date.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return timestamp(parsed.timestamp())
