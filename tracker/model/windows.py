"""Deployment windows: recurring times when an environment takes deployments, or does not.

Declared per environment in the project manifest (a tracker extension of both
formats)::

    "windows": [
      {"name": "weekend", "type": "deny", "rrule": "FREQ=WEEKLY;BYDAY=FR",
       "start": "2026-01-02T16:00", "duration": "P2DT16H", "timezone": "Europe/London"},
      {"name": "office hours", "type": "allow", "rrule": "FREQ=WEEKLY;BYDAY=TU,WE,TH",
       "start": "2026-01-06T09:00", "duration": "PT7H", "timezone": "Europe/London"}
    ]

Each window is an RFC 5545 schedule: occurrences start when the RRULE (read by
``python-dateutil``, as iCalendar does, from ``start``) says, in wall-clock time
of ``timezone`` (so 16:00 stays 16:00 across daylight saving), and last
``duration`` (weeks and days in calendar days, hours to seconds exactly, as RFC
5545 says). A deployment inside any ``deny`` occurrence, or outside every
``allow`` occurrence when the environment has allow windows, is refused;
``--force`` with a description records it anyway, marked as forced.

dateutil is imported only when a manifest declares windows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from tracker.errors import ProjectManifestError

_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
# How far back to look for an occurrence still open at a given time, beyond the duration itself.
_HORIZON = timedelta(days=1)
# How many occurrences to follow when deny windows chain into one another, or to find an opening.
_CHAIN = 500


def parse_duration(text: str) -> tuple[timedelta, timedelta]:
    """An RFC 5545 duration as (calendar days, exact time): ``P2DT16H`` -> (2 days, 16 hours)."""
    match = _DURATION.match(text)
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"duration {text!r} is not an ISO 8601 duration such as 'P2DT16H' or 'PT7H'")
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    nominal = timedelta(weeks=weeks, days=days)
    exact = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if not nominal and not exact:
        raise ValueError(f"duration {text!r} is zero")
    return nominal, exact


@dataclass(frozen=True)
class Window:
    """One recurring window of an environment (see the module docstring)."""

    name: str
    type: str  # "deny" or "allow"
    rrule: str
    start: str
    duration: str
    timezone: str

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "type": self.type,
            "rrule": self.rrule,
            "start": self.start,
            "duration": self.duration,
            "timezone": self.timezone,
        }

    def describe(self) -> str:
        """``deny window 'weekend' (FREQ=WEEKLY;BYDAY=FR from 16:00 for P2DT16H, Europe/London)``."""
        rule = self.rrule.removeprefix("RRULE:")
        schedule = f"{rule} from {self.start[11:16]} for {self.duration}, {self.timezone}"
        return f"{self.type} window '{self.name}' ({schedule})"

    # -- the schedule (parsed once per window: a refusal follows many occurrences) -----------
    @cached_property
    def _rule(self) -> Any:
        from dateutil.rrule import rrulestr

        return rrulestr(self.rrule.removeprefix("RRULE:"), dtstart=datetime.fromisoformat(self.start))

    @cached_property
    def _zone(self) -> Any:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

    @cached_property
    def _duration(self) -> tuple[timedelta, timedelta]:
        return parse_duration(self.duration)

    def _span(self, local_start: datetime) -> tuple[datetime, datetime]:
        """An occurrence's (start, end) in UTC, from its local wall-clock start."""
        nominal, exact = self._duration
        zone = self._zone
        begin = local_start.replace(tzinfo=zone).astimezone(UTC)
        end = (local_start + nominal).replace(tzinfo=zone).astimezone(UTC) + exact
        return begin, end

    def _local(self, moment: datetime) -> datetime:
        """A UTC time as naive wall-clock time of the window's zone (what the RRULE counts in)."""
        return moment.astimezone(self._zone).replace(tzinfo=None)

    def open_span(self, moment: datetime) -> tuple[datetime, datetime] | None:
        """The occurrence (UTC start, end) that contains ``moment``, if any (the one ending last)."""
        nominal, exact = self._duration
        local = self._local(moment)
        found = None
        for start in self._rule.between(local - nominal - exact - _HORIZON, local, inc=True):
            begin, end = self._span(start)
            if begin <= moment < end and (found is None or end > found[1]):
                found = (begin, end)
        return found

    def next_start(self, moment: datetime) -> datetime | None:
        """The UTC start of the first occurrence after ``moment`` (None: the rule has ended)."""
        following = self._rule.after(self._local(moment), inc=False)
        return self._span(following)[0] if following is not None else None

    def check(self) -> None:
        """Refuse a window that cannot be evaluated (bad RRULE, time zone or duration): ValueError."""
        _ = self._duration  # parsing refuses a bad one (ValueError); later checks reuse it
        try:
            _ = self._zone
        except Exception as error:  # ZoneInfoNotFoundError, ValueError for odd keys
            raise ValueError(
                f"unknown time zone {self.timezone!r} (an IANA name such as 'Europe/London')"
            ) from error
        if "DTSTART" in self.rrule.upper():
            raise ValueError("rrule must not contain DTSTART: the window's 'start' is its DTSTART")
        try:
            _ = self._rule
        except (ValueError, TypeError) as error:
            raise ValueError(f"rrule {self.rrule!r} is not an RFC 5545 RRULE: {error}") from error


