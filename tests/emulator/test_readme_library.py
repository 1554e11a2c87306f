"""The README's "The library" example, run as written (its manifest path pointed at the bugfarm copy)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

from tests.conftest import REPO


def test_the_readme_library_example_runs(tracker: Any, bugfarm_file: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("TRACKER_USER", "nightly-ci")
    tracker.publish("v1")
    release_id = tracker.release()
    section = (REPO / "README.md").read_text().split("## The library", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's 'The library' section has no python block"
    code = match.group(1).replace('"shop/.wellcome_project"', repr(str(bugfarm_file)))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - the README's own example
    lines = printed.getvalue().splitlines()
    assert lines[0] == f"{release_id} recorded"
    assert lines[1] == f"{release_id} nightly-ci None"  # who (TRACKER_USER) and what was forced (nothing)
