"""The gate: whether an environment takes a deployment at a given time, and what forcing it overrides.

One function for every path: :func:`tracker.workflows.deployments.plan_deployment`
calls it, so Terraform's plan, ``tracker deploy``, promote, rollback and the
recorder all refuse alike. What can hold an environment:

* a **freeze** (``tracker freeze``), read from the environment's state item
  with the plan; the deployment's own transaction checks it again, so a
  freeze set between the plan and the write still wins;
* a **deployment window** of the manifest (:mod:`tracker.model.windows`).

``force`` (with a description) deploys through either, and the deployment
entry says what it went through.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tracker.errors import EnvironmentClosedError, EnvironmentFrozenError
from tracker.model.project import Project
from tracker.model.records import EnvironmentState, Freeze

if TYPE_CHECKING:
    from tracker.model.windows import Closure


def closed_now(project: Project, environment_id: str, moment: float) -> Closure | None:
    """The window that closes the environment at ``moment``, if any (no windows: None, nothing imported)."""
    windows = project.windows.get(environment_id)
    if not windows:
        return None
    from tracker.model.windows import closure

    return closure(windows, datetime.fromtimestamp(moment, UTC))


def frozen(environment_id: str, freeze: Freeze) -> EnvironmentFrozenError:
    """The one line a deployment to a frozen environment is refused with."""
    return EnvironmentFrozenError(
        f"environment '{environment_id}' is {freeze.describe()}; nothing was recorded", hint="force"
    )


def gate(
    project: Project, environment_id: str, state: EnvironmentState | None, at: float, force: bool
) -> str | None:
    """Whether a deployment may be recorded at ``at``; with ``force``, what it overrides (None: nothing).

    ``state`` is the environment's state item as read with the plan (None:
    not read, nothing known to hold it). A window is checked first: it says
    when the environment opens again.
    """
    closed = closed_now(project, environment_id, at)
    freeze = state.active_freeze(at) if state is not None else None
    if not force:
        if closed is not None:
            raise EnvironmentClosedError(
                f"environment '{environment_id}' takes no deployments now: {closed.describe()}; "
                "nothing was recorded",
                hint="force",
            )
        if freeze is not None:
            raise frozen(environment_id, freeze)
        return None
    overridden = []
    if freeze is not None:
        overridden.append(f"the freeze: {freeze.describe()}")
    if closed is not None:
        overridden.append(f"the {closed.window.describe()}")
    return "; ".join(overridden) or None
