"""`tracker report`: the data it must show, self-contained HTML, and a real render in headless Chromium."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.support.cli import REGISTRY, Cli
from tracker.model.entries import DeploymentEntry, EnvironmentRef, Person, short_id
from tracker.model.results import HistoryEntry
from tracker.report import LOOKBACK, collect
from tracker.report.html import render_html
from tracker.report.markdown import render_markdown

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


STAGE = "Simon's staging sideshow!"
PROD = "Peters prod palace!"


def run(project_file: Path, *args: str, code: int = 0) -> str:
    return Cli(project_file, user="ops")(*args, code=code).stdout


def seed(project_file: Path) -> tuple[str, str]:
    for tag in ("v1", "v2"):
        for service in ("hatching", "feeding"):
            run(project_file, "publish", service, f"{REGISTRY}/{service}:{tag}")
        if tag == "v1":
            r1 = json.loads(run(project_file, "release", "create", "-o", "json"))["release_id"]
            run(project_file, "deploy", r1, "prod", "-d", "first <b>prod</b> release")
            run(project_file, "deploy", r1, "stage", "-d", "stage it")
    r2 = json.loads(run(project_file, "release", "create", "-o", "json"))["release_id"]
    run(project_file, "deploy", r2, "stage", "-d", "try v2 <script>alert(1)</script>")
    return r1, r2


def seed_a_busy_week(aws: Any, project_file: Path) -> tuple[str, str]:
    """Releases v1 and v2, a rollback, a freeze, a deployment forced through it, v3 unreleased, and drift."""
    r1, r2 = seed(project_file)
    run(project_file, "rollback", "stage", "-d", "v2 hatching <i>crashes</i>", "--user-name", "Ophelia Ops")
    run(project_file, "freeze", "prod", "--reason", "incident 42", "--user-name", "Fred Freezer")
    run(project_file, "deploy", r2, "prod", "--force", "-d", "hotfix", "--user-name", "Hattie Hotfix")
    run(project_file, "publish", "hatching", f"{REGISTRY}/hatching:v3")
    aws.ssm.put_parameter(
        Name="/bugfarm_73649/deployments/stage/hatching",
        Value=f"{REGISTRY}/hatching:rogue",
        Type="String",
        Overwrite=True,
    )
    # What the page must agree with, from the tracker's own commands.
    assert "hatching" in run(project_file, "pending", code=1)
    assert "rogue" in run(project_file, "verify", code=1)
    return r1, r2


def shown(text: str) -> str:
    """The page as drawn: release ids' hidden parts (size 0, there for hover and copy) removed."""
    return re.sub(r'<span class="rest">[^<]*</span>', "", text)


def drawn(text: str) -> str:
    """The words a reader sees: tags and hidden id parts gone (titles, shown on hover, too)."""
    return re.sub(r"<[^>]+>", "", shown(text))


def rid_html(release_id: str) -> str:
    """A release id as the page writes it: its short id shown, the rest hidden, the whole in title."""
    project, _, uuid = release_id.partition(":")
    return (
        f'<code class="rid" title="{release_id}"><span class="rest">{project}:</span>{uuid[:8]}'
        f'<span class="rest">{uuid[8:]}</span></code>'
    )


def section(text: str, heading: str) -> str:
    """The HTML between an <h2> containing ``heading`` and the next <h2> (or the end)."""
    start = text.index(heading, text.index("<h2"))
    end = text.find("<h2", start)
    return text[start : end if end > 0 else len(text)]


def test_html_report_shows_what_runs_where_and_renders(aws: Any, bugfarm_file: Path, tmp_path: Path) -> None:
    r1, r2 = seed(bugfarm_file)
    page = tmp_path / "report.html"
    assert f"wrote {page}" in run(bugfarm_file, "report", "-o", str(page))
    text = page.read_text()
    for expected in [
        "The Best Bug Farm",
        f"<th>{html.escape(STAGE)}<div",
        f"<th>{html.escape(PROD)}<div",
        "<th>hatching</th>",
        "<th>feeding</th>",
        ">v1<",
        ">v2<",
        f"release {rid_html(r1)}",
        f"release {rid_html(r2)}",
        "stage it",
        "first &lt;b&gt;prod&lt;/b&gt; release",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
    ]:
        assert expected in text, expected
    # Self-contained: nothing fetched, nothing executed.
    for forbidden in ["<script", "<link", "src=", "url(", "@import", "http://", "https://"]:
        assert forbidden not in text.lower(), forbidden
    # Newest deployment first in the timeline.
    timeline = section(text, "Recent deployments")
    assert timeline.index("try v2") < timeline.index("stage it") < timeline.index("first &lt;b&gt;")
    shot = screenshot(page, tmp_path, "1100,700")
    from PIL import Image

    with Image.open(shot) as image:
        colors = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    # A blank page has one colour; text, tags and table rules make hundreds.
    assert len(colors) > 50, len(colors)


