"""The report as one self-contained HTML file: inline CSS, no scripts, no network.

One colour means one thing, and the legend lists exactly the colours the page uses.
"""

from __future__ import annotations

import html
import re
from typing import Any

from tracker.model.entries import short_id
from tracker.report import approval_text, cell_drift, changes_text, differs, image_tag

# One colour per meaning; every element showing one carries the meaning's class, so the legend
# can list exactly the colours the page uses.
MEANINGS = {
    "differs": ("#f59e0b", "image differs between environments"),
    "drift": ("#dc2626", "drift: SSM disagrees with the record"),
    "frozen": ("#7c3aed", "frozen, freeze or deployment window closed"),
    "forced": ("#c026d3", "forced deployment"),
    "rollback": ("#0d9488", "rollback"),
    "verified": ("#166534", "verified: ECS runs it (tracker wait)"),
    "failed": ("#9f1239", "rollout failed in ECS (tracker wait)"),
    "blocked": ("#7c2d12", "blocked: a freeze, window or promotion policy refuses it now"),
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
    marks += _outcome_badge(env.get("outcomes"))
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
    drift = cell_drift(data, env["id"], service)
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
        changed = differs(data, service)
        cells = "".join(_grid_cell(data, env, service, changed) for env in envs)
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
        f"{rows}</table>{_html_blocked(found)}"
    )


def _html_blocked(found: dict[str, Any]) -> str:
    """Per environment, each release it could take next and what refuses it now."""
    e = html.escape
    items = []
    for env, candidates in found.get("blocked", {}).items():
        for release_id, lines in candidates.items():
            rid = f'<code class="rid" title="{e(release_id)}">{e(short_id(release_id))}</code>'
            verdict = (
                _badge("blocked", "blocked") + " " + e("; ".join(lines)) if lines else "nothing blocks it"
            )
            items.append(f"<li><b>{e(env)}</b> · release {rid}: {verdict}</li>")
    return f'<ul class="plain" id="blocked">{"".join(items)}</ul>' if items else ""


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
    marks = marks or [_badge("deploy", "deployed")]
    return "<br>".join(marks + _outcome_badge(entry.get("outcomes")))


def _outcome_badge(outcomes: list[dict[str, Any]] | None) -> list[str]:
    """The deployment's latest verdict as a badge (its reason on hover); none when never checked."""
    if not outcomes:
        return []
    last = outcomes[-1]
    return [_badge(last["status"], last["status"], f"{last['date']}: {last['reason']}")]


def _timeline_row(entry: dict[str, Any], lookback: int) -> str:
    e = html.escape
    env = entry["environment"]
    name = env.get("name") or env["id"]
    ident = f'<div class="rel">{e(env["id"])}</div>' if name != env["id"] else ""
    release = f'<code class="rid">{e(entry["release_id"])}</code>' if entry["release_id"] else ""
    forced = f'<div class="note">forced through {e(entry["forced"])}</div>' if entry["forced"] else ""
    forced += "".join(f'<div class="note">{e(approval_text(a))}</div>' for a in entry.get("approvals") or ())
    changes = "".join(f"<li>{e(c)}</li>" for c in changes_text(entry, lookback))
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
