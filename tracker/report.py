"""A static report a release manager can read at a glance.

Per environment: the release it runs (full id), when and by whom it was
deployed and why, and whether a freeze or a deployment window holds it. Then
services × environments with differences and drift marked, what waits to ship,
and recent deployments, freezes and unfreezes with the images each deployment
changed. One colour means one thing, and the legend lists the colours the page
uses. HTML is self-contained (inline CSS, no scripts, no network); Markdown
renders on any code host.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

from tracker.model.clock import epoch, iso8601
from tracker.model.images import display, tag_and_digest
from tracker.model.project import Project
from tracker.model.records import Drift, EnvironmentStatus, HistoryEntry, compare_images, short_id

if TYPE_CHECKING:
    from tracker.workflows.pending import Pending

LOOKBACK = 50  # entries read past the timeline to find each environment's previous deployment


def image_tag(uri: str) -> str:
    """The human part of an image URI: the tag (or last path segment), and ``@`` a short digest if pinned."""
    tag, digest = tag_and_digest(uri)
    return f"{tag}@{digest}" if digest else tag


def ago(seconds: float) -> str:
    """``12 s ago``, ``5 min ago``, ``3 h ago``, ``9 d ago`` (a time ahead of the clock reads ``0 s ago``)."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s ago"
    if s < 3600:
        return f"{s // 60} min ago"
    return f"{s // 3600} h ago" if s < 2 * 86400 else f"{s // 86400} d ago"


def change_text(change: dict[str, Any]) -> str:
    """``hatching: v1 → v2`` (whole URIs when the tags read the same; ``(none)`` for a missing side)."""
    before, after = change["from"], change["to"]
    old, new = (image_tag(u) if u else "(none)" for u in (before, after))
    if old == new:
        old, new = display(before), display(after)
    return f"{change['service']}: {old} → {new}"


# -- the data ----------------------------------------------------------------------------------
def is_rollback(rollback_from: str | None, description: str) -> bool:
    return bool(rollback_from) or description.startswith("rollback of ")


def _environment(
    env_id: str, name: str, found: EnvironmentStatus | None, drift: list[Drift], now: float
) -> dict[str, Any]:
    """One environment's card: what runs, who deployed it when and why, what holds it."""
    last = (found.last if found else None) or {}
    at = found.deployed_at if found and found.release_id else None
    if not at and last.get("date_requested"):
        at = epoch(last["date_requested"])
    freeze = found.freeze if found else None
    return {
        "id": env_id,
        "name": name,
        "release_id": found.release_id if found else None,
        "images": dict(found.images) if found else {},
        "deployed_at": iso8601(at) if at else None,
        "ago": ago(now - at) if at else None,
        "requested_by": last.get("requested_by"),
        "description": last.get("description", ""),
        "forced": last.get("forced"),
        "rollback_from": last.get("rollback_from"),
        "rollback": bool(last) and is_rollback(last.get("rollback_from"), last.get("description", "")),
        "freeze": dict(freeze.as_dict(), ago=ago(now - epoch(freeze.since))) if freeze else None,
        "closed": found.closed if found else None,
        "drift": [d.problem for d in drift if d.environment_id == env_id and d.service_id is None],
    }


def _predecessors(
    older: Iterator[HistoryEntry], wanted: set[str], budget: int
) -> tuple[dict[str, HistoryEntry], bool]:
    """The newest deployment of each wanted environment among at most ``budget`` older entries.

    Returns them and whether the history ended within the budget (then an
    environment without one had no earlier deployment).
    """
    found: dict[str, HistoryEntry] = {}
    read = 0
    for entry in islice(older, budget) if wanted else ():
        read += 1
        env = entry.environment["id"]
        if entry.kind == "deployment" and env in wanted and env not in found:
            found[env] = entry
            if len(found) == len(wanted):
                return found, False
    return found, read < budget or not wanted


