"""The report as one self-contained HTML file: inline CSS and SVG, no scripts, no network.

One colour means one thing, and the legend lists exactly the colours the page uses. A release id
reads the same everywhere: its short id, the whole id on hover and in a click's selection.
"""

from __future__ import annotations

import html
import re
from typing import Any

from tracker.model.entries import short_id
from tracker.report import (
    METRICS_DAYS,
    approval_text,
    cell_drift,
    changes_text,
    differs,
    failure_signs,
    image_tag,
    key_texts,
    nothing_waits,
    started,
)
from tracker.report.charts import bars, trend

# One colour per meaning; every element showing one carries the meaning's class, so the legend
# can list exactly the colours the page uses. Any two are at least 33 apart in CIE Lab
# (tests/unit/test_report_palette.py), and the page's own headers and backgrounds are greys.
MEANINGS = {
    "differs": ("#f59e0b", "image differs between environments"),
    "drift": ("#dc2626", "drift: SSM disagrees with the record"),
    "frozen": ("#7c3aed", "frozen, freeze or deployment window closed"),
    "forced": ("#1f2937", "forced deployment"),
    "rollback": ("#0d9488", "rollback"),
    "verified": ("#4d7c0f", "verified: ECS runs it (tracker wait)"),
    "failed": ("#9f1239", "rollout failed in ECS (tracker wait)"),
    "blocked": ("#92400e", "blocked: a freeze, window or promotion policy refuses it now"),
    "deploy": ("#2563eb", "deployment (a badge: an ordinary one; a bar: all of a week)"),
    "lead": ("#0284c7", "lead time for changes, median per week"),
    "none": ("#9ca3af", "not deployed"),
    "waiting": ("#ec4899", "waiting to ship"),
}

CSS = """
*{box-sizing:border-box} a{color:inherit} time{white-space:nowrap} .why{white-space:pre-wrap}
body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem 2rem;color:#111827;background:#f9fafb}
h1{font-size:1.6rem;margin:0 0 .2rem} h2,.project h3{font-size:1.15rem;margin:2rem 0 .6rem}
h3,h4{font-size:1.05rem;margin:0 0 .4rem}
.project>h2{font-size:1.45rem;margin-top:2.8rem;padding-bottom:.2rem;border-bottom:2px solid #d1d5db}
.sub,.rel,.id,.note{color:#475569} .sub{margin:0 0 .8rem} .note{font-style:italic}
.rel{font:12px ui-monospace,monospace} .id{font:500 13px ui-monospace,monospace}
code{font:13px ui-monospace,monospace} .rid .rest{font-size:0}
.rid{user-select:all;-webkit-user-select:all;background:#eef2f7;padding:.05rem .3rem;border-radius:4px;
  white-space:nowrap;cursor:copy}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;margin:0 0 1rem;padding:0;list-style:none}
.sw{display:inline-block;width:.9rem;height:.9rem;border-radius:3px;vertical-align:-2px;margin-right:.35rem;
  background:var(--c)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:1rem}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002;padding:1rem 1.1rem;
  border-left:6px solid #e5e7eb}
.card.k-frozen{border-left-color:var(--c)} .card p{margin:.35rem 0} .hold{color:var(--c);font-weight:600}
.b{display:inline-block;padding:.05rem .5rem;border-radius:999px;color:#fff;background:var(--c);
  font:600 12px/1.5 system-ui,sans-serif;white-space:nowrap}
table{border-collapse:collapse;background:#fff;box-shadow:0 1px 3px #0002;border-radius:8px;width:100%}
th,td{padding:.5rem .8rem;text-align:left;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{background:#e5e7eb;font-weight:600} tr th:first-child{width:14rem}
.tag{display:inline-block;padding:.05rem .5rem;border-radius:999px;background:#f1f5f9;
  border:1px solid #cbd5e1;font:600 13px ui-monospace,monospace}
td.k-differs{outline:3px solid var(--c);outline-offset:-3px} td.k-none{color:var(--c)}
.ssm{color:var(--c);font:12px ui-monospace,monospace} ul.plain{margin:.5rem 0;padding-left:1.2rem}
ul.chg{margin:0;padding:0;list-style:none;font:13px ui-monospace,monospace;white-space:nowrap}
.chart{display:block;overflow:visible} .chart .bar,.chart .dot{fill:var(--c)}
.chart .trend{fill:none;stroke:var(--c);stroke-width:2} .chart .base{stroke:#cbd5e1}
.chart text{font:10px system-ui,sans-serif;fill:#475569} .chart .n{fill:#111827;font-weight:600}
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


def _rid(release_id: str) -> str:
    """A release id, one form everywhere: the short id shows (what people read and type), the whole id
    is on hover and in the text -- the rest at zero size, so a click selects and copies all of it."""
    e = html.escape
    short = short_id(release_id)
    start = len(release_id) - len(release_id.rpartition(":")[2])
    head, tail = release_id[:start], release_id[start + len(short) :]
    rest = [f'<span class="rest">{e(part)}</span>' if part else "" for part in (head, tail)]
    return f'<code class="rid" title="{e(release_id)}">{rest[0]}{e(short)}{rest[1]}</code>'


def _words(text: str) -> str:
    """Text shared with the Markdown (``nothing_waits``): escaped, its `backticks` as code."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(text))


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
        f"<p>release {_rid(env['release_id'])}</p>"
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
        f'<div class="rel">release {_rid(env["release_id"])}</div></td>'
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
    if not started(found):
        return f'<p class="note" id="nothing-yet">{_words(nothing_waits(found))}</p>'
    newest = found["newest_release_id"]
    shown = _rid(newest) if newest else "none yet"
    intro = f"<p>Label <code>{e(found['label'])}</code> · newest release {shown}</p>"
    if not found["waiting"]:
        return f'{intro}<p class="note">{_words(nothing_waits(found))}</p>'
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
            shown = _rid(release_id)
            verdict = (
                _badge("blocked", "blocked") + " " + e("; ".join(lines)) if lines else "nothing blocks it"
            )
            items.append(f"<li><b>{e(env)}</b> · release {shown}: {verdict}</li>")
    return f'<ul class="plain" id="blocked">{"".join(items)}</ul>' if items else ""