def test_the_report_answers_a_release_manager(aws: Any, bugfarm_file: Path, tmp_path: Path) -> None:
    r1, r2 = seed_a_busy_week(aws, bugfarm_file)
    page = tmp_path / "report.html"
    run(bugfarm_file, "report", "-o", str(page))
    text = page.read_text()

    # Environments, in the manifest's order, by their names (escaped) and ids.
    cards = section(text, "Environments")
    assert cards.index(html.escape(STAGE)) < cards.index(PROD)
    assert '<span class="id">stage</span>' in cards and '<span class="id">prod</span>' in cards
    stage, prod = cards.split("<section")[1:]
    assert html.escape(STAGE) in stage and PROD in prod
    # Stage runs r1 again (the rollback), prod runs r2 (forced through the freeze): one id form,
    # 8 characters drawn, the whole id on hover and in a one-click selection.
    assert rid_html(r1) in stage and r2 not in stage.split("rollback of")[0]
    assert rid_html(r2) in prod and short_id(r2) in drawn(prod) and r2 not in drawn(prod)
    assert "user-select:all" in text
    assert re.search(r"\b\d+ s ago\b", stage) and re.search(r"\b\d+ s ago\b", prod)
    assert "Ophelia Ops" in stage and "v2 hatching &lt;i&gt;crashes&lt;/i&gt;" in stage
    assert "rollback" in stage
    assert "Hattie Hotfix" in prod and "hotfix" in prod and ">forced<" in prod
    # The freeze is on prod's card, with its reason and who froze it; stage is not frozen.
    assert "frozen" in prod and "incident 42" in prod and "Fred Freezer" in prod
    assert "k-frozen" in prod and "k-frozen" not in stage

    # The grid: drift on stage/hatching, visible in the cell and listed below.
    grid = section(text, "What runs where")
    row = grid[grid.index("<th>hatching</th>") : grid.index("</tr>", grid.index("<th>hatching</th>"))]
    stage_cell = row.split("<td")[1]
    assert "k-drift" in stage_cell and ">drift<" in stage_cell and "SSM has rogue" in stage_cell
    assert f"SSM has {REGISTRY}/hatching:rogue, release {r1} has {REGISTRY}/hatching:v1" in grid
    assert f"release {rid_html(r1)}" in row  # the grid's id: the same form as everywhere
    assert "k-drift" not in row.split("<td")[2]  # prod's hatching agrees
    assert "k-differs" in row  # stage runs v1, prod v2
    assert grid.count("k-drift") >= 2 and 'id="drift"' in grid

    # What waits: hatching v3 at the label is in no release; stage does not run the newest release.
    waiting = section(text, "Waiting to ship")
    assert ">v3<" in waiting and "published, not released" in waiting and rid_html(r2) in waiting
    assert waiting.count(">waiting<") == 2  # hatching and feeding, in stage

    # The timeline: newest first, with what each deployment changed in its environment.
    timeline = section(text, "Recent deployments")
    rows = timeline.split("<tr>")[2:]
    assert len(rows) == 6, len(rows)  # 5 deployments and the freeze
    forced, freeze, rollback, try_v2, stage_it, first = rows[0], rows[1], rows[2], rows[3], rows[4], rows[5]
    assert "hotfix" in forced and ">forced<" in forced and "incident 42" in forced  # forced through what
    assert "hatching: v1 → v2" in forced and "feeding: v1 → v2" in forced
    assert ">freeze<" in freeze and "incident 42" in freeze and "Fred Freezer" in freeze
    assert ">rollback<" in rollback and "hatching: v2 → v1" in rollback and "feeding: v2 → v1" in rollback
    assert "try v2" in try_v2 and "hatching: v1 → v2" in try_v2 and ">deployed<" in try_v2
    assert "stage it" in stage_it and "first deployment" in stage_it
    assert "first &lt;b&gt;" in first and "first deployment" in first
    assert "first deployment" not in "".join(rows[:4])

    # Delivery metrics: per environment the four keys and two charts, a bar per week; the bars'
    # counts add up to the deployments made (stage: r1, r2, the rollback; prod: r1, r2 forced).
    metrics = section(text, "Delivery metrics")
    for name, made in ((html.escape(STAGE), 3), (PROD, 2)):
        row = metrics[metrics.index(f"<th>{name}") :].split("</tr>")[0]
        assert row.count('<svg class="chart k-deploy"') == 1 and row.count('<svg class="chart k-lead"') == 1
        counts = re.findall(
            r"<rect class=\"bar\"[^>]*><title>week from [\d-]+: (\d+) deployments?</title>", row
        )
        assert len(counts) >= 5 and sum(map(int, counts)) == made, counts  # 30 days: 5 or 6 weeks
        assert f"{made} · " in row and 'role="img" aria-label=' in row
    assert "50% · 1 of 2" in metrics

    # The legend lists the colours the page uses, each meaning once.
    legend = text[text.index('id="legend"') : text.index("</ul>", text.index('id="legend"'))]
    for meaning in ["differs", "drift", "frozen", "forced", "rollback", "deploy", "waiting", "lead"]:
        assert legend.count(f'k-{meaning}"') == 1, meaning
    assert "k-none" not in legend and "k-none" not in text.split("</style>")[1]  # everything is deployed

    for forbidden in ["<script", "<link", "src=", "url(", "@import", "http://", "https://", "<i>"]:
        assert forbidden not in text.lower(), forbidden

    # A real browser renders it: the legend is in the DOM, and the page uses a wide window's width.
    dom = dump_dom(page, tmp_path)
    assert 'id="legend"' in dom and "waiting to ship" in dom and "incident 42" in dom
    shot = screenshot(page, tmp_path, "1600,1000")
    from PIL import Image

    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        colors = dict((c, n) for n, c in rgb.getcolors(maxcolors=1_000_000) or [])
        right = rgb.crop((1200, 0, 1600, 1000)).getcolors(maxcolors=1_000_000) or []
    assert len(colors) > 100, len(colors)
    assert len(right) > 20, "nothing drawn in the right quarter of a 1600 px window"
    for meaning in ["frozen", "drift", "differs"]:  # visible above the fold
        hex_color = re.search(rf"\.k-{meaning}\{{--c:#([0-9a-f]{{6}})\}}", text)
        assert hex_color, meaning
        wanted = tuple(int(hex_color[1][i : i + 2], 16) for i in (0, 2, 4))
        near = sum(
            n for c, n in colors.items() if max(abs(a - b) for a, b in zip(c, wanted, strict=True)) < 8
        )
        assert near > 50, (meaning, near)


