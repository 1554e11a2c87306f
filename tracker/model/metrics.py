"""DORA's four keys, computed from one environment's deployments (pure: no AWS, no clock).

The rules, as the README's "Delivery metrics" section states them:

* **Deployment frequency**: the deployments to the environment in the window
  ``[since, until)`` (rollbacks and forced deployments included), per day and
  per week.
* **Lead time for changes**: per change -- a service whose image differs from
  the one the environment ran just before -- from when the image was
  published (``tracker publish``) to its deployment here; and from the commit
  when publish recorded its time. An image the environment already ran (a
  release deployed twice, a roll forward after a rollback) is no new change,
  and a rollback delivers none. Median and p90 (nearest rank).
* **Change failure rate**: the share of the window's deployments followed by
  a failure. What counts is a setting (:class:`Settings`), per project in the
  manifest's ``metrics``, because teams differ: ``failed`` (``tracker wait``
  recorded a failed outcome), ``rollback`` (the next deployment here rolled it
  back) and ``forced`` (the next deployment here was forced -- through a
  freeze, a window or a policy -- within ``fix_window``, a fix). All three by
  default, with a 1-day window.
* **Failed deployment recovery time**: a run of failed deployments is one
  incident, from the first one's deployment to the next deployment here that
  did not fail (verified, or without outcome data, simply the next); median.
  An incident not recovered yet is counted apart (``unrecovered``).

Deployments after ``until`` are read too: they decide whether one inside the
window failed, and when it recovered.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tracker.model.clock import epoch, iso8601
from tracker.model.entries import DeploymentEntry, Published

FAILURE_SIGNS = ("failed", "rollback", "forced")
DAY = 86400.0
PERIODS = {"day": DAY, "week": 7 * DAY}


@dataclass(frozen=True)
class Settings:
    """What counts as a failure (``failures``: some of ``FAILURE_SIGNS``) and the fix window (seconds)."""

    failures: tuple[str, ...] = FAILURE_SIGNS
    fix_window: float = DAY

    def describe(self) -> str:
        from tracker.model.durations import describe

        signs = ", ".join(self.failures) or "nothing"
        window = f" (forced within {describe(self.fix_window)})" if "forced" in self.failures else ""
        return f"{signs}{window}"

    def as_dict(self) -> dict[str, Any]:
        return {"failures": list(self.failures), "fix_window_seconds": self.fix_window}


@dataclass(frozen=True)
class Deployed:
    """One deployment to the environment, with the release's images and where they came from."""

    release_id: str
    entry: DeploymentEntry
    images: dict[str, str]
    published: dict[str, Published] = field(default_factory=dict)

    @property
    def at(self) -> float:
        return self.entry.at


@dataclass(frozen=True)
class Change:
    """One change delivered: a service's new image, and its lead times (None: not known)."""

    release_id: str
    service: str
    deployed_at: float
    from_publish: float | None
    from_commit: float | None


@dataclass(frozen=True)
class Incident:
    """A run of failed deployments, from the first's deployment to the recovery (None: not yet)."""

    started: float
    recovered: float | None
    deployments: int

    @property
    def seconds(self) -> float | None:
        return None if self.recovered is None else self.recovered - self.started