def _timeline(
    window: list[HistoryEntry], older: Iterator[HistoryEntry], budget: int, now: float
) -> list[dict[str, Any]]:
    """The window's entries as dicts, each deployment with the images it changed in its environment."""
    previous: dict[int, HistoryEntry] = {}
    oldest: dict[str, int] = {}  # environment -> index of its oldest deployment in the window so far
    for index, entry in enumerate(window):
        if entry.kind != "deployment":
            continue
        env = entry.environment["id"]
        if env in oldest:
            previous[oldest[env]] = entry
        oldest[env] = index
    wanted = {window[i].environment["id"] for i in oldest.values()}
    beyond, ended = _predecessors(older, wanted, budget)
    result = []
    for index, entry in enumerate(window):
        item = dict(entry.as_dict(), ago=ago(now - epoch(entry.date_requested)), changes=None, baseline="")
        item["rollback"] = entry.kind == "deployment" and is_rollback(entry.rollback_from, entry.description)
        before = previous.get(index) or beyond.get(entry.environment["id"])
        if entry.kind == "deployment" and before is not None:
            changed = [c for c in compare_images(before.images, entry.images) if c.change != "same"]
            item.update(changes=[c.as_dict() for c in changed], baseline=before.release_id)
        elif entry.kind == "deployment":
            item["baseline"] = "first" if ended else "unread"
        result.append(item)
    return result


def collect(
    project: Project,
    status: list[EnvironmentStatus],
    timeline: list[HistoryEntry],
    *,
    drift: Iterable[Drift] = (),
    pending: Pending | str | None = None,
    older: Iterable[HistoryEntry] = (),
    now: float | None = None,
) -> dict[str, Any]:
    """The report's data (JSON-ready): environments, the grid, drift, what waits, the timeline.

    ``older`` continues the timeline (newest first); at most ``LOOKBACK`` of its
    entries are read to find the deployment before each environment's oldest
    one in ``timeline``. ``pending`` is the workflow's answer, or why it failed.
    """
    moment = time.time() if now is None else now
    drifts = list(drift)
    by_id = {s.environment_id: s for s in status}
    names = project.environments or {}
    ids = list(names) + sorted(e for e in by_id if e not in names)
    return {
        "project": project.as_reference(),
        "generated": datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "environments": [_environment(e, names.get(e, e), by_id.get(e), drifts, moment) for e in ids],
        "services": project.service_ids,
        "ecs_services": {k: list(v) for k, v in project.ecs_services.items()},
        "drift": [d.as_dict() for d in drifts],
        "pending": pending.as_dict() if pending is not None and not isinstance(pending, str) else None,
        "pending_error": pending if isinstance(pending, str) else None,
        "timeline": _timeline(timeline, iter(older), LOOKBACK, moment),
        "lookback": LOOKBACK,
    }


def gather(
    project: Project,
    store: Any,
    parameters: Any,
    *,
    limit: int = 20,
    pin: str = "tag+digest",
    now: float | None = None,
) -> dict[str, Any]:
    """Everything the report shows, read from the store, SSM (and ECR for what waits); see ``collect``.

    The timeline is ``history``'s (the ``limit`` newest entries), read from one
    ``iter_timeline`` that goes on, for at most ``LOOKBACK`` more entries, only
    as far as finding each environment's previous deployment needs. Whatever
    ``pending`` refuses with (e.g. an ECR image at the label is gone) is shown
    in its section; the rest of the page is still written.
    """
    from tracker.errors import InvalidInputError, TrackerError
    from tracker.workflows.audit import status, verify
    from tracker.workflows.history import iter_timeline
    from tracker.workflows.pending import pending as find_pending

    if limit < 1:
        raise InvalidInputError("--limit must be at least 1")
    moment = time.time() if now is None else now
    environments = status(project, store, clock=lambda: moment)
    drift = verify(project, store, parameters)
    waiting: Pending | str
    try:
        waiting = find_pending(project, store, parameters, None, label="latest", pin=pin)
    except TrackerError as error:
        waiting = str(error)
    entries = iter_timeline(project, store, None)
    window = list(islice(entries, limit))
    return collect(project, environments, window, drift=drift, pending=waiting, older=entries, now=moment)


