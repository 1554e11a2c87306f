"""The one CLI runner of the tests: ``tracker`` in-process (click's CliRunner), or as a process.

``Cli(project_file)("deploy", rid, "stage", code=0)`` runs a command, asserts its
exit code and returns the result (stdout and stderr apart). ``process=True``
runs ``python -m tracker`` in a subprocess instead, for what only a real
process shows (the entry point, environment variables, concurrency).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REGISTRY = "registry.example"


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def error_line(self) -> str:
        """The one line on stderr (asserted to be one)."""
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, self.stderr
        return lines[0]


@dataclass
class Cli:
    project_file: Path | None = None
    user: str | None = "tester"
    env: dict[str, str] = field(default_factory=dict)
    process: bool = False

    def __call__(
        self, *args: str, user: str | None = "", code: int | None = 0, env: dict[str, str] | None = None
    ) -> Outcome:
        """Run ``tracker [--project-file F] ARGS``; ``code`` None: any exit code."""
        who = self.user if user == "" else user
        variables = {"TRACKER_USER": who or "", **self.env, **(env or {})}
        argv = [*(["--project-file", str(self.project_file)] if self.project_file else []), *args]
        outcome = self._process(argv, variables) if self.process else self._in_process(argv, variables)
        if code is not None:
            assert outcome.exit_code == code, f"exit {outcome.exit_code}, not {code}:\n{outcome.output}"
        return outcome

    def _in_process(self, argv: list[str], variables: dict[str, str]) -> Outcome:
        from click.testing import CliRunner

        from tracker.cli import cli

        result = CliRunner().invoke(cli, argv, env=variables)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, result.stdout, result.stderr)

    def _process(self, argv: list[str], variables: dict[str, str]) -> Outcome:
        done = subprocess.run(
            [sys.executable, "-m", "tracker", *argv],
            capture_output=True,
            text=True,
            env={**os.environ, **variables},
            timeout=300,
        )
        return Outcome(done.returncode, done.stdout, done.stderr)

    def json(self, *args: str, code: int = 0, **kwargs: Any) -> Any:
        return json.loads(self(*args, "--output", "json", code=code, **kwargs).stdout)

    def publish(self, tag: str, *services: str, label: str = "latest") -> None:
        for service in services or ("hatching", "feeding"):
            self("publish", service, f"{REGISTRY}/{service}:{tag}", "--label", label)

    def release(self, *args: str) -> str:
        return str(self.json("release", "create", *args)["release_id"])


def images(tag: str, **other: str) -> dict[str, str]:
    """The bugfarm services' images at ``tag`` (some services at other tags)."""
    found = {s: f"{REGISTRY}/{s}:{tag}" for s in ("hatching", "feeding")}
    found.update({s: f"{REGISTRY}/{s}:{t}" for s, t in other.items()})
    return found
