"""Promotion policies: where a release must have run, for how long, and who approved it.

Declared per environment in the project manifest (both formats)::

    "policy": {"promote_from": ["stage"], "require_verified": true, "soak": "30m",
               "approvals": 1, "approvers": ["ops_ophelia", "lead_lee"], "allow_force": true}

Every rule is judged on the release alone -- its manifest's ``deployments``
(with their ``outcomes``) and ``approvals`` -- which every deployment reads
anyway: a policy costs no extra AWS call. :func:`judge` says what is missing
(one line per rule) and what the verdict rests on (:class:`Basis`: the
approvals counted, the verified deployment relied on), which the deployment's
transaction then requires to be unchanged (:mod:`tracker.stores.transaction`):
an approval revoked, or a verdict changed, between the plan and the write
refuses the write.

* ``promote_from``: the release was deployed to one of these environments
  (with ``require_verified``: and that deployment's outcome is verified).
* ``soak``: at least this long since it was deployed there (verified there,
  with ``require_verified``), counted from its first such deployment: per
  release, whatever the environment ran since.
* ``approvals``: that many people (from ``approvers``, if given) approved the
  release for this environment and did not revoke it; the person requesting
  the deployment never counts.
* ``allow_force`` (default true): ``--force --description`` passes the policy
  and the entry names every rule passed; false closes that lane.

A release this environment ran before passes ``promote_from``, ``soak`` and
``approvals``: it passed them then (a rollback, or deploying it again).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tracker.errors import ProjectManifestError

if TYPE_CHECKING:
    from tracker.model.entries import Release


@dataclass(frozen=True)
class Policy:
    """An environment's promotion policy (see the module docstring). ``soak`` in seconds."""

    promote_from: tuple[str, ...] = ()
    require_verified: bool = False
    soak: float = 0
    approvals: int = 0
    approvers: tuple[str, ...] = ()
    allow_force: bool = True

    def describe(self) -> str:
        """``from stage (verified), soak 30m, 1 approval from ops_ophelia, lead_lee, no --force``."""
        from tracker.model.durations import describe

        parts = []
        if self.promote_from:
            verified = " (verified)" if self.require_verified else ""
            parts.append(f"from {' or '.join(self.promote_from)}{verified}")
        if self.soak:
            parts.append(f"soak {describe(self.soak)}")
        if self.approvals:
            plural = "s" if self.approvals > 1 else ""
            who = f" from {', '.join(self.approvers)}" if self.approvers else ""
            parts.append(f"{self.approvals} approval{plural}{who}")
        if not self.allow_force:
            parts.append("no --force")
        return ", ".join(parts) or "none"

    def as_dict(self) -> dict[str, Any]:
        from tracker.model.durations import describe

        return {
            "promote_from": list(self.promote_from),
            "require_verified": self.require_verified,
            "soak": describe(self.soak) if self.soak else None,
            "approvals": self.approvals,
            "approvers": list(self.approvers),
            "allow_force": self.allow_force,
        }


@dataclass(frozen=True)
class Basis:
    """What a policy's verdict rested on, for the deployment's transaction to find unchanged.

    ``approvals``: positions in the manifest's ``approvals`` that must still be
    unrevoked; ``verified``: (entry position, number of outcomes) of the
    verified deployment relied on, whose verdict must not have changed.
    """

    approvals: tuple[int, ...] = ()
    verified: tuple[tuple[int, int], ...] = ()


@dataclass
class Judgement:
    """What a policy says of a release for one deployment: what blocks it, what it rests on."""

    blockers: list[str] = field(default_factory=list)
    basis: Basis = field(default_factory=Basis)

    @property
    def passed(self) -> bool:
        return not self.blockers

    def describe(self) -> str:
        return "; ".join(self.blockers)