def approx(seconds: float) -> str:
    """A duration as a lead reads it: ``45s``, ``12m``, ``3h12m``, ``2d4h`` (two units at most)."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m"
    if whole < 86400:
        hours, minutes = divmod(whole // 60, 60)
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    days, hours = divmod(whole // 3600, 24)
    return f"{days}d{hours}h" if hours else f"{days}d"


def parse_failures(text: str) -> tuple[str, ...]:
    """``failed,rollback`` (or ``none``) -> the failure signs; one line naming an unknown one."""
    from tracker.errors import InvalidInputError

    if text.strip() == "none":
        return ()
    signs = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    unknown = [s for s in signs if s not in FAILURE_SIGNS]
    if unknown or not signs:
        raise InvalidInputError(
            f"--failures '{text}': use failed, rollback and forced, comma-separated (or none)"
        )
    return signs


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile: the smallest value at least 90 % of the values do not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def failure_reasons(deployments: Sequence[Deployed], index: int, settings: Settings) -> list[str]:
    """Why deployment ``index`` (of the environment's, oldest first) counts as failed: [] if not."""
    this = deployments[index].entry
    after = deployments[index + 1].entry if index + 1 < len(deployments) else None
    found = []
    if "failed" in settings.failures and this.verdict == "failed":
        found.append("failed")
    if after is not None and "rollback" in settings.failures and after.is_rollback:
        found.append("rollback")
    if (
        after is not None
        and "forced" in settings.failures
        and after.forced
        and not after.is_rollback
        and after.at - this.at <= settings.fix_window
    ):
        found.append("forced")
    return found


def changes(
    deployments: Sequence[Deployed], index: int, known_before: bool, ran: set[tuple[str, str]]
) -> list[Change] | None:
    """The changes deployment ``index`` delivered (None: unknown, what ran before it was not read).

    ``ran`` holds the (service, image) pairs of the deployments before it.
    ``known_before``: the list holds what ran before ``deployments[0]`` (it is
    the first deployment ever, or an earlier one is in the list).
    """
    this = deployments[index]
    if this.entry.is_rollback:
        return []
    if index == 0 and not known_before:
        return None
    found = []
    for service, image in this.images.items():
        if (service, image) in ran:
            continue
        published = this.published.get(service)
        from_publish = from_commit = None
        if published is not None:
            from_publish = max(0.0, this.at - epoch(published.date))
            if published.committed:
                from_commit = max(0.0, this.at - epoch(published.committed))
        found.append(Change(this.release_id, service, this.at, from_publish, from_commit))
    return found


def incidents(deployments: Sequence[Deployed], failed: Sequence[bool]) -> list[Incident]:
    """Runs of failed deployments, each with the deployment that ended it (if any yet)."""
    found: list[Incident] = []
    start: int | None = None
    for index, bad in enumerate(failed):
        if bad and start is None:
            start = index
        elif not bad and start is not None:
            found.append(Incident(deployments[start].at, deployments[index].at, index - start))
            start = None
    if start is not None:
        found.append(Incident(deployments[start].at, None, len(failed) - start))
    return found


def period_start(moment: float, by: str) -> float:
    """The UTC day (or ISO week, from Monday) that ``moment`` falls in."""
    day = datetime.fromtimestamp(moment, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if by == "week":
        day -= timedelta(days=day.weekday())
    return day.timestamp()


def periods(since: float, until: float, by: str) -> list[tuple[float, float]]:
    """The days or weeks covering ``[since, until)``, each clipped to the window."""
    found = []
    start = period_start(since, by)
    while start < until:
        end = start + PERIODS[by]
        found.append((max(start, since), min(end, until)))
        start = end
    return found


@dataclass
class Measured:
    """The four keys over some deployments of one environment (a window, or one period of it)."""

    deployments: int = 0
    failures: int = 0
    lead: list[float] = field(default_factory=list)
    commit_lead: list[float] = field(default_factory=list)
    changes: int = 0
    recoveries: list[float] = field(default_factory=list)
    unrecovered: int = 0

    def keys(self, days: float) -> dict[str, Any]:
        """The JSON of the four keys (documented in the README; stable)."""
        return {
            "deployment_frequency": {
                "deployments": self.deployments,
                "per_day": round(self.deployments / days, 3) if days else None,
                "per_week": round(self.deployments * 7 / days, 3) if days else None,
            },
            "lead_time_seconds": {
                "median": _round(median(self.lead)),
                "p90": _round(p90(self.lead)),
                "changes": self.changes,
                "measured": len(self.lead),
            },
            "commit_lead_time_seconds": {
                "median": _round(median(self.commit_lead)),
                "p90": _round(p90(self.commit_lead)),
                "measured": len(self.commit_lead),
            },
            "change_failure_rate": {
                "rate": round(self.failures / self.deployments, 4) if self.deployments else None,
                "failures": self.failures,
                "deployments": self.deployments,
            },
            "recovery_time_seconds": {
                "median": _round(median(self.recoveries)),
                "incidents": len(self.recoveries) + self.unrecovered,
                "unrecovered": self.unrecovered,
            },
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass
class EnvironmentMetrics:
    """One environment's four keys over the window, and per period."""

    environment_id: str
    since: float
    until: float
    by: str
    settings: Settings
    total: Measured
    per_period: list[tuple[float, float, Measured]]
    failed: list[dict[str, Any]]  # the window's failed deployments and why

    def as_dict(self) -> dict[str, Any]:
        days = (self.until - self.since) / DAY
        return {
            "environment": self.environment_id,
            "since": iso8601(self.since),
            "until": iso8601(self.until),
            "by": self.by,
            "counted_as_failure": self.settings.as_dict(),
            **self.total.keys(days),
            "failed_deployments": self.failed,
            "periods": [
                {"start": iso8601(start), "end": iso8601(end), **measured.keys((end - start) / DAY)}
                for start, end, measured in self.per_period
            ],
        }


def measure(
    environment_id: str,
    deployments: Sequence[Deployed],
    *,
    since: float,
    until: float,
    by: str = "week",
    settings: Settings = Settings(),
    known_before: bool = True,
) -> EnvironmentMetrics:
    """The four keys of ``deployments`` (the environment's, oldest first) in ``[since, until)``.

    The list should start with the last deployment before ``since`` (what ran
    then) and go on past ``until`` to now; ``known_before`` says whether what
    ran before its first entry is known (see :func:`changes`).
    """
    reasons = [failure_reasons(deployments, i, settings) for i in range(len(deployments))]
    failed = [bool(why) for why in reasons]
    spans = periods(since, until, by)
    total = Measured()
    per_period = [(start, end, Measured()) for start, end in spans]
    listed: list[dict[str, Any]] = []

    def buckets(moment: float) -> list[Measured]:
        if not since <= moment < until:
            return []
        return [total] + [m for start, end, m in per_period if start <= moment < end]

    ran: set[tuple[str, str]] = set()  # what the environment ran before the deployment at hand
    for index, deployed in enumerate(deployments):
        counted = buckets(deployed.at)
        delivered = changes(deployments, index, known_before, ran) if counted else []
        ran.update(deployed.images.items())
        if not counted:
            continue
        for measured in counted:
            measured.deployments += 1
            measured.failures += failed[index]
            if delivered is None:  # what ran before it was not read: its changes are not counted
                continue
            measured.changes += len(delivered)
            measured.lead += [c.from_publish for c in delivered if c.from_publish is not None]
            measured.commit_lead += [c.from_commit for c in delivered if c.from_commit is not None]
        if failed[index]:
            why = reasons[index]
            listed.append(
                {
                    "release_id": deployed.release_id,
                    "date_requested": deployed.entry.date_requested,
                    "why": why,
                }
            )
    for incident in incidents(deployments, failed):
        for measured in buckets(incident.started):
            if incident.seconds is None:
                measured.unrecovered += 1
            else:
                measured.recoveries.append(incident.seconds)
    return EnvironmentMetrics(environment_id, since, until, by, settings, total, per_period, listed)