def test_markdown_report(aws: Any, bugfarm_file: Path) -> None:
    r1, r2 = seed(bugfarm_file)
    text = run(bugfarm_file, "report", "--output", "markdown")
    assert f"| service | {STAGE} (`stage`) | {PROD} (`prod`) | differs between environments |" in text
    assert f"| hatching | `v2` ({short_id(r2)}) | `v1` ({short_id(r1)}) | yes |" in text
    assert f"| {PROD} (`prod`) | `{r1}` |" in text and "first <b>prod</b> release" in text


def test_markdown_report_says_the_same(aws: Any, bugfarm_file: Path) -> None:
    r1, r2 = seed_a_busy_week(aws, bugfarm_file)
    text = run(bugfarm_file, "report", "--output", "markdown")
    environments, rest = text.split("## What runs where")
    stage, prod = environments.split(f"| {PROD} (`prod`)")
    assert f"| {STAGE} (`stage`) | `{r1}` |" in stage and " s ago)" in stage and "Ophelia Ops" in stage
    assert "**rollback**" in stage and "v2 hatching <i>crashes</i>" in stage
    assert f"| `{r2}` |" in prod and "Hattie Hotfix" in prod and "**forced** through the freeze" in prod
    assert "**FROZEN** by Fred Freezer" in prod and "“incident 42”" in prod
    assert (
        f"| hatching | `v1` ({short_id(r1)}) **DRIFT**: SSM has `rogue` | `v2` ({short_id(r2)}) | yes |"
        in rest
    )
    assert f"- **stage/hatching: SSM has {REGISTRY}/hatching:rogue, release {r1} has" in rest
    waiting = rest[rest.index("## Waiting to ship") : rest.index("## Recent")]
    assert "| hatching | published, not released; released, not deployed to" in waiting
    assert "`v3`" in waiting and f"newest release `{r2}`" in waiting
    timeline = rest[rest.index("## Recent") :].splitlines()[4:]
    assert "deployment forced" in timeline[0] and "`hatching: v1 → v2`" in timeline[0]
    assert "| freeze |" in timeline[1] and "incident 42" in timeline[1]
    assert "| rollback |" in timeline[2] and "`hatching: v2 → v1`" in timeline[2]
    assert "`first deployment`" in timeline[5] and "try v2 <script>" in timeline[3]
    # The four keys: stage had r1, r2 and the rollback; prod r1, then r2 forced within a day (a fix:
    # r1 counts as failed, and recovered by r2).
    metrics = rest[rest.index("## Delivery metrics — last 30 days") : rest.index("## Recent")]
    assert "| environment | deployments · per week | lead time for changes | change failure rate |" in metrics
    assert f"| {STAGE} (`stage`) | 3 · 0.7 per week | median " in metrics
    assert f"| {PROD} (`prod`) | 2 · 0.5 per week | median " in metrics
    assert "| 50% · 1 of 2 | median " in metrics and "1 incident |" in metrics
    # With one entry on the page, the forced deployment's predecessor is read further back.
    newest = run(bugfarm_file, "report", "--output", "markdown", "--limit", "1")
    timeline = newest[newest.index("## Recent") :].splitlines()[4:]
    assert len(timeline) == 1 and "`hatching: v1 → v2`" in timeline[0] and "hotfix" in timeline[0]