def judge(
    policy: Policy, environment_id: str, release: Release, requester_id: str | None, at: float
) -> Judgement:
    """Judge ``release`` for a deployment to ``environment_id`` requested by ``requester_id`` at ``at``."""
    found = Judgement()
    if release.entries_in(environment_id):
        return found  # it ran here before: the rules passed then
    verified: tuple[tuple[int, int], ...] = ()
    if policy.promote_from:
        problem, since, entry = _where_it_ran(policy, environment_id, release)
        if problem:
            found.blockers.append(problem)
        else:
            assert since is not None and entry is not None
            if policy.require_verified:
                verified = (entry,)
            if policy.soak and at < since + policy.soak:
                found.blockers.append(_soak_left(policy, environment_id, since, at))
    approvals, problem = _approvals(policy, environment_id, release, requester_id)
    if problem:
        found.blockers.append(problem)
    found.basis = Basis(approvals, verified)
    return found


def _where_it_ran(
    policy: Policy, environment_id: str, release: Release
) -> tuple[str | None, float | None, tuple[int, int] | None]:
    """(what is missing, when the soak starts, (entry position, outcomes) relied on)."""
    from tracker.model.clock import epoch
    from tracker.model.entries import short_id

    sources = " or ".join(policy.promote_from)
    ran = [(i, e) for i, e in enumerate(release.deployments) if e.environment.id in policy.promote_from]
    rid = short_id(release.release_id)
    if not ran:
        return f"{environment_id} takes releases from {sources}: {rid} never ran there", None, None
    if not policy.require_verified:
        position, first = min(ran, key=lambda pair: pair[1].at)
        return None, first.at, (position, len(first.outcomes or ()))
    good = [(i, e) for i, e in ran if e.verdict == "verified"]
    if good:
        position, first = min(good, key=lambda pair: epoch(pair[1].outcome.date))  # type: ignore[union-attr]
        assert first.outcome is not None
        return None, epoch(first.outcome.date), (position, len(first.outcomes or ()))
    failed = [e for _, e in ran if e.verdict == "failed"]
    if failed:
        reason = failed[-1].outcome.reason if failed[-1].outcome else ""
        where = failed[-1].environment.id
        return (
            f"{environment_id} takes releases verified in {sources}: {rid} failed in {where} ({reason})",
            None,
            None,
        )
    where = ran[-1][1].environment.id
    return (
        f"{environment_id} takes releases verified in {sources}: {rid} ran in {where} but no outcome "
        f"was recorded (`tracker wait {where}` records one)",
        None,
        None,
    )


def _soak_left(policy: Policy, environment_id: str, since: float, at: float) -> str:
    from datetime import UTC, datetime

    from tracker.model.durations import describe

    ready = since + policy.soak
    # Whole minutes, rounded up, past the first one: "2h left", not "1h59m59s left" a second later.
    left = max(1, math.ceil(ready - at))
    left = math.ceil(left / 60) * 60 if left > 60 else left
    end, now = datetime.fromtimestamp(ready, UTC), datetime.fromtimestamp(at, UTC)
    until = end.strftime("%H:%MZ") if end.date() == now.date() else end.strftime("%Y-%m-%d %H:%MZ")
    verb = "verified" if policy.require_verified else "deployed"
    return (
        f"soak: {describe(left)} left (until {until}): {environment_id} takes releases "
        f"{describe(policy.soak)} after they were {verb} in {' or '.join(policy.promote_from)}"
    )


def _approvals(
    policy: Policy, environment_id: str, release: Release, requester_id: str | None
) -> tuple[tuple[int, ...], str | None]:
    """(positions of the approvals counted, what is missing)."""
    from tracker.model.entries import short_id

    if not policy.approvals:
        return (), None
    counted, requester = counted_approvals(policy.approvers, environment_id, release, requester_id)
    if len(counted) >= policy.approvals:
        return tuple(sorted(position for position, _ in counted.values())[: policy.approvals]), None
    names = [name for _, name in counted.values()]
    not_counted = [f"{name} (the requester: not counted)" for name in requester]
    plural = "s" if policy.approvals > 1 else ""
    allowed = ", ".join(policy.approvers) if policy.approvers else "anyone but the requester"
    approved = ", ".join(names + not_counted) or "none"
    return (), (
        f"{environment_id} needs {policy.approvals} approval{plural} from {allowed}; approved by: {approved} "
        f"(`tracker approve {short_id(release.release_id)} {environment_id}`)"
    )