# -- Markdown ----------------------------------------------------------------------------------
def _md(text: Any) -> str:
    """User text in a Markdown table cell: one line, ``|`` escaped."""
    return str(text or "").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _md_name(env: dict[str, Any]) -> str:
    return f"{_md(env['name'])} (`{env['id']}`)" if env["name"] != env["id"] else f"`{env['id']}`"


def _md_environments(data: dict[str, Any]) -> list[str]:
    lines = [
        "## Environments",
        "",
        "| environment | release | deployed | by | description | holds |",
        "|---|---|---|---|---|---|",
    ]
    for env in data["environments"]:
        holds = []
        if env["freeze"]:
            f = env["freeze"]
            until = f" until {f['until']}" if f["until"] else ""
            holds.append(
                f"**FROZEN** by {_md(f['requested_by']['name'])} since {f['since']} ({f['ago']}){until}: "
                f"“{_md(f['reason'])}”"
            )
        if env["closed"]:
            holds.append(f"**CLOSED**: {_md(env['closed'])}")
        holds += [f"**DRIFT**: {_md(p)}" for p in env["drift"]]
        if not env["release_id"]:
            lines.append(f"| {_md_name(env)} | nothing deployed | | | | {'<br>'.join(holds)} |")
            continue
        marks = (" **rollback**" if env["rollback"] else "") + (
            f" **forced** through {_md(env['forced'])}" if env["forced"] else ""
        )
        by = (env["requested_by"] or {}).get("name", "")
        lines.append(
            f"| {_md_name(env)} | `{env['release_id']}` | {env['deployed_at']} ({env['ago']}) | {_md(by)} | "
            f"{_md(env['description'])}{marks} | {'<br>'.join(holds)} |"
        )
    return lines


def _differs(data: dict[str, Any], service: str) -> bool:
    return len({e["images"][service] for e in data["environments"] if e["images"].get(service)}) > 1


def _cell_drift(data: dict[str, Any], env: str, service: str) -> list[dict[str, Any]]:
    return [d for d in data["drift"] if d["environment_id"] == env and d["service_id"] == service]


def _md_grid(data: dict[str, Any]) -> list[str]:
    envs = data["environments"]
    lines = [
        "## What runs where",
        "",
        "| service | " + " | ".join(_md_name(e) for e in envs) + " | differs between environments |",
        "|---|" + "---|" * (len(envs) + 1),
    ]
    for service in data["services"]:
        cells = []
        for env in envs:
            image = env["images"].get(service)
            cell = f"`{image_tag(image)}` ({short_id(env['release_id'])})" if image else "not deployed"
            for d in _cell_drift(data, env["id"], service):
                cell += f" **DRIFT**: SSM has `{image_tag(d['in_ssm'])}`" if d["in_ssm"] else " **DRIFT**"
            cells.append(cell)
        ecs = data.get("ecs_services", {}).get(service)
        runs = f" (ECS: {', '.join(ecs)})" if ecs else ""
        differs = "yes" if _differs(data, service) else ""
        lines.append(f"| {service}{runs} | " + " | ".join(cells) + f" | {differs} |")
    lines += ["", "### Drift (SSM disagrees with the record)", ""]
    lines += [f"- **{_md(d['message'])}**" for d in data["drift"]] or [
        "None: the deployments table, the release manifests and SSM agree."
    ]
    return lines


def _md_pending(data: dict[str, Any]) -> list[str]:
    lines = ["## Waiting to ship", ""]
    if data["pending_error"] is not None:
        return [*lines, f"Could not tell what waits: {_md(data['pending_error'])}"]
    found = data["pending"]
    if found is None:
        return [*lines, "Not read."]
    newest = f"`{found['newest_release_id']}`" if found["newest_release_id"] else "none yet"
    lines += [f"Label `{found['label']}`; newest release {newest}.", ""]
    if not found["waiting"]:
        return [*lines, "Nothing waits: the label's images are released and every environment runs them."]
    names = {e["id"]: e for e in data["environments"]}
    lines += ["| service | waiting | at the label | in the newest release |", "|---|---|---|---|"]
    for s in found["services"]:
        waits = ["published, not released"] if s["published_not_released"] else []
        envs = [_md_name(names[e]) if e in names else f"`{e}`" for e in s["released_not_deployed"]]
        waits += [f"released, not deployed to {', '.join(envs)}"] if envs else []
        if waits:
            label, release = (
                f"`{image_tag(i)}`" if i else "—" for i in (s["label_image"], s["release_image"])
            )
            lines.append(f"| {s['service']} | {'; '.join(waits)} | {label} | {release} |")
    return lines