def test_markdown_escapes_pipes(aws: Any, bugfarm_file: Path) -> None:
    run(bugfarm_file, "publish", "hatching", f"{REGISTRY}/hatching:v1")
    run(bugfarm_file, "publish", "feeding", f"{REGISTRY}/feeding:v1")
    release = json.loads(run(bugfarm_file, "release", "create", "-o", "json"))["release_id"]
    run(bugfarm_file, "deploy", release, "stage", "-d", "a | b")
    run(bugfarm_file, "freeze", "prod", "--reason", "x | y")
    text = run(bugfarm_file, "report", "--output", "markdown")
    assert "a \\| b" in text and "x \\| y" in text and "a | b" not in text


def test_a_pending_error_is_shown_not_fatal(aws: Any, bugfarm_file: Path, tmp_path: Path) -> None:
    """An ECR image at the label that is gone: `pending` fails, the report says why and shows the rest."""
    r1, _ = seed(bugfarm_file)
    ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hatching:gone"
    aws.ssm.put_parameter(
        Name="/bugfarm_73649/images/latest/hatching", Value=ecr, Type="String", Overwrite=True
    )
    failed = Cli(bugfarm_file)("pending", code=2)
    problem = failed.stderr.strip().removeprefix("tracker: error: ")
    page = tmp_path / "report.html"
    run(bugfarm_file, "report", "-o", str(page))
    waiting = section(page.read_text(), "Waiting to ship")
    assert "Could not tell what waits" in waiting and html.escape(problem) in waiting
    assert r1 in page.read_text()


def entry(env: str) -> DeploymentEntry:
    return DeploymentEntry(EnvironmentRef(env, env), "2026-01-01T00:00:00.000Z", Person("ops", "ops"), "")


def deployment(env: str, release: str, tag: str) -> HistoryEntry:
    return HistoryEntry(
        "deployment", f"bugfarm_73649:{release}", entry(env), {"hatching": f"{REGISTRY}/hatching:{tag}"}
    )


def counted(entries: list[HistoryEntry], read: list[HistoryEntry]) -> Any:
    for entry in entries:
        read.append(entry)
        yield entry


