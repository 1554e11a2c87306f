"""What every workflow works with: the project, its stores and the clock.

Built once by :class:`tracker.app.Tracker` (from settings, over AWS) or by a
test (over the in-memory stores); the workflows take it and a request object.
It holds stores, not workflows, and no client of its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.model.clock import Clock

if TYPE_CHECKING:
    from tracker.model.project import Project
    from tracker.stores.protocols import Events, Parameters, Registry, TrackingStore


@dataclass
class Context:
    project: Project
    store: TrackingStore
    parameters: Parameters
    registry: Registry | None = None  # ECR lookups; None: ECR images cannot be pinned or checked
    events: Events | None = None  # EventBridge; None: no events are sent
    clock: Clock = time.time