def _what(entry: dict[str, Any]) -> str:
    """What a timeline entry did, in words: ``deployment``, ``rollback``, ``forced``, ``freeze``..."""
    if entry["kind"] != "deployment":
        return entry["kind"] + (f" until {entry['until']}" if entry.get("until") else "")
    words = ["rollback" if entry["rollback"] else "deployment"]
    return " ".join(words + (["forced"] if entry["forced"] else []))


def _changes_text(entry: dict[str, Any], lookback: int) -> list[str]:
    if entry["kind"] != "deployment":
        return []
    if entry["changes"] is not None:
        return [change_text(c) for c in entry["changes"]] or ["no image changed"]
    if entry["baseline"] == "first":
        return ["first deployment"]
    return [f"previous deployment not among the {lookback} entries read further"]


def _md_timeline(data: dict[str, Any]) -> list[str]:
    lines = [
        "## Recent deployments and freezes",
        "",
        "| when | environment | what | release | by | description | images changed |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in data["timeline"]:
        env = entry["environment"]
        name = _md_name({"id": env["id"], "name": env.get("name", env["id"])})
        why = _md(entry["description"]) + (
            f" (forced through {_md(entry['forced'])})" if entry["forced"] else ""
        )
        release = f"`{entry['release_id']}`" if entry["release_id"] else ""
        changes = "<br>".join(f"`{_md(c)}`" for c in _changes_text(entry, data["lookback"]))
        lines.append(
            f"| {entry['date_requested']} ({entry['ago']}) | {name} | {_what(entry)} | {release} | "
            f"{_md((entry['requested_by'] or {}).get('name', ''))} | {why} | {changes} |"
        )
    if not data["timeline"]:
        lines.append("| | | nothing deployed yet | | | | |")
    return lines


def render_markdown(data: dict[str, Any]) -> str:
    lines = [
        f"# {data['project']['name']} (`{data['project']['id']}`)",
        "",
        f"Generated {data['generated']}.",
    ]
    for part in (_md_environments, _md_grid, _md_pending, _md_timeline):
        lines += ["", *part(data)]
    return "\n".join(lines) + "\n"


# -- HTML --------------------------------------------------------------------------------------
# One colour per meaning; every element showing one carries the meaning's class, so the legend
# can list exactly the colours the page uses.
MEANINGS = {
    "differs": ("#f59e0b", "image differs between environments"),
    "drift": ("#dc2626", "drift: SSM disagrees with the record"),
    "frozen": ("#7c3aed", "frozen, freeze or deployment window closed"),
    "forced": ("#c026d3", "forced deployment"),
    "rollback": ("#0d9488", "rollback"),
    "deploy": ("#2563eb", "ordinary deployment"),
    "none": ("#9ca3af", "not deployed"),
    "waiting": ("#16a34a", "waiting to ship"),
}

CSS = """
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem 2rem;color:#111827;background:#f9fafb}
h1{font-size:1.6rem;margin:0 0 .2rem} h2{font-size:1.15rem;margin:2rem 0 .6rem}
h3{font-size:1.05rem;margin:0 0 .4rem}
.sub,.rel,.id{color:#475569} .sub{margin:0 0 .8rem} .rel{font:12px ui-monospace,monospace}
.id{font:500 13px ui-monospace,monospace}
code{font:13px ui-monospace,monospace}
.rid{user-select:all;-webkit-user-select:all;background:#eef2f7;padding:.05rem .3rem;border-radius:4px;
  word-break:break-all;cursor:copy}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;margin:0 0 1rem;padding:0;list-style:none}
.sw{display:inline-block;width:.9rem;height:.9rem;border-radius:3px;vertical-align:-2px;margin-right:.35rem;
  background:var(--c)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:1rem}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002;padding:1rem 1.1rem;
  border-left:6px solid #e5e7eb}
.card.k-frozen{border-left-color:var(--c)}
.card p{margin:.35rem 0}
.hold{color:var(--c);font-weight:600}
.b{display:inline-block;padding:.05rem .5rem;border-radius:999px;color:#fff;background:var(--c);
  font:600 12px/1.5 system-ui,sans-serif;white-space:nowrap}
table{border-collapse:collapse;background:#fff;box-shadow:0 1px 3px #0002;border-radius:8px;width:100%}
th,td{padding:.5rem .8rem;text-align:left;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{background:#1f2937;color:#fff;font-weight:600} th .rel,th .id{color:#cbd5e1}
tr th:first-child{width:14rem}
.tag{display:inline-block;padding:.05rem .5rem;border-radius:999px;background:#f1f5f9;
  border:1px solid #cbd5e1;font:600 13px ui-monospace,monospace}
td.k-differs{outline:3px solid var(--c);outline-offset:-3px}
td.k-none{color:var(--c)}
.ssm{color:var(--c);font:12px ui-monospace,monospace}
ul.plain{margin:.5rem 0;padding-left:1.2rem}
ul.chg{margin:0;padding:0;list-style:none;font:13px ui-monospace,monospace;white-space:nowrap}
time{white-space:nowrap}
.why{white-space:pre-wrap}
.note{color:#475569;font-style:italic}
""" + "".join(f".k-{name}{{--c:{color}}}\n" for name, (color, _) in MEANINGS.items())


def _badge(meaning: str, text: str, title: str = "") -> str:
    tip = f' title="{html.escape(title)}"' if title else ""
    return f'<span class="b k-{meaning}"{tip}>{html.escape(text)}</span>'


def _legend(body: str) -> str:
    used = {c for classes in re.findall(r'class="([^"]*)"', body) for c in classes.split()}
    items = [
        f'<li><span class="sw k-{name}"></span>{html.escape(label)}</li>'
        for name, (_, label) in MEANINGS.items()
        if f"k-{name}" in used
    ]
    return f'<ul class="legend" id="legend" aria-label="legend">{"".join(items)}</ul>'


def _person(who: dict[str, str] | None) -> str:
    if not who:
        return "unknown"
    name, ident = html.escape(who.get("name", "")), html.escape(who.get("id", ""))
    return f'<b title="{ident}">{name}</b>'


def _holds(env: dict[str, Any]) -> str:
    """A card's freeze, window and environment-wide drift, each in its colour."""
    e = html.escape
    parts = []
    if env["freeze"]:
        f = env["freeze"]
        until = f" until {e(f['until'])}" if f["until"] else " until unfrozen"
        parts.append(
            f'<p class="hold k-frozen">{_badge("frozen", "frozen")} by {_person(f["requested_by"])} '
            f"since {e(f['since'])} ({e(f['ago'])}){until}: “{e(f['reason'])}”</p>"
        )
    if env["closed"]:
        parts.append(f'<p class="hold k-frozen">{_badge("frozen", "window closed")} {e(env["closed"])}</p>')
    parts += [f'<p class="hold k-drift">{_badge("drift", "drift")} {e(p)}</p>' for p in env["drift"]]
    return "".join(parts)


def _card(env: dict[str, Any]) -> str:
    e = html.escape
    held = " k-frozen" if env["freeze"] or env["closed"] else ""
    ident = f' <span class="id">{e(env["id"])}</span>' if env["name"] != env["id"] else ""
    head = f"<h3>{e(env['name'])}{ident}</h3>"
    if not env["release_id"]:
        nothing = _badge("none", "nothing deployed")
        return f'<section class="card{held}">{head}{_holds(env)}<p>{nothing}</p></section>'
    marks = [_badge("rollback", "rollback")] if env["rollback"] else []
    marks += [_badge("forced", "forced", env["forced"])] if env["forced"] else []
    marks = marks or [_badge("deploy", "deployed")]
    forced = f'<p class="note">forced through {e(env["forced"])}</p>' if env["forced"] else ""
    why = f'<p class="why">{e(env["description"])}</p>' if env["description"] else ""
    return (
        f'<section class="card{held}">{head}{_holds(env)}'
        f'<p>release <code class="rid">{e(env["release_id"])}</code></p>'
        f"<p>{' '.join(marks)} <b>{e(env['ago'] or '')}</b> · <time>{e(env['deployed_at'] or '')}</time> "
        f"· by {_person(env['requested_by'])}</p>{why}{forced}</section>"
    )


def _env_th(env: dict[str, Any]) -> str:
    """An environment's column head: its name, and its id under it when the manifest names it."""
    e = html.escape
    ident = f'<div class="rel">{e(env["id"])}</div>' if env["name"] != env["id"] else ""
    return f"<th>{e(env['name'])}{ident}</th>"


def _grid_cell(data: dict[str, Any], env: dict[str, Any], service: str, differs: bool) -> str:
    e = html.escape
    image = env["images"].get(service)
    drift = _cell_drift(data, env["id"], service)
    marks = "".join(
        _badge("drift", "drift", d["problem"])
        + (f'<div class="ssm k-drift">SSM has {e(image_tag(d["in_ssm"]))}</div>' if d["in_ssm"] else "")
        for d in drift
    )
    title = "; ".join([image or "not deployed", *(f"drift: {d['problem']}" for d in drift)])
    if not image:
        return f'<td class="k-none" title="{e(title)}">not deployed {marks}</td>'
    return (
        f'<td class="{"k-differs" if differs else ""}" title="{e(title)}">'
        f'<span class="tag">{e(image_tag(image))}</span> {marks}'
        f'<div class="rel">release {e(short_id(env["release_id"]))}</div></td>'
    )


def _html_grid(data: dict[str, Any]) -> str:
    e = html.escape
    envs = data["environments"]
    head = "".join(_env_th(env) for env in envs)
    rows = []
    for service in data["services"]:
        differs = _differs(data, service)
        cells = "".join(_grid_cell(data, env, service, differs) for env in envs)
        ecs = data.get("ecs_services", {}).get(service)
        runs = f'<div class="rel">ECS: {e(", ".join(ecs))}</div>' if ecs else ""
        rows.append(f"<tr><th>{e(service)}{runs}</th>{cells}</tr>")
    drift = "".join(f"<li>{_badge('drift', 'drift')} {e(d['message'])}</li>" for d in data["drift"])
    listed = (
        f'<h3 style="margin-top:1rem">Drift</h3><ul class="plain" id="drift">{drift}</ul>'
        if drift
        else '<p class="note">No drift: the deployments table, the release manifests and SSM agree.</p>'
    )
    return f"<table><tr><th>service</th>{head}</tr>{''.join(rows)}</table>{listed}"


def _pending_row(service: dict[str, Any], envs: list[dict[str, Any]]) -> str:
    e = html.escape
    label, release = service["label_image"], service["release_image"]
    cells = [
        f'<td title="{e(label or "")}"><span class="tag">{e(image_tag(label))}</span> '
        f"{_badge('waiting', 'published, not released') if service['published_not_released'] else ''}</td>"
        if label
        else '<td class="note">nothing at the label</td>',
        f'<td title="{e(release)}"><span class="tag">{e(image_tag(release))}</span></td>'
        if release
        else '<td class="note">no release yet</td>',
    ]
    for env in envs:
        image = service["deployed"].get(env["id"])
        waits = _badge("waiting", "waiting") if env["id"] in service["released_not_deployed"] else ""
        shown = f'<span class="tag">{e(image_tag(image))}</span>' if image else _badge("none", "not deployed")
        cells.append(f'<td title="{e(image or "")}">{shown} {waits}</td>')
    return f"<tr><th>{e(service['service'])}</th>{''.join(cells)}</tr>"


def _html_pending(data: dict[str, Any]) -> str:
    e = html.escape
    if data["pending_error"] is not None:
        return f'<p class="note" id="pending-error">Could not tell what waits: {e(data["pending_error"])}</p>'
    found = data["pending"]
    if found is None:
        return '<p class="note">Not read.</p>'
    newest = found["newest_release_id"]
    intro = (
        f"<p>Label <code>{e(found['label'])}</code> · newest release "
        + (f'<code class="rid">{e(newest)}</code>' if newest else "none yet")
        + "</p>"
    )
    if not found["waiting"]:
        return (
            intro + '<p class="note">Nothing waits: the label is released and every environment runs it.</p>'
        )
    names = {env["id"]: env for env in data["environments"]}
    envs = [names.get(i, {"id": i, "name": i}) for i in found["environments"]]
    head = "".join(_env_th(env) for env in envs)
    rows = "".join(_pending_row(s, envs) for s in found["services"])
    return (
        f"{intro}<table><tr><th>service</th><th>at the label</th><th>newest release</th>{head}</tr>"
        f"{rows}</table>"
    )


def _entry_marks(entry: dict[str, Any]) -> str:
    e = html.escape
    if entry["kind"] != "deployment":
        until = f" until {e(entry['until'])}" if entry.get("until") else ""
        return _badge("frozen", entry["kind"]) + until
    marks = []
    if entry["rollback"]:
        source = entry["rollback_from"]
        marks.append(_badge("rollback", "rollback") + (f" from {e(short_id(source))}" if source else ""))
    if entry["forced"]:
        marks.append(_badge("forced", "forced", entry["forced"]))
    return "<br>".join(marks) or _badge("deploy", "deployed")


def _timeline_row(entry: dict[str, Any], lookback: int) -> str:
    e = html.escape
    env = entry["environment"]
    name = env.get("name") or env["id"]
    ident = f'<div class="rel">{e(env["id"])}</div>' if name != env["id"] else ""
    release = f'<code class="rid">{e(entry["release_id"])}</code>' if entry["release_id"] else ""
    forced = f'<div class="note">forced through {e(entry["forced"])}</div>' if entry["forced"] else ""
    changes = "".join(f"<li>{e(c)}</li>" for c in _changes_text(entry, lookback))
    return (
        f'<tr><td><time>{e(entry["date_requested"])}</time><div class="rel">{e(entry["ago"])}</div></td>'
        f"<td>{e(name)}{ident}</td>"
        f"<td>{_entry_marks(entry)}</td><td>{release}</td><td>{_person(entry['requested_by'])}</td>"
        f'<td><span class="why">{e(entry["description"])}</span>{forced}</td>'
        f'<td><ul class="chg">{changes}</ul></td></tr>'
    )


def _html_timeline(data: dict[str, Any]) -> str:
    rows = "".join(_timeline_row(entry, data["lookback"]) for entry in data["timeline"])
    if not rows:
        return '<p class="note">Nothing deployed yet.</p>'
    return (
        '<table id="timeline"><tr><th>when</th><th>environment</th><th>what</th><th>release</th><th>by</th>'
        f"<th>description</th><th>images changed</th></tr>{rows}</table>"
    )


def render_html(data: dict[str, Any]) -> str:
    e = html.escape
    body = (
        f'<h2>Environments</h2><div class="cards">{"".join(_card(env) for env in data["environments"])}</div>'
        f"<h2>What runs where</h2>{_html_grid(data)}"
        f'<h2 id="waiting">Waiting to ship</h2>{_html_pending(data)}'
        f"<h2>Recent deployments and freezes</h2>{_html_timeline(data)}"
    )
    title = f"{data['project']['name']} — releases"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
        f"<style>{CSS}</style></head><body>"
        f"<h1>{e(data['project']['name'])}</h1>"
        f'<p class="sub">Project <code>{e(data["project"]["id"])}</code> · generated {e(data["generated"])}'
        " (times are UTC; “ago” is from then) · release ids select with one click</p>"
        f"{_legend(body)}{body}</body></html>\n"
    )
