"""In-memory stores: the protocols of :mod:`tracker.stores.protocols` over dicts.

For the workflows' unit tests (no emulator, milliseconds each), and for
anyone embedding the library who wants to try a workflow without AWS. They
keep the DynamoDB store's contract: the same ordering of listings (time, then
id, newest first), the same conditions on a deployment's write reported by
the same part names, copies handed out (nothing read can change what is
stored). They count nothing and model no latency: the emulator tests prove
the real calls.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from tracker.errors import AwsError, WriteRefused
from tracker.model.entries import Approval, Release, Revocation
from tracker.model.records import DeploymentRow, EnvironmentState, Freeze, FreezeLogEntry, Snapshot
from tracker.stores.dynamo import check_size
from tracker.stores.ecs import EcsFinder
from tracker.stores.releases import newest_first
from tracker.stores.transaction import (
    CURRENT,
    ENTRY,
    NOT_FROZEN,
    OUTCOME_ENTRY,
    ROW,
    DeploymentWrite,
    OutcomeWrite,
)


@dataclass
class MemoryReleases:
    items: dict[str, Release] = field(default_factory=dict)

    def put(self, release: Release) -> None:
        if release.release_id in self.items:
            raise AwsError(
                "writing the release: AWS refused the call (ConditionalCheckFailedException)",
                "ConditionalCheckFailedException",
            )
        check_size(release.as_row())
        self.items[release.release_id] = copy.deepcopy(release)

    def get(self, release_id: str) -> Release | None:
        found = self.items.get(release_id)
        return copy.deepcopy(found) if found else None

    def add_approval(self, release: Release, approval: Approval) -> None:
        stored = self.items[release.release_id]
        check_size(replace(stored, approvals=[*stored.approvals, approval]).as_row())
        stored.approvals.append(approval)

    def revoke_approval(self, release: Release, index: int, revocation: Revocation) -> bool:
        stored = self.items[release.release_id]
        mine, theirs = stored.approvals[index], release.approvals[index]
        if mine.revoked is not None or (mine.approved_by, mine.date) != (theirs.approved_by, theirs.date):
            return False
        stored.approvals[index] = replace(mine, revoked=revocation)
        return True

    def get_many(self, release_ids: list[str]) -> dict[str, Release]:
        return {r: copy.deepcopy(self.items[r]) for r in dict.fromkeys(release_ids) if r in self.items}

    def _project(self, project_id: str, time_of: Any) -> Iterator[Release]:
        mine = [r for r in self.items.values() if r.project_id == project_id and time_of(r) is not None]
        mine.sort(key=time_of, reverse=True)
        return newest_first((copy.deepcopy(r) for r in mine), time_of)

    def newest(self, project_id: str, page_size: int = 25) -> Iterator[Release]:
        return self._project(project_id, lambda r: r.created_at)

    def recently_deployed(self, project_id: str, page_size: int = 25) -> Iterator[Release]:
        return self._project(project_id, lambda r: r.deployed_at)

    def with_prefix(self, project_id: str, prefix: str) -> list[Release]:
        def matches(release_id: str) -> bool:
            if release_id.startswith(f"{project_id}:{prefix}"):
                return True
            return ":" not in release_id and release_id.startswith(prefix)

        return [r for r in self.newest(project_id) if matches(r.release_id)]


@dataclass
class MemoryEnvironments:
    rows: dict[tuple[str, str], DeploymentRow] = field(default_factory=dict)
    states: dict[tuple[str, str], EnvironmentState] = field(default_factory=dict)

    def row(self, project_id: str, environment_id: str) -> DeploymentRow | None:
        found = self.rows.get((project_id, environment_id))
        return replace(found) if found else None

    def state(self, project_id: str, environment_id: str) -> EnvironmentState:
        found = self.states.get((project_id, environment_id))
        return copy.deepcopy(found) if found else EnvironmentState(environment_id)

    def all(self, project_id: str) -> tuple[list[DeploymentRow], dict[str, EnvironmentState]]:
        rows = [replace(r) for (p, _), r in sorted(self.rows.items()) if p == project_id]
        states = {e: copy.deepcopy(s) for (p, e), s in sorted(self.states.items()) if p == project_id}
        return rows, states

    def _state(self, project_id: str, environment_id: str) -> EnvironmentState:
        return self.states.setdefault((project_id, environment_id), EnvironmentState(environment_id))

    def set_freeze(
        self, project_id: str, environment_id: str, freeze: Freeze | None, logged: FreezeLogEntry
    ) -> bool:
        state = self._state(project_id, environment_id)
        if freeze is None and state.freeze is None:
            return False
        state.freeze = freeze
        state.log.append(logged)
        return True

    def add_undelivered(self, project_id: str, environment_id: str, event: dict[str, Any]) -> None:
        self._state(project_id, environment_id).undelivered.append(copy.deepcopy(event))

    def drop_undelivered(self, project_id: str, environment_id: str, count: int) -> None:
        state = self._state(project_id, environment_id)
        if len(state.undelivered) == count:
            state.undelivered = []


@dataclass
class MemoryTrackingStore:
    """The tracking store in memory (see the module docstring)."""

    releases: MemoryReleases = field(default_factory=MemoryReleases)
    environments: MemoryEnvironments = field(default_factory=MemoryEnvironments)

    def read(
        self, project_id: str, release_id: str | None, environment_ids: list[str], state_of: str | None
    ) -> Snapshot:
        rows = {e: row for e in environment_ids if (row := self.environments.row(project_id, e))}
        return Snapshot(
            release=self.releases.get(release_id) if release_id is not None else None,
            rows=rows,
            state=self.environments.state(project_id, state_of) if state_of is not None else None,
        )

    def record(self, write: DeploymentWrite) -> DeploymentRow:
        """The same conditions as the DynamoDB transaction, checked and applied as one step."""
        check_size(write.grown().as_row())
        failed = {name for name, ok in self._conditions(write).items() if not ok}
        if failed:
            raise WriteRefused(frozenset(failed))
        stored = self.releases.items[write.release.release_id]
        stored.deployments.append(copy.deepcopy(write.entry))
        stored.deployed_at = write.at
        row = write.row
        self.environments.rows[(row.project_id, row.environment_id)] = replace(row)
        return row

    def record_outcome(self, write: OutcomeWrite) -> None:
        """The outcome transaction's conditions, checked and applied as one step."""
        stored = self.releases.items.get(write.release.release_id)
        key = (write.release.project_id, write.row.environment_id)
        row = self.environments.rows.get(key)
        entry_ok = (
            stored is not None
            and len(stored.deployments) > write.index
            and stored.deployments[write.index].date_requested == write.entry.date_requested
        )
        current = row is not None and row.token == write.row.token
        failed = {name for name, ok in ((OUTCOME_ENTRY, entry_ok), (CURRENT, current)) if not ok}
        if failed:
            raise WriteRefused(frozenset(failed))
        assert stored is not None and row is not None
        stored.deployments[write.index] = write.judged()
        row.outcome = write.outcome
        if write.last_verified is not None:
            self.environments._state(*key).last_verified = write.last_verified

    def _conditions(self, write: DeploymentWrite) -> dict[str, bool]:
        release = self.releases.items.get(write.release.release_id)
        key = (write.release.project_id, write.environment_id)
        row, previous = self.environments.rows.get(key), write.previous
        checks = {
            ENTRY: release is not None
            and release.project_id == write.release.project_id
            and (release.deployed_at is None or release.deployed_at < write.at)
            and all(release.approvals[i].revoked is None for i in write.basis.approvals)
            and all(len(release.deployments[i].outcomes or ()) == n for i, n in write.basis.verified),
            ROW: (row is None) if previous is None else (row is not None and row.token == previous.token),
        }
        if write.check_freeze:
            state = self.environments.states.get(key)
            checks[NOT_FROZEN] = state is None or state.active_freeze(write.at) is None
        return checks


