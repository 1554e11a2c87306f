"""The front door: :class:`Tracker`, built once from :class:`~tracker.settings.Settings`.

The CLI, the programs Terraform runs, ``scripts/`` and ``bench/`` all go
through it. It is the one composition root: it reads the manifest, selects the
project, builds the AWS clients for the project's region, role and account,
the stores over them and the workflows' :class:`~tracker.workflows.context.Context`
-- each on first use, so that a command pays only for what it touches
(``tracker --help`` imports no boto3; Terraform's plan program builds one
DynamoDB client). Its methods take the request objects of
:mod:`tracker.model.requests` and return the records of :mod:`tracker.model.records`.

Tests and embedders inject what they want instead: clients (a session on an
emulator), a clock, or whole stores (:meth:`Tracker.in_memory`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from tracker.errors import warn
from tracker.model.clock import Clock
from tracker.settings import Settings

if TYPE_CHECKING:
    from tracker.model.entries import Person, Published, Release
    from tracker.model.metrics import EnvironmentMetrics
    from tracker.model.project import Project, ProjectFile
    from tracker.model.records import DeploymentPlan, Freeze
    from tracker.model.requests import (
        ApproveRequest,
        DeployRequest,
        FreezeRequest,
        PlanRequest,
        PublishRequest,
        ReleaseRequest,
        RollbackRequest,
        UnfreezeRequest,
        WaitRequest,
    )
    from tracker.model.results import (
        ApprovalResult,
        CreatedRelease,
        DeployResult,
        Drift,
        EnvironmentStatus,
        HistoryEntry,
        WaitResult,
    )
    from tracker.stores.clients import Clients, Target
    from tracker.stores.ecs import EcsFinder
    from tracker.stores.protocols import Events, Parameters, Registry, TrackingStore
    from tracker.workflows.context import Context
    from tracker.workflows.pending import Pending


class Tracker:
    """One project's tracking: its manifest, clients, stores and workflows (see the module docstring)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clients: Clients | None = None,
        clock: Clock = time.time,
        project: Project | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **stores: Any,
    ) -> None:
        self.settings = settings or Settings()
        self.clock: Clock = clock
        self.sleep = sleep
        self._clients = clients
        if project is not None:
            self.__dict__["project"] = project
        # Injected stores (store=, parameters=, registry=, events=, ecs=) replace the AWS ones.
        for name, value in stores.items():
            if name not in ("store", "parameters", "registry", "events", "ecs"):
                raise TypeError(f"unknown store {name!r}")
            self.__dict__[name] = value

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ, **given: str | None) -> Tracker:
        """A tracker for the settings of flags/query values (``given``) and ``TRACKER_*`` variables."""
        return cls(Settings.resolve(environ, **given))

    @classmethod
    def in_memory(
        cls,
        project: Project,
        clock: Clock = time.time,
        sleep: Callable[[float], None] = time.sleep,
        **settings: Any,
    ) -> Tracker:
        """A tracker over the in-memory stores (no AWS): for tests and for trying workflows."""
        from tracker.stores.memory import MemoryEcs, MemoryEvents, MemoryParameters, MemoryTrackingStore

        return cls(
            Settings(**settings),
            clock=clock,
            sleep=sleep,
            project=project,
            store=MemoryTrackingStore(),
            parameters=MemoryParameters(clock=clock),
            events=MemoryEvents(),
            registry=None,
            ecs=MemoryEcs(),
        )

    # -- what a command needs, built on first use ---------------------------------------------
    @cached_property
    def manifest(self) -> ProjectFile:
        """The manifest file, read once; its warnings (unknown keys) go to stderr then."""
        from tracker.model.project import load_projects

        found = load_projects(self.settings.project_file)
        for message in found.warnings:
            warn(message)
        return found

    @cached_property
    def project(self) -> Project:
        """The project the settings select (--project, TRACKER_PROJECT, else the file's only one)."""
        return self.manifest.select(self.settings.project)

    def target(self, project: Project | None = None) -> Target:
        """Where the project's AWS calls go: --region, else the manifest's; its role and account."""
        from tracker.model import schema
        from tracker.stores.clients import Target

        project = project or self.project
        settings = self.settings
        if settings.region:
            schema.check_value("region", settings.region, "--region (TRACKER_REGION)")
        return Target(
            region=settings.region or project.region,
            role_arn=project.role_arn if settings.assumes_role else None,
            account_id=project.account_id,
            project_id=project.id,
            claimed_role=None if settings.assumes_role else project.role_arn,
        )

    def clients_for(self, project: Project) -> Clients:
        """Clients for another project than the selected one (``tracker init --discover``)."""
        from tracker.stores.clients import Clients

        return Clients(target=self.target(project))

    @property
    def clients(self) -> Clients:
        if self._clients is None:
            self._clients = self.clients_for(self.project)
        return self._clients

    @cached_property
    def store(self) -> TrackingStore:
        from tracker.stores.dynamo import LATEST_DEPLOYMENTS, LATEST_RELEASES, Tables
        from tracker.stores.tracking import DynamoTrackingStore

        settings = self.settings
        indexes = {
            LATEST_RELEASES: settings.latest_releases_index,
            LATEST_DEPLOYMENTS: settings.latest_deployments_index,
        }
        tables = Tables(settings.releases_table, settings.deployments_table, indexes)
        return DynamoTrackingStore.build(self.clients, tables)

    @cached_property
    def parameters(self) -> Parameters:
        from tracker.stores.parameters import ParameterStore

        return ParameterStore(self.clients)

    @cached_property
    def registry(self) -> Registry | None:
        from tracker.stores.registry import ImageRegistry

        return ImageRegistry(self.clients)

    @cached_property
    def ecs(self) -> EcsFinder:
        """ECS and CloudWatch, read as the project's role in its region (``tracker wait``)."""
        from tracker.stores.ecs import EcsReader

        return EcsReader(self.clients)

    @cached_property
    def events(self) -> Events | None:
        """The EventBridge bus of TRACKER_EVENT_BUS (checked before anything is written), or None."""
        if not self.settings.event_bus:
            return None
        from tracker.stores.events import EventBus, check_bus

        check_bus(self.settings.event_bus)
        return EventBus(self.clients, self.settings.event_bus)

    @property
    def context(self) -> Context:
        """What the workflows work with: this tracker itself (tracker.workflows.context.Context),
        each part built on first use."""
        return self

    def user_id(self, user: str | None = None) -> str:
        """``user``, else TRACKER_USER, else the AWS caller behind any role (STS)."""
        if user or self.settings.user:
            return str(user or self.settings.user)
        return self.clients.requester()

    def person(self, user: str | None = None, name: str | None = None) -> Person:
        from tracker.model.entries import Person

        return Person.of(self.user_id(user), name)

    def pin(self, given: str | None = None) -> str:
        return given or self.settings.pin_images

    # -- images and releases ------------------------------------------------------------------
    def publish(self, request: PublishRequest) -> str:
        from tracker.workflows.releases import publish_image

        return publish_image(self.context, request)

    def images(self, label: str = "latest") -> dict[str, str | None]:
        from tracker.workflows.releases import label_images

        return label_images(self.context, label)

    def label_sources(self, label: str = "latest") -> tuple[dict[str, str | None], dict[str, Published]]:
        """The images at ``label`` and where each came from (publish's record: when, by whom, revision)."""
        from tracker.workflows.releases import label_sources

        return label_sources(self.context, label)

    def create_release(self, request: ReleaseRequest) -> CreatedRelease:
        from tracker.workflows.releases import create_release

        return create_release(self.context, request)

    def release(self, ref: str) -> Release:
        from tracker.workflows.releases import resolve_release

        return resolve_release(self.context, ref)

    def releases(self, limit: int = 20) -> list[Release]:
        from tracker.workflows.releases import list_releases

        return list_releases(self.context, limit)

    # -- deployments --------------------------------------------------------------------------
    def plan(self, request: PlanRequest) -> DeploymentPlan:
        from tracker.workflows.deployments import plan_deployment

        return plan_deployment(self.context, request)

    def deploy(self, request: DeployRequest) -> DeployResult:
        """Deploy (or, with ``from_environment``, promote); see tracker.workflows.deployments."""
        from tracker.workflows.deployments import deploy

        return deploy(self.context, request)

    def wait(self, request: WaitRequest, progress: Callable[[str], None] = lambda line: None) -> WaitResult:
        """Wait for the environment's current deployment to run in ECS; record the verdict."""
        from tracker.workflows.outcomes import wait

        return wait(self.context, request, progress)

    def rollback(self, request: RollbackRequest) -> DeployResult:
        from tracker.workflows.deployments import rollback

        return rollback(self.context, request)

    def approve(self, request: ApproveRequest) -> ApprovalResult:
        from tracker.workflows.approvals import approve

        return approve(self.context, request)

    def freeze(self, request: FreezeRequest) -> tuple[Freeze, list[str]]:
        from tracker.workflows.freezes import freeze

        return freeze(self.context, request)

    def unfreeze(self, request: UnfreezeRequest) -> list[str]:
        from tracker.workflows.freezes import unfreeze

        return unfreeze(self.context, request)

    # -- reading --------------------------------------------------------------------------------
    def status(self) -> list[EnvironmentStatus]:
        from tracker.workflows.audit import status

        return status(self.context)

    def history(self, environment_id: str | None = None, limit: int = 20) -> list[HistoryEntry]:
        from tracker.workflows.history import history

        return history(self.context, environment_id, limit)

    def pending(
        self, environment_id: str | None = None, label: str = "latest", pin: str | None = None
    ) -> Pending:
        from tracker.workflows.pending import pending

        return pending(self.context, environment_id, label=label, pin=self.pin(pin))

    def release_of(self, ref: str) -> tuple[str, Release]:
        """What an environment runs, or a release id/prefix/``latest`` names (``diff``'s two sides)."""
        from tracker.workflows.audit import resolve_ref

        return resolve_ref(self.context, ref)

    def blocked_in(self, release: Release, environment_id: str) -> list[str]:
        """What would refuse deploying ``release`` to the environment now: freeze, window, policy."""
        from tracker.workflows.audit import blocked_in

        return blocked_in(self.context, release, environment_id)

    def verify(
        self, environment_id: str | None = None, outcomes: dict[str, str] | None = None
    ) -> list[Drift]:
        from tracker.workflows.audit import verify

        return verify(self.context, environment_id, outcomes)

    def repair(self, environment_id: str | None = None, user: str | None = None) -> list[Drift]:
        from tracker.workflows.audit import repair

        return repair(self.context, environment_id, user_id=self.user_id(user))

    def metrics(
        self,
        environment_id: str | None = None,
        *,
        every: bool = False,
        since: str = "30d",
        until: str | None = None,
        by: str = "week",
        failures: str | None = None,
        fix_window: str | None = None,
    ) -> list[EnvironmentMetrics]:
        """DORA's four keys (tracker.model.metrics) of an environment (default: the manifest's last)
        or of all (``every``); ``since``/``until`` as durations back from now or ISO dates."""
        from dataclasses import replace

        from tracker.model.durations import parse_duration
        from tracker.model.metrics import Settings, parse_failures
        from tracker.workflows.metrics import default_environments, metrics, moment

        now = self.clock()
        start = moment(since, now, "--since")
        end = moment(until, now, "--until") if until else now
        settings = self.project.metrics or Settings()
        if failures is not None:
            settings = replace(settings, failures=parse_failures(failures))
        if fix_window is not None:
            settings = replace(settings, fix_window=parse_duration(fix_window, "--fix-window"))
        wanted = default_environments(self.context, environment_id, every)
        return metrics(self.context, wanted, since=start, until=end, by=by, settings=settings)

    def report(self, limit: int = 20) -> dict[str, Any]:
        """The report's data (see tracker.report): what runs where, drift, what waits, the delivery
        metrics, the timeline. A manifest of several projects with none selected (weco-deploy's YAML,
        no --project) gives every project's, for one page (:meth:`reports`)."""
        from tracker.report import gather

        # An injected project (Tracker.in_memory) or one the settings name: that project alone.
        if "project" not in self.__dict__ and not self.settings.project and len(self.manifest.projects) > 1:
            return self.reports(limit)
        return gather(self.context, limit=limit, pin=self.pin())

    def reports(self, limit: int = 20) -> dict[str, Any]:
        """Every project of the manifest, for one page (tracker.report.several), read at one moment.

        Each is read by its own Tracker -- its own region, role and account, as
        ``--project`` would select it. A project that cannot be read (its role,
        its tables) says why in its place; the others are still shown.
        """
        from dataclasses import replace

        from tracker.errors import TrackerError
        from tracker.report import check_limit, gather, several, unreadable

        check_limit(limit)
        moment = self.clock()
        parts = []
        for project_id, project in self.manifest.projects.items():
            own = Tracker(replace(self.settings, project=project_id), clock=self.clock, project=project)
            try:
                parts.append(gather(own.context, limit=limit, pin=own.pin(), now=moment))
            except TrackerError as error:
                parts.append(unreadable(project, str(error)))
        return several(parts, self.manifest.source, moment)