def test_the_timeline_reads_back_only_as_far_as_it_must(project: Any) -> None:
    """The deployment before the oldest one of an environment on the page: found further back, or not."""
    window = [deployment("prod", "p2", "v2")]
    stage = [deployment("stage", f"s{i}", "v9") for i in range(200)]

    read: list[HistoryEntry] = []  # prod's previous deployment is the 11th older entry
    older = stage[:10] + [deployment("prod", "p1", "v1")] + stage[10:]
    data = collect(project, [], window, older=counted(older, read), now=1.8e9)
    assert len(read) == 11
    assert "hatching: v1 → v2" in render_html(data) and "`hatching: v1 → v2`" in render_markdown(data)

    read = []  # none within the budget: said so, and no more than LOOKBACK entries read
    data = collect(project, [], window, older=counted(stage, read), now=1.8e9)
    assert len(read) == LOOKBACK
    assert f"previous deployment not among the {LOOKBACK} entries read further" in render_html(data)
    assert "first deployment" not in render_html(data)

    read = []  # the history ends first: it was the first deployment there
    data = collect(project, [], window, older=counted(stage[:5], read), now=1.8e9)
    assert len(read) == 5 and "first deployment" in render_html(data)

    read = []  # two on the page: the newer compares with the older, only the older reads back
    two = [deployment("prod", "p3", "v3"), *window]
    data = collect(project, [], two, older=counted([deployment("prod", "p1", "v1"), *stage], read), now=1.8e9)
    assert len(read) == 1
    assert render_html(data).index("hatching: v2 → v3") < render_html(data).index("hatching: v1 → v2")

    read = []  # a page of freezes only: nothing more is read
    freeze = HistoryEntry("freeze", "", entry("prod"))
    collect(project, [], [freeze], older=counted(stage, read), now=1.8e9)
    assert read == []