@dataclass
class MemoryParameters:
    """SSM parameters in memory: name -> value, and each name's description and version."""

    values: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    modified: dict[str, float] = field(default_factory=dict)
    region: str = "memory"
    clock: Callable[[], float] = time.time

    def get_values(self, names: list[str]) -> dict[str, str]:
        return {name: self.values[name] for name in names if name in self.values}

    def get_dated(self, names: list[str]) -> dict[str, tuple[str, float | None]]:
        return {name: (self.values[name], self.modified.get(name)) for name in names if name in self.values}

    def get_path(self, path: str, *, recursive: bool = False) -> dict[str, str]:
        prefix = path.rstrip("/") + "/"
        return {
            name: value
            for name, value in self.values.items()
            if name.startswith(prefix) and (recursive or "/" not in name[len(prefix) :])
        }

    def put_values(self, values: dict[str, str], description: str) -> None:
        for name, value in values.items():
            self.values[name] = value
            self.descriptions[name] = description
            self.versions[name] = self.versions.get(name, 0) + 1
            self.modified[name] = self.clock()


@dataclass
class MemoryEvents:
    """Events kept in a list (``fail`` set: every send fails, as a missing bus would)."""

    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail: str | None = None

    def send(self, detail_type: str, detail: dict[str, Any]) -> None:
        if self.fail:
            from tracker.stores.events import EventError

            raise EventError(self.fail)
        self.sent.append((detail_type, copy.deepcopy(detail)))


class MemoryEcs(EcsFinder):
    """ECS and CloudWatch in memory: services as DescribeServices would describe them, per cluster.

    ``clusters``: cluster ARN -> service name -> description (``serviceName``,
    ``serviceArn``, ``clusterArn``, ``status``, ``tags``, ``deployments``,
    ``events``); ``task_definitions``: ARN -> container name -> image;
    ``alarm_values``: name -> state. ``calls`` counts the primitive reads.
    """

    def __init__(self) -> None:
        super().__init__()
        self.clusters: dict[str, dict[str, dict[str, Any]]] = {}
        self.task_definitions: dict[str, dict[str, str]] = {}
        self.alarm_values: dict[str, str] = {}
        self.calls: list[str] = []

    def cluster_arns(self) -> list[str]:
        self.calls.append("ListClusters")
        return sorted(self.clusters)

    def service_arns(self, cluster: str) -> list[str]:
        self.calls.append("ListServices")
        return sorted(s["serviceArn"] for s in self.clusters.get(cluster, {}).values())

    def describe(self, cluster: str, names: list[str], tags: bool) -> tuple[list[dict[str, Any]], list[str]]:
        self.calls.append("DescribeServices")
        assert len(names) <= 10, "DescribeServices takes at most 10 services"
        services = self.clusters.get(cluster) or next(
            (v for k, v in self.clusters.items() if k.rsplit("/", 1)[-1] == cluster), {}
        )
        found, missing = [], []
        for name in names:
            match = services.get(name.rsplit("/", 1)[-1])
            if match is None:
                missing.append(name)
            else:
                found.append({k: v for k, v in copy.deepcopy(match).items() if tags or k != "tags"})
        return found, missing

    def task_definition(self, arn: str) -> dict[str, str]:
        self.calls.append("DescribeTaskDefinition")
        return dict(self.task_definitions[arn])

    def alarm_states(self, names: list[str]) -> dict[str, str]:
        self.calls.append("DescribeAlarms")
        return {name: self.alarm_values[name] for name in names if name in self.alarm_values}
