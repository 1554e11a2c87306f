"""`tracker report`: the data it must show, self-contained HTML, and a real render in headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from tracker.cli import cli
from tracker.model.records import short_id

REGISTRY = "registry.example"
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


def run(project_file: Path, *args: str) -> str:
    result = CliRunner().invoke(
        cli, ["--project-file", str(project_file), *args], env={"TRACKER_USER": "ops"}
    )
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout


def seed(project_file: Path) -> tuple[str, str]:
    import json

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


def test_html_report_shows_what_runs_where_and_renders(aws: Any, bugfarm_file: Path, tmp_path: Path) -> None:
    r1, r2 = seed(bugfarm_file)
    page = tmp_path / "report.html"
    assert f"wrote {page}" in run(bugfarm_file, "report", "-o", str(page))
    text = page.read_text()
    for expected in [
        "The Best Bug Farm",
        "<th>stage</th>",
        "<th>prod</th>",
        "<th>hatching</th>",
        "<th>feeding</th>",
        ">v1<",
        ">v2<",
        f"release {short_id(r1)}",
        f"release {short_id(r2)}",
        "stage it",
        "first &lt;b&gt;prod&lt;/b&gt; release",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
    ]:
        assert expected in text, expected
    # Self-contained: nothing fetched, nothing executed.
    for forbidden in ["<script", "<link", "src=", "url(", "@import"]:
        assert forbidden not in text.lower(), forbidden
    # Newest deployment first in the timeline.
    assert text.index("try v2") < text.index("stage it") < text.index("first &lt;b&gt;")

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is not installed: run `make setup` (it installs Debian's chromium)"
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1100,700",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.is_file() and shot.stat().st_size > 0, "chromium produced no screenshot"
    from PIL import Image

    with Image.open(shot) as image:
        colors = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    # A blank page has one colour; text, tags and table rules make hundreds.
    assert len(colors) > 50, len(colors)


def test_markdown_report(aws: Any, bugfarm_file: Path) -> None:
    r1, r2 = seed(bugfarm_file)
    text = run(bugfarm_file, "report", "--output", "markdown")
    assert "| service | stage | prod |" in text
    assert f"| hatching | `v2` ({short_id(r2)}) | `v1` ({short_id(r1)}) |" in text
    assert "| prod | `" in text and "first <b>prod</b> release" in text
