"""Section 9: promotion policies -- what approving, and deploying under a policy, cost.

Two projects alike but for prod's policy (``promote_from: [stage]``,
``require_verified``, one approval). The policy is judged on the release the
deployment reads anyway, and what it counted is a condition of the same
transaction: promoting to prod costs the same calls with and without it.
Items read at 10 000 deployments: measured on section 2's table (see
:func:`policy_reads`), after its history was seeded.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bench.common import counted, deploy_to, log, make_project, new_release, publish_all
from tests.support.counting import CallCounter
from tests.support.library import verdict

SERVICES = 5
POLICY = {"promote_from": ("stage",), "require_verified": True, "approvals": 1}


def _policy() -> Any:
    from tracker.model.policies import Policy

    return Policy(**POLICY)  # type: ignore[arg-type]


def _approve(tracker: Any, ref: str, user: str, revoke: bool = False) -> Any:
    from tracker.model.entries import Person
    from tracker.model.requests import ApproveRequest

    request = ApproveRequest(release=ref, environment_id="prod", requested_by=Person.of(user), revoke=revoke)
    return tracker.approve(request)


def _calls(counter: CallCounter, function: Any) -> dict[str, Any]:
    calls = counter.measure(function)
    return {"calls": calls, "all": sum(sum(ops.values()) for ops in calls.values())}


def run() -> dict[str, Any]:
    """Calls of approve (by id, by ``latest``, revoke), promote with and without the policy, pending, diff."""
    counter = CallCounter()
    figures: dict[str, Any] = {"services": SERVICES, "policy": _policy().as_dict()}
    figures.update(_measure(counter, "without a policy", {}))
    figures.update(_measure(counter, "with the policy", {"prod": _policy()}))
    return figures


def _measure(counter: CallCounter, name: str, policies: dict[str, Any]) -> dict[str, Any]:
    """One project (prod's policy ``policies``): prod runs a first release, stage a second one,
    verified; what approving the second, reading what blocks it and promoting it cost."""
    log(f"policies: promote {name}")
    project = replace(make_project(f"bench-policy-{len(policies)}", SERVICES), policies=policies)
    tracker = counted(counter, project)
    for build in (1, 2):
        publish_all(tracker, build=build)
        release_id = new_release(tracker)
        deploy_to(tracker, release_id, "stage")
        verdict(tracker, release_id, "stage")
        if build == 1:
            _approve(tracker, release_id, "lead")
            deploy_to(tracker, None, "prod", from_environment="stage")
    figures = {}
    if policies:
        figures["approve by id"] = _calls(counter, lambda: _approve(tracker, release_id, "lead"))
        figures["approve --revoke"] = _calls(counter, lambda: _approve(tracker, "latest", "lead", True))
        figures["approve latest"] = _calls(counter, lambda: _approve(tracker, "latest", "lead"))
        figures["pending prod"] = _calls(counter, lambda: tracker.pending("prod", pin="off"))
        figures["diff stage prod"] = _calls(counter, lambda: _diff(tracker))
    figures[f"promote {name}"] = _calls(
        counter, lambda: deploy_to(tracker, None, "prod", from_environment="stage")
    )
    return figures


def _diff(tracker: Any) -> list[str]:
    """What `tracker diff stage prod` reads: both sides, then what would refuse stage's release in prod."""
    _, source = tracker.release_of("stage")
    tracker.release_of("prod")
    return tracker.blocked_in(source, "prod")


def policy_reads(counter: CallCounter, tracker: Any, size: int) -> dict[str, Any]:
    """Items read approving a release and deploying it to prod under the policy, after ``size``
    deployments to stage (section 2's table; a release prod never ran: it is judged in full)."""
    from tracker.model.entries import Person
    from tracker.model.requests import DeployRequest

    project = replace(tracker.project, policies={"prod": replace(_policy(), require_verified=False)})
    judged = counted(counter, project)
    # The newest release deployed to stage only (every third one went to prod: items_read.release_row).
    index = next(i for i in range(size - 1, 0, -1) if i % 3)
    release_id = f"{project.id}:release-{index:06d}"
    counter.measure(lambda: _approve(judged, release_id, "lead"))
    approve_items = counter.items_read
    request = DeployRequest(environment_id="prod", release=release_id, requested_by=Person.of("dev"))
    found: list[Any] = []
    calls = counter.measure(lambda: found.append(judged.deploy(request)))
    if not found[0].recorded:
        raise RuntimeError("the deployment under the policy recorded nothing")
    return {
        "deployments": size,
        "approve_items_read": approve_items,
        "deploy_items_read": counter.items_read,
        "deploy_calls": calls,
    }