def _entry_marks(entry: dict[str, Any]) -> str:
    e = html.escape
    if entry["kind"] != "deployment":
        until = f" until {e(entry['until'])}" if entry.get("until") else ""
        return _badge("frozen", entry["kind"]) + until
    marks = []
    if entry["rollback"]:
        source = entry["rollback_from"]
        marks.append(_badge("rollback", "rollback") + (f" from {_rid(source)}" if source else ""))
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
    release = _rid(entry["release_id"]) if entry["release_id"] else ""
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


# -- delivery metrics: a row per environment, two small charts each, one scale for all ----------
def _metrics_row(found: dict[str, Any], env: dict[str, Any], tops: tuple[int, float]) -> str:
    e = html.escape
    keys = key_texts(found)
    cells = "".join(f"<td>{e(keys[k])}</td>" for k in ("deployments", "lead", "failure", "recovery"))
    periods = found["periods"]
    if not found["deployment_frequency"]["deployments"] or not periods:
        charts = '<td colspan="2" class="note">no deployments in the window</td>'
    else:
        charts = (
            f"<td>{bars(env['name'], periods, tops[0])}</td><td>{trend(env['name'], periods, tops[1])}</td>"
        )
    return f"<tr>{_env_th(env)}{cells}{charts}</tr>"


def _html_metrics(data: dict[str, Any]) -> str:
    """DORA's four keys per environment, as numbers and as two small charts drawn on shared scales."""
    e = html.escape
    if data["metrics_error"] is not None:
        return f'<p class="note" id="metrics-error">Could not compute them: {e(data["metrics_error"])}</p>'
    found = data["metrics"]
    if found is None:
        return '<p class="note">Not read.</p>'
    if not found["environments"]:
        return '<p class="note">No environment has a deployment: no deployments in the window.</p>'
    names = {env["id"]: env for env in data["environments"]}
    periods = [p for m in found["environments"] for p in m["periods"]]
    tops = (
        max(p["deployment_frequency"]["deployments"] for p in periods),
        max(p["lead_time_seconds"]["median"] or 0 for p in periods),
    )
    rows = "".join(
        _metrics_row(m, names.get(m["environment"], {"id": m["environment"], "name": m["environment"]}), tops)
        for m in found["environments"]
    )
    intro = (
        f'<p class="note">From {e(found["since"][:10])} to {e(found["until"][:10])} (UTC), by week from '
        f"Monday, the first and last cut to the window. Counted as a failure: "
        f"{e(failure_signs(found['environments'][0]))}. The charts share one scale.</p>"
    )
    return (
        f"{intro}<table><tr><th>environment</th><th>deployments · per week</th><th>lead time for changes</th>"
        "<th>change failure rate</th><th>recovery time</th><th>deployments per week</th>"
        f"<th>lead time per week</th></tr>{rows}</table>"
    )


