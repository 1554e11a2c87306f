"""A static report a person would rather look at than read tables.

Environments × services with each image's tag and release, and a timeline of
recent deployments. HTML is self-contained (inline CSS, no scripts, no network);
Markdown renders on any code host.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from tracker.model.images import tag_and_digest
from tracker.model.project import Project
from tracker.model.records import EnvironmentStatus, HistoryEntry, short_id

PALETTE = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4f46e5", "#65a30d"]


def image_tag(uri: str) -> str:
    """The human part of an image URI: the tag (or last path segment), and ``@`` a short digest if pinned."""
    tag, digest = tag_and_digest(uri)
    return f"{tag}@{digest}" if digest else tag


def collect(
    project: Project, status: list[EnvironmentStatus], timeline: list[HistoryEntry]
) -> dict[str, Any]:
    """The report's data: one row per service, one column per environment."""
    by_environment = {s.environment_id: {"release_id": s.release_id, "images": s.images} for s in status}
    environments = list(project.environments or {}) or sorted(by_environment)
    environments += [e for e in sorted(by_environment) if e not in environments]
    return {
        "project": project.as_reference(),
        "generated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "environments": environments,
        "services": project.service_ids,
        "ecs_services": {k: list(v) for k, v in project.ecs_services.items()},
        "status": by_environment,
        "timeline": [entry.as_dict() for entry in timeline],
    }


def gather(
    project: Project, store: Any, parameters: Any, *, limit: int = 20, pin: str = "tag+digest"
) -> dict[str, Any]:
    """Everything the report shows, read from the store (see ``collect``)."""
    from tracker.workflows.audit import status
    from tracker.workflows.history import history

    return collect(project, status(project, store), history(project, store, None, limit))


def render_markdown(data: dict[str, Any]) -> str:
    envs, status = data["environments"], data["status"]
    lines = [
        f"# {data['project']['name']} (`{data['project']['id']}`)",
        "",
        f"Generated {data['generated']}.",
        "",
        "## What runs where",
        "",
    ]
    lines.append("| service | " + " | ".join(envs) + " |")
    lines.append("|---|" + "---|" * len(envs))
    for service in data["services"]:
        cells = []
        for env in envs:
            image = status.get(env, {}).get("images", {}).get(service)
            release = status.get(env, {}).get("release_id", "")
            cells.append(f"`{image_tag(image)}` ({short_id(release)})" if image else "—")
        ecs = data.get("ecs_services", {}).get(service)
        runs = f" (ECS: {', '.join(ecs)})" if ecs else ""
        lines.append(f"| {service}{runs} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Recent deployments",
        "",
        "| when | environment | release | by | why |",
        "|---|---|---|---|---|",
    ]
    for entry in data["timeline"]:
        why = entry["description"].replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| {entry['date_requested']} | {entry['environment']['id']} | "
            f"`{short_id(entry['release_id'])}` | {entry['requested_by']['name']} | {why} |"
        )
    return "\n".join(lines) + "\n"


CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem;color:#111827;background:#f9fafb}
h1{font-size:1.6rem;margin:0 0 .2rem} h2{font-size:1.15rem;margin:2rem 0 .6rem}
.sub{color:#6b7280;margin:0 0 1.2rem}
table{border-collapse:collapse;background:#fff;box-shadow:0 1px 3px #0002;border-radius:8px;overflow:hidden}
th,td{padding:.55rem .9rem;text-align:left;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{background:#1f2937;color:#fff;font-weight:600}
.tag{display:inline-block;padding:.1rem .5rem;border-radius:999px;color:#fff;
  font:600 13px ui-monospace,monospace}
.rel{color:#6b7280;font:12px ui-monospace,monospace}
.none{color:#9ca3af}
.diff{outline:2px solid #f59e0b;outline-offset:-2px}
ol.timeline{list-style:none;padding:0;margin:0;border-left:3px solid #d1d5db}
ol.timeline li{margin:0 0 .9rem 0;padding-left:1rem;position:relative}
ol.timeline li:before{content:"";position:absolute;left:-8px;top:.35rem;width:13px;height:13px;
  border-radius:50%;background:var(--c)}
.when{color:#6b7280;font:13px ui-monospace,monospace}
.why{color:#374151}
"""


def _color(release_id: str, colors: dict[str, str]) -> str:
    if release_id not in colors:
        colors[release_id] = PALETTE[len(colors) % len(PALETTE)]
    return colors[release_id]


def render_html(data: dict[str, Any]) -> str:
    e = html.escape
    envs, status = data["environments"], data["status"]
    colors: dict[str, str] = {}
    head = "".join(f"<th>{e(env)}</th>" for env in envs)
    rows = []
    for service in data["services"]:
        images = [status.get(env, {}).get("images", {}).get(service) for env in envs]
        differs = len({i for i in images if i}) > 1
        cells = []
        for env, image in zip(envs, images, strict=True):
            if not image:
                cells.append('<td class="none">not deployed</td>')
                continue
            release = status[env]["release_id"]
            cells.append(
                f'<td class="{"diff" if differs else ""}" title="{e(image)}">'
                f'<span class="tag" style="background:{_color(release, colors)}">{e(image_tag(image))}</span>'
                f'<div class="rel">release {e(short_id(release))}</div></td>'
            )
        ecs = data.get("ecs_services", {}).get(service)
        runs = f'<div class="rel">ECS: {e(", ".join(ecs))}</div>' if ecs else ""
        rows.append(f"<tr><th>{e(service)}{runs}</th>{''.join(cells)}</tr>")
    items = []
    for entry in data["timeline"]:
        why = f' — <span class="why">{e(entry["description"])}</span>' if entry["description"] else ""
        color = _color(entry["release_id"], colors)
        short = e(short_id(entry["release_id"]))
        items.append(
            f'<li style="--c:{color}"><span class="when">{e(entry["date_requested"])}</span> '
            f"<b>{e(entry['environment']['id'])}</b> ← release <code>{short}</code> "
            f"by {e(entry['requested_by']['name'])}{why}</li>"
        )
    timeline = "".join(items) or "<li>No deployments yet.</li>"
    title = f"{data['project']['name']} — releases"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
        f"<style>{CSS}</style></head><body>"
        f"<h1>{e(data['project']['name'])}</h1>"
        f'<p class="sub">Project <code>{e(data["project"]["id"])}</code> · generated {e(data["generated"])}'
        " · cells outlined in amber differ between environments</p>"
        f"<h2>What runs where</h2><table><tr><th>service</th>{head}</tr>{''.join(rows)}</table>"
        f'<h2>Recent deployments</h2><ol class="timeline">{timeline}</ol>'
        "</body></html>\n"
    )