def parse_windows(entries: list[dict[str, Any]], where: str) -> tuple[Window, ...]:
    """Schema-valid window entries as Windows, each checked; ProjectManifestError naming the window."""
    windows = []
    names: set[str] = set()
    for position, entry in enumerate(entries):
        window = Window(
            **{key: entry[key] for key in ("name", "type", "rrule", "start", "duration", "timezone")}
        )
        if window.name in names:
            raise ProjectManifestError(f"{where}.windows[{position}]: duplicate window name '{window.name}'")
        names.add(window.name)
        try:
            window.check()
        except ValueError as error:
            raise ProjectManifestError(f"{where}.windows[{position}] ('{window.name}'): {error}") from None
        windows.append(window)
    return tuple(windows)


@dataclass(frozen=True)
class Closure:
    """Why an environment takes no deployment at a given time: a window, and when it opens again."""

    window: Window
    opens: datetime | None  # None: never again (the schedule has ended)

    def describe(self) -> str:
        when = "never again (its schedule has ended)"
        if self.opens is not None:
            local = self.opens.astimezone(self.window._zone)
            when = f"{local.strftime('%a %Y-%m-%d %H:%M')} {self.window.timezone} ({_utc(self.opens)})"
        inside = "inside" if self.window.type == "deny" else "outside"
        return f"{inside} its {self.window.describe()}; it opens {when}"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def closure(windows: tuple[Window, ...], moment: datetime) -> Closure | None:
    """Why ``moment`` is closed for deployments under ``windows`` (None: open).

    Inside a deny occurrence: it opens when that occurrence ends (followed
    through deny occurrences that begin before it ends). Outside every allow
    occurrence: it opens at the next allow occurrence that no deny covers.
    """
    for window in (w for w in windows if w.type == "deny"):
        span = window.open_span(moment)
        if span is not None:
            return Closure(window, _reopens(windows, span[1]))
    allows = [w for w in windows if w.type == "allow"]
    if allows and not any(w.open_span(moment) for w in allows):
        first = min(allows, key=lambda w: w.next_start(moment) or datetime.max.replace(tzinfo=UTC))
        return Closure(first, _reopens(windows, moment))
    return None


def _reopens(windows: tuple[Window, ...], moment: datetime) -> datetime | None:
    """The first time from ``moment`` on that no deny window covers and an allow window (if any) does."""
    allows = [w for w in windows if w.type == "allow"]
    denies = [w for w in windows if w.type == "deny"]
    candidate: datetime | None = moment
    for _ in range(_CHAIN):
        if candidate is None:
            return None
        spans = [s for s in (w.open_span(candidate) for w in denies) if s is not None]
        if spans:
            candidate = max(end for _, end in spans)
            continue
        if allows and not any(w.open_span(candidate) for w in allows):
            starts = [s for s in (w.next_start(candidate) for w in allows) if s is not None]
            candidate = min(starts) if starts else None
            continue
        return candidate
    return None
