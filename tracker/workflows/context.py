"""What every workflow works with: the project, its stores and the clock.

A protocol, so that whoever provides it may build each part on first use:
:class:`tracker.app.Tracker` is the implementation (over AWS from settings,
or over the in-memory stores), and Terraform's plan program, which needs only
the tracking store, never builds the SSM or ECR ones. The workflows take a
context and a request object; the context holds stores, not workflows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from tracker.model.clock import Clock
    from tracker.model.project import Project
    from tracker.stores.ecs import EcsFinder
    from tracker.stores.protocols import Events, Parameters, Registry, TrackingStore


class Context(Protocol):
    @property
    def project(self) -> Project: ...

    @property
    def store(self) -> TrackingStore: ...

    @property
    def parameters(self) -> Parameters: ...

    @property
    def registry(self) -> Registry | None:
        """ECR lookups; None: ECR images cannot be pinned or checked."""

    @property
    def events(self) -> Events | None:
        """EventBridge; None: no events are sent."""

    @property
    def clock(self) -> Clock: ...

    @property
    def ecs(self) -> EcsFinder:
        """ECS and CloudWatch reads (``tracker wait``)."""

    @property
    def sleep(self) -> Callable[[float], None]:
        """How a poll waits for the next one (time.sleep; tests move their clock instead)."""