# -- the page: one project, or several (a weco-deploy manifest) ---------------------------------
RID_NOTE = "release ids show their short id: hover for the whole id, a click selects all of it to copy"


def _body(data: dict[str, Any]) -> str:
    """One project's sections."""
    return (
        f'<h2>Environments</h2><div class="cards">{"".join(_card(env) for env in data["environments"])}</div>'
        f"<h2>What runs where</h2>{_html_grid(data)}"
        f'<h2 id="waiting">Waiting to ship</h2>{_html_pending(data)}'
        f'<h2 id="metrics">Delivery metrics — last {METRICS_DAYS} days</h2>{_html_metrics(data)}'
        f"<h2>Recent deployments and freezes</h2>{_html_timeline(data)}"
    )


def _nest(body: str, scope: str) -> str:
    """A project's sections one heading level down and its ids prefixed, for a page of several.

    Rewriting the page's own markup is safe: every user text went through
    html.escape (quotes too), so ``<h`` and `` id="`` only start our headings and ids.
    """
    deeper = re.sub(r"<(/?)h([1-5])\b", lambda m: f"<{m[1]}h{int(m[2]) + 1}", body)
    return deeper.replace(' id="', f' id="{html.escape(scope)}-')


def _summary_rows(part: dict[str, Any]) -> str:
    """A project's rows in the page's first table: per environment, what it runs and since when."""
    e = html.escape
    ref = part["project"]
    link = f'<a href="#project-{e(ref["id"])}">{e(ref["name"])}</a>'
    envs = part.get("environments") or []
    if part.get("error") or not envs:
        why = f"could not be read: {part['error']}" if part.get("error") else "no environment"
        return f'<tr><th>{link}</th><td colspan="3" class="note">{e(why)}</td></tr>'
    rows = []
    for index, env in enumerate(envs):
        head = f'<th rowspan="{len(envs)}">{link}</th>' if index == 0 else ""
        release = _rid(env["release_id"]) if env["release_id"] else _badge("none", "nothing deployed")
        held = " " + _badge("frozen", "frozen") if env["freeze"] or env["closed"] else ""
        rows.append(
            f"<tr>{head}<td>{e(env['name'])}</td><td>{release}</td><td>{e(env['ago'] or '')}{held}</td></tr>"
        )
    return "".join(rows)


def _project_section(part: dict[str, Any]) -> str:
    e = html.escape
    ref = part["project"]
    head = f'<h2 id="project-{e(ref["id"])}">{e(ref["name"])} <span class="id">{e(ref["id"])}</span></h2>'
    if part.get("error"):
        body = f'<p class="note">Could not be read: {e(part["error"])}</p>'
    else:
        body = _nest(_body(part), ref["id"])
    return f'<section class="project">{head}{body}</section>'


def _page(title: str, heading: str, sub: str, body: str) -> str:
    e = html.escape
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
        f"<style>{CSS}</style></head><body><h1>{e(heading)}</h1>"
        f'<p class="sub">{sub}</p>{_legend(body)}{body}</body></html>\n'
    )


def render_html(data: dict[str, Any]) -> str:
    """The page of one project (``gather``'s data), or of several (``several``'s)."""
    e = html.escape
    if "projects" in data:
        parts = data["projects"]
        head = "<tr><th>project</th><th>environment</th><th>release</th><th>deployed</th></tr>"
        summary = f'<table id="summary">{head}{"".join(_summary_rows(p) for p in parts)}</table>'
        body = summary + "".join(_project_section(p) for p in parts)
        sub = (
            f"{len(parts)} projects of <code>{e(data['source'])}</code> · generated {e(data['generated'])} "
            f"(times are UTC; “ago” is from then) · {RID_NOTE}"
        )
        return _page("Releases", f"Releases of {len(parts)} projects", sub, body)
    project = data["project"]
    sub = (
        f"Project <code>{e(project['id'])}</code> · generated {e(data['generated'])}"
        f" (times are UTC; “ago” is from then) · {RID_NOTE}"
    )
    return _page(f"{project['name']} — releases", project["name"], sub, _body(data))
