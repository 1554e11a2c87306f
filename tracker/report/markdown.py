"""The report as Markdown: renders on any code host (a CI job summary, a pull request)."""

from __future__ import annotations

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
        if env.get("outcomes"):
            last = env["outcomes"][-1]
            marks += f" **{last['status']}** {_md(last['reason'])}"
        by = (env["requested_by"] or {}).get("name", "")
        lines.append(
            f"| {_md_name(env)} | `{env['release_id']}` | {env['deployed_at']} ({env['ago']}) | {_md(by)} | "
            f"{_md(env['description'])}{marks} | {'<br>'.join(holds)} |"
        )
    return lines


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
            for d in cell_drift(data, env["id"], service):
                cell += f" **DRIFT**: SSM has `{image_tag(d['in_ssm'])}`" if d["in_ssm"] else " **DRIFT**"
            cells.append(cell)
        ecs = data.get("ecs_services", {}).get(service)
        runs = f" (ECS: {', '.join(ecs)})" if ecs else ""
        changed = "yes" if differs(data, service) else ""
        lines.append(f"| {service}{runs} | " + " | ".join(cells) + f" | {changed} |")
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
    if not started(found):
        return [*lines, nothing_waits(found)]
    newest = f"`{found['newest_release_id']}`" if found["newest_release_id"] else "none yet"
    lines += [f"Label `{found['label']}`; newest release {newest}.", ""]
    if not found["waiting"]:
        return [*lines, nothing_waits(found)]
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
    blocked = [
        f"- {env}: release `{short_id(release_id)}`: "
        + (f"**blocked**: {_md('; '.join(why))}" if why else "nothing blocks it")
        for env, candidates in found.get("blocked", {}).items()
        for release_id, why in candidates.items()
    ]
    return [*lines, "", *blocked] if blocked else lines


def _what(entry: dict[str, Any]) -> str:
    """What a timeline entry did, in words: ``deployment``, ``rollback``, ``forced``, ``freeze``..."""
    if entry["kind"] != "deployment":
        return entry["kind"] + (f" until {entry['until']}" if entry.get("until") else "")
    words = ["rollback" if entry["rollback"] else "deployment"]
    verdict = [entry["outcomes"][-1]["status"]] if entry.get("outcomes") else []
    return " ".join(words + (["forced"] if entry["forced"] else []) + verdict)


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
        why += "".join(f"<br>{_md(approval_text(a))}" for a in entry.get("approvals") or ())
        release = f"`{entry['release_id']}`" if entry["release_id"] else ""
        changes = "<br>".join(f"`{_md(c)}`" for c in changes_text(entry, data["lookback"]))
        lines.append(
            f"| {entry['date_requested']} ({entry['ago']}) | {name} | {_what(entry)} | {release} | "
            f"{_md((entry['requested_by'] or {}).get('name', ''))} | {why} | {changes} |"
        )
    if not data["timeline"]:
        lines.append("| | | nothing deployed yet | | | | |")
    return lines


def _md_metrics(data: dict[str, Any]) -> list[str]:
    """The four keys per environment over the last ``METRICS_DAYS`` (``tracker metrics --all``'s)."""
    lines = [f"## Delivery metrics — last {METRICS_DAYS} days", ""]
    if data["metrics_error"] is not None:
        return [*lines, f"Could not compute them: {_md(data['metrics_error'])}"]
    found = data["metrics"]
    if found is None:
        return [*lines, "Not read."]
    if not found["environments"]:
        return [*lines, "No environment has a deployment: no deployments in the window."]
    names = {e["id"]: e for e in data["environments"]}
    lines += [
        f"From {found['since'][:10]} to {found['until'][:10]} (UTC); counted as a failure: "
        f"{failure_signs(found['environments'][0])}.",
        "",
        "| environment | deployments · per week | lead time for changes | change failure rate "
        "| recovery time |",
        "|---|---|---|---|---|",
    ]
    for measured in found["environments"]:
        env = names.get(
            measured["environment"], {"id": measured["environment"], "name": measured["environment"]}
        )
        keys = key_texts(measured)
        cells = " | ".join(keys[k] for k in ("deployments", "lead", "failure", "recovery"))
        lines.append(f"| {_md_name(env)} | {cells} |")
    return lines


def _md_project(data: dict[str, Any]) -> list[str]:
    """One project's sections (``##`` headings)."""
    lines: list[str] = []
    for part in (_md_environments, _md_grid, _md_pending, _md_metrics, _md_timeline):
        lines += ["", *part(data)]
    return lines


def _md_summary(parts: list[dict[str, Any]]) -> list[str]:
    """A page of several projects' first table: per project and environment, what runs since when."""
    lines = ["| project | environment | release | deployed |", "|---|---|---|---|"]
    for part in parts:
        project = f"{_md(part['project']['name'])} (`{part['project']['id']}`)"
        if part.get("error") or not part.get("environments"):
            why = f"could not be read: {_md(part['error'])}" if part.get("error") else "no environment"
            lines.append(f"| {project} | {why} | | |")
        for env in part.get("environments") or []:
            release = f"`{short_id(env['release_id'])}`" if env["release_id"] else "nothing deployed"
            held = " **FROZEN**" if env["freeze"] or env["closed"] else ""
            lines.append(f"| {project} | {_md_name(env)} | {release} | {env['ago'] or ''}{held} |")
    return lines


def _md_several(page: dict[str, Any]) -> str:
    """Several projects: the summary, then each project's sections a heading level down."""
    parts = page["projects"]
    lines = [f"# Releases of {len(parts)} projects", "", f"Generated {page['generated']}.", ""]
    lines += _md_summary(parts)
    for part in parts:
        lines += ["", f"## {_md(part['project']['name'])} (`{part['project']['id']}`)"]
        if part.get("error"):
            lines += ["", f"Could not be read: {_md(part['error'])}"]
            continue
        # Every line starting with # is one of our headings: user text only ever sits in table rows.
        lines += [f"#{line}" if line.startswith("#") else line for line in _md_project(part)]
    return "\n".join(lines) + "\n"


def render_markdown(data: dict[str, Any]) -> str:
    """The Markdown of one project (``gather``'s data), or of several (``several``'s)."""
    if "projects" in data:
        return _md_several(data)
    lines = [
        f"# {data['project']['name']} (`{data['project']['id']}`)",
        "",
        f"Generated {data['generated']}.",
        *_md_project(data),
    ]
    return "\n".join(lines) + "\n"