def chromium_run(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is not installed: run `make setup` (it installs Debian's chromium)"
    return subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def screenshot(page: Path, tmp_path: Path, size: str) -> Path:
    shot = tmp_path / f"report-{size.replace(',', 'x')}.png"
    chromium_run(page, tmp_path, f"--screenshot={shot}", f"--window-size={size}")
    assert shot.is_file() and shot.stat().st_size > 0, "chromium produced no screenshot"
    return shot


def dump_dom(page: Path, tmp_path: Path, *args: str) -> str:
    result = chromium_run(page, tmp_path, "--dump-dom", *args)
    assert "<body" in result.stdout, result.stderr[-2000:]
    return result.stdout


def test_the_report_shows_approvals_and_what_blocks_each_release(
    aws: Any, bugfarm_file: Path, tmp_path: Path
) -> None:
    document = json.loads(bugfarm_file.read_text())
    document["environments"][1]["policy"] = {"promote_from": ["stage"], "approvals": 1}
    bugfarm_file.write_text(json.dumps(document))
    for service in ("hatching", "feeding"):
        run(bugfarm_file, "publish", service, f"{REGISTRY}/{service}:v1")
    r1 = json.loads(run(bugfarm_file, "release", "create", "-o", "json"))["release_id"]
    run(bugfarm_file, "deploy", r1, "stage")
    Cli(bugfarm_file, user="lead_lee")("approve", r1, "prod", "-d", "QA <signed> off")
    run(bugfarm_file, "promote", "stage", "prod")
    run(bugfarm_file, "publish", "hatching", f"{REGISTRY}/hatching:v2")
    r2 = json.loads(run(bugfarm_file, "release", "create", "-o", "json"))["release_id"]
    page = tmp_path / "report.html"
    run(bugfarm_file, "report", "-o", str(page))
    text = page.read_text()
    waiting = section(text, "Waiting to ship")
    blocked = waiting[waiting.index('id="blocked"') :]
    assert f"<b>stage</b> · release {rid_html(r2)}: nothing blocks it" in blocked
    prod = blocked[blocked.index("<b>prod</b>") :]
    assert ">blocked<" in prod and f"prod takes releases from stage: {short_id(r2)} never ran there" in prod
    assert "prod needs 1 approval from anyone but the requester; approved by: none" in prod
    legend = text[text.index('id="legend"') : text.index("</ul>", text.index('id="legend"'))]
    assert legend.count('k-blocked"') == 1
    timeline = section(text, "Recent deployments")
    promoted = timeline.split("<tr>")[2]
    assert "approved by lead_lee 20" in promoted and "QA &lt;signed&gt; off" in promoted
    markdown = run(bugfarm_file, "report", "--output", "markdown")
    assert f"- prod: release `{short_id(r2)}`: **blocked**: prod takes releases from stage" in markdown
    assert "<br>approved by lead_lee 20" in markdown


# Appended to a copy of a page for one Chromium run: measures what a reader gets. Each release id:
# its width, its hidden parts' widths, and the text a selection of it holds. Each chart: its class,
# box and marks. (The page itself has no script; only this copy does.)
PROBE = """<script>
const found = {ids: [], charts: []};
for (const code of document.querySelectorAll("code.rid")) {
  const range = document.createRange(); range.selectNodeContents(code);
  getSelection().removeAllRanges(); getSelection().addRange(range);
  found.ids.push({title: code.title, selected: getSelection().toString(),
    userSelect: getComputedStyle(code).userSelect, width: code.getBoundingClientRect().width,
    rest: [...code.querySelectorAll(".rest")].map(r => r.getBoundingClientRect().width)});
}
for (const svg of document.querySelectorAll("svg.chart")) {
  const box = svg.getBoundingClientRect();
  found.charts.push({cls: svg.getAttribute("class"), box: [box.left, box.top, box.right, box.bottom],
    bars: [...svg.querySelectorAll("rect.bar title")].map(t => t.textContent),
    dots: svg.querySelectorAll("circle.dot").length});
}
const out = document.createElement("pre"); out.id = "probe"; out.textContent = JSON.stringify(found);
document.body.append(out);
</script>"""


def probed(page: Path, tmp_path: Path, size: str) -> dict[str, Any]:
    """What PROBE measured on a copy of ``page`` in a window of ``size``."""
    copy = tmp_path / "probe.html"
    copy.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    dom = dump_dom(copy, tmp_path, f"--window-size={size}")
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    return dict(json.loads(html.unescape(found[1])))


def colour(text: str, meaning: str) -> tuple[int, ...]:
    """The RGB of a meaning, as the page's CSS defines it."""
    found = re.search(rf"\.k-{meaning}\{{--c:#([0-9a-f]{{6}})\}}", text)
    assert found, meaning
    return tuple(int(found[1][i : i + 2], 16) for i in (0, 2, 4))


def test_the_metrics_section_draws_the_weeks_in_svg(tmp_path: Path) -> None:
    """Four weeks of deployments to prod in memory (the clock moved by hand, each image published half
    an hour before its deployment), none to stage: the section's numbers, and its charts as Chromium
    draws them. The release ids as a reader gets them, on the same page."""
    from PIL import Image

    from tests.unit.test_metrics import DAY, deploy, make, publish, release

    t, clock = make()
    weekly = [1, 3, 0, 2]  # deployments to prod per week, four weeks back
    for week, count in enumerate(weekly):
        for n in range(count):
            clock.now = 1_800_000_000 - (28 - 7 * week) * DAY + n * 3600
            publish(t, f"w{week}n{n}")
            clock.now += 1800
            deploy(t, release(t).release_id, "prod")
    clock.now = 1_800_000_000
    data = t.report()
    page = tmp_path / "metrics.html"
    page.write_text(render_html(data))
    text = page.read_text()
    metrics = section(text, "Delivery metrics")
    prod = metrics[metrics.index(f"<th>{PROD}") :]
    assert "6 · 1.4 per week" in prod and "median 30m · p90 30m (12 changes)" in prod
    bars = re.findall(r"<title>week from [\d-]+: (\d+) deployments?</title>", prod)
    assert [int(n) for n in bars if n != "0"] == [1, 3, 2] and "0" in bars, bars  # the empty week: 0
    assert prod.count('<circle class="dot"') == 3  # the weeks that delivered a change
    stage = metrics[metrics.index(f"<th>{html.escape(STAGE)}") : metrics.index(f"<th>{PROD}")]
    assert "no deployments in the window" in stage and "<svg" not in stage
    assert "none measured" in stage

    found = probed(page, tmp_path, "1400,1800")
    charts = {c["cls"]: c for c in found["charts"]}
    assert len(found["charts"]) == 2 and set(charts) == {"chart k-deploy", "chart k-lead"}
    drawn_bars = [int(t.split(": ")[1].split()[0]) for t in charts["chart k-deploy"]["bars"]]
    assert sum(drawn_bars) == 6 and len(drawn_bars) == len(data["metrics"]["environments"][1]["periods"])
    assert charts["chart k-lead"]["dots"] == 3
    # Every id: its short id drawn (the rest has no width), the whole id in the title and in a selection.
    assert found["ids"], "no release id on the page"
    for rid in found["ids"]:
        assert rid["selected"] == rid["title"] and rid["title"].startswith("bugfarm_73649:"), rid
        assert rid["userSelect"] == "all" and rid["rest"] == [0, 0] and rid["width"] < 100, rid

    # Drawn: each chart's box in a screenshot of the same window holds its meaning's colour.
    shot = screenshot(page, tmp_path, "1400,1800")
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        for meaning in ("deploy", "lead"):
            wanted = colour(text, meaning)
            box = tuple(round(v) for v in charts[f"chart k-{meaning}"]["box"])
            pixels = rgb.crop(box).getcolors(maxcolors=1_000_000) or []
            near = sum(n for n, c in pixels if max(abs(a - b) for a, b in zip(c, wanted, strict=True)) < 24)
            assert near > 100, (meaning, box, near)


def test_a_manifest_of_several_projects_gets_one_page(moto_endpoint: str, tmp_path: Path) -> None:
    """weco-deploy's two projects, each in its own account and region: one page (and one Markdown),
    each project read with its own role. The reports project has nothing yet: its page says so."""
    from tests.conftest import DEPLOYMENTS, RELEASES, reset_moto
    from tests.emulator.test_weco_manifests import MANIFEST, WHERE, weco
    from tests.emulator.test_weco_manifests import REGISTRY as WECO_REGISTRY
    from tests.support.accounts import account_session
    from tests.support.tables import create_tables

    reset_moto(moto_endpoint)
    for where in WHERE.values():
        create_tables(account_session(*where).client("dynamodb"), RELEASES, DEPLOYMENTS)
    manifest = tmp_path / ".wellcome_project"
    manifest.write_text(MANIFEST)
    shop = weco(manifest, {"TRACKER_PROJECT": "shop"})
    for service in ("web", "worker", "cron"):
        shop("publish", service, f"{WECO_REGISTRY}/{service}:v1")
    rid = shop("release", "create", "--quiet").stdout.strip()
    shop("deploy", rid, "stage")
    page = tmp_path / "all.html"
    weco(manifest)("report", "-o", str(page))  # no project chosen: every project
    text = page.read_text()
    summary = text[text.index('id="summary"') : text.index("</table>", text.index('id="summary"'))]
    assert 'href="#project-shop"' in summary and 'href="#project-reports"' in summary
    assert f"<td>Staging</td><td>{rid_html(rid)}</td>" in summary and " s ago" in summary
    assert summary.count(">nothing deployed<") == 3  # shop's prod, reports' two environments
    assert (
        text.index('id="project-shop"') < text.index('id="project-reports"') and "<h1>Releases of 2" in text
    )
    shop_part = text[text.index('id="project-shop"') : text.index('id="project-reports"')]
    assert "<h3>What runs where</h3>" in shop_part and 'id="shop-metrics"' in shop_part
    assert "1 · 0.2 per week" in shop_part and shop_part.count('<svg class="chart k-deploy"') == 1
    reports = text[text.index('id="project-reports"') :]
    assert "Nothing yet: no image is published at label <code>latest</code> and no release exists" in reports
    assert "Nothing waits" not in reports and reports.count("no deployments in the window") == 2
    ids = re.findall(r'id="([^"]+)"', text)
    assert len(ids) == len(set(ids)), "element ids repeat across the projects"
    assert text.count('id="legend"') == 1 and "<script" not in text

    markdown = weco(manifest)("report", "--output", "markdown").stdout
    assert "| Online Shop (`shop`) | Staging (`stage`) | `" + short_id(rid) + "` |" in markdown
    assert "\n## Online Shop (`shop`)\n" in markdown and "\n### Delivery metrics — last 30 days\n" in markdown
    reports_md = markdown[markdown.index("## Reports (`reports`)") :]
    assert "Nothing yet: no image is published at label `latest` and no release exists" in reports_md
