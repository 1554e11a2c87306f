"""The gate: whether an environment takes a deployment at a given time, and what forcing it overrides.

One function for every path: :func:`tracker.workflows.deployments.plan_deployment`
calls it, so Terraform's plan, ``tracker deploy``, promote, rollback and the
recorder all refuse alike. What can hold an environment:

* a **freeze** (``tracker freeze``), read from the environment's state item
  with the plan; the deployment's own transaction checks it again, so a
  freeze set between the plan and the write still wins;
* a **deployment window** of the manifest (:mod:`tracker.model.windows`);
* the environment's **promotion policy** (:mod:`tracker.model.policies`),
  judged on the release the plan read; the deployment's transaction requires
  what it counted (approvals, a verified deployment) to be unchanged.

``force`` (with a description) deploys through any of them -- a policy with
``allow_force: false`` excepted -- and the deployment entry says what it went
through.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tracker.errors import EnvironmentClosedError, EnvironmentFrozenError, PolicyRefusedError
from tracker.model.project import Project
from tracker.model.records import EnvironmentState, Freeze

if TYPE_CHECKING:
    from tracker.model.entries import Release
    from tracker.model.policies import Judgement
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


def policy_gate(
    project: Project, environment_id: str, release: Release, requester: str | None, at: float, force: bool
) -> tuple[Judgement | None, str | None]:
    """The environment's policy on ``release``: its judgement, and with ``force`` what it overrides.

    No policy: (None, None), nothing imported. Refused (PolicyRefusedError,
    one line naming every rule not met) unless ``force`` and the policy allows it.
    """
    policy = project.policies.get(environment_id)
    if policy is None:
        return None, None
    from tracker.model.policies import judge

    judgement = judge(policy, environment_id, release, requester, at)
    if judgement.passed:
        return judgement, None
    if force and policy.allow_force:
        return judgement, f"the policy: {judgement.describe()}"
    if force:
        raise PolicyRefusedError(
            f"{judgement.describe()}; {environment_id}'s policy cannot be forced "
            "(allow_force: false); nothing was recorded"
        )
    hint = "force" if policy.allow_force else ""
    raise PolicyRefusedError(f"{judgement.describe()}; nothing was recorded", hint=hint)


def blockers(
    project: Project,
    environment_id: str,
    state: EnvironmentState | None,
    release: Release,
    at: float,
    requester: str | None = None,
) -> list[str]:
    """Everything that would refuse deploying ``release`` at ``at``, one line each, nothing raised.

    For ``pending`` and ``diff``: the window, the freeze (``state`` as read;
    None: not known) and the policy (judged without a requester unless given:
    every approval counts).
    """
    lines = []
    closed = closed_now(project, environment_id, at)
    if closed is not None:
        lines.append(f"{environment_id} takes no deployments now: {closed.describe()}")
    freeze = state.active_freeze(at) if state is not None else None
    if freeze is not None:
        lines.append(f"{environment_id} is {freeze.describe()}")
    policy = project.policies.get(environment_id)
    if policy is not None:
        from tracker.model.policies import judge

        lines += judge(policy, environment_id, release, requester, at).blockers
    return lines