def counted_approvals(
    approvers: tuple[str, ...], environment_id: str, release: Release, requester_id: str | None = None
) -> tuple[dict[str, tuple[int, str]], list[str]]:
    """The active approvals of the release for the environment that count, the first per person
    (user id -> (position, name)), from ``approvers`` when given; and the requester's own, by name,
    which never count."""
    counted: dict[str, tuple[int, str]] = {}
    requester: list[str] = []
    for position, approval in release.approvals_for(environment_id):
        who = approval.approved_by
        if not approval.active or who.id in counted or (approvers and who.id not in approvers):
            continue
        if who.id == requester_id:
            requester.append(who.name)
        else:
            counted[who.id] = (position, who.name)
    return counted, requester


# -- reading policies from a manifest ---------------------------------------------------------


def policies_of(where: str, entries: list[dict[str, Any]]) -> dict[str, Policy]:
    """Each environment's policy, checked against the others (see :func:`check_graph`)."""
    found: dict[str, Policy] = {}
    known = [entry["id"] for entry in entries]
    for position, entry in enumerate(entries):
        if entry.get("policy") is not None:
            found[entry["id"]] = _policy(f"{where}[{position}].policy", entry["id"], entry["policy"], known)
    check_graph(where, found)
    return found


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _policy(where: str, environment_id: str, document: dict[str, Any], known: list[str]) -> Policy:
    from tracker.model.durations import parse_duration

    def refuse(message: str) -> ProjectManifestError:
        return ProjectManifestError(f"{where}: {message}")

    sources = tuple(document.get("promote_from") or ())
    for source in sources:
        if source == environment_id:
            raise refuse(f"'{environment_id}' cannot promote from itself")
        if source not in known:
            raise refuse(f"promote_from names '{source}', which is not an environment ({', '.join(known)})")
    soak = 0.0
    if document.get("soak") is not None:
        text = str(document["soak"]).strip()
        if text.startswith("-"):
            raise refuse(f"soak '{text}' is negative")
        try:
            soak = parse_duration(text, "soak")
        except Exception as error:  # noqa: BLE001 - InvalidInputError, worded for a manifest here
            raise refuse(str(error)) from None
    verified = _flag(document.get("require_verified", False))
    if (soak or verified) and not sources:
        rule = "soak" if soak else "require_verified"
        raise refuse(f"{rule} needs promote_from (it counts from the deployment there)")
    approvals = int(document.get("approvals") or 0)
    approvers = tuple(document.get("approvers") or ())
    if approvers and not approvals:
        raise refuse("approvers are named but approvals is 0: set how many approvals are needed")
    if approvers and approvals > len(approvers):
        raise refuse(f"needs {approvals} approvals but names {len(approvers)} approver(s)")
    return Policy(
        promote_from=sources,
        require_verified=verified,
        soak=soak,
        approvals=approvals,
        approvers=approvers,
        allow_force=_flag(document.get("allow_force", True)),
    )


def check_graph(where: str, policies: dict[str, Policy]) -> None:
    """Refuse a cycle of ``promote_from`` (no release could ever enter it)."""
    done: set[str] = set()

    def visit(environment_id: str, path: list[str]) -> None:
        if environment_id in path:
            cycle = path[path.index(environment_id) :] + [environment_id]
            raise ProjectManifestError(
                f"{where}: promote_from forms a cycle ({' takes from '.join(cycle)}): "
                "no release could enter it"
            )
        if environment_id in done:
            return
        for source in policies.get(environment_id, Policy()).promote_from:
            visit(source, [*path, environment_id])
        done.add(environment_id)

    for environment_id in policies:
        visit(environment_id, [])
