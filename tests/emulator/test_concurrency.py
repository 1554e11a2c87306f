"""Concurrent deployments as separate processes against the moto server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import REPO
from tests.support.cli import Cli
from tests.support.library import deploy, library, person, publish, release
from tracker.model.clock import iso8601
from tracker.model.project import load_project, parse_project

PROCESSES = 20


def start_together(project_file: Path, commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    start = time.time() + 4.0  # time for every interpreter to start and import
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                str(REPO / "tests/support/barrier_python.py"),
                str(start),
                "--project-file",
                str(project_file),
                *command,
                "--output",
                "json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**__import__("os").environ, "TRACKER_USER": "racer"},
        )
        for command in commands
    ]
    results = []
    for command, process in zip(commands, processes, strict=True):
        out, err = process.communicate(timeout=180)
        results.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return results


def make_releases(aws: Any, project: Any, count: int) -> list[str]:
    ids = []
    for i in range(count):
        tracker = library(aws, project, clock=lambda i=i: 1e9 + i)
        publish(tracker, f"build-{i}")
        ids.append(release(tracker).release_id)
    return ids


def test_racing_deployments_to_one_environment_agree_and_lose_nothing(
    aws: Any, bugfarm_file: Path, record_property: Any
) -> None:
    project = load_project(bugfarm_file)
    ids = make_releases(aws, project, PROCESSES)
    results = start_together(bugfarm_file, [["deploy", r, "stage"] for r in ids])

    tracker = library(aws, project)
    succeeded = [r for r, res in zip(ids, results, strict=True) if res.returncode == 0]
    failed = [res for res in results if res.returncode != 0]
    assert succeeded, [r.stderr for r in results]
    for res in failed:
        assert res.returncode == 1
        assert "it is safe to retry" in res.stderr, res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
    # Every success appears exactly once in its manifest; every failure not at all.
    found = tracker.store.releases.get_many(ids)
    for release_id in ids:
        entries = found[release_id].entries_in("stage")
        outcome = results[ids.index(release_id)]
        assert len(entries) == (1 if release_id in succeeded else 0), (
            release_id,
            outcome.stdout,
            outcome.stderr,
        )
    # The table, the manifest and SSM agree on the winner.
    row = tracker.store.environments.row(project.id, "stage")
    assert row is not None and row.release_id in succeeded
    params = tracker.parameters.get_path(f"/{project.id}/deployments/stage", recursive=True)
    assert params == {
        f"/{project.id}/deployments/stage/{s}": uri for s, uri in found[row.release_id].images.items()
    }
    Cli(bugfarm_file, process=True)("verify")
    record_property(
        "figures", f"{len(succeeded)} of {PROCESSES} won, {len(failed)} failed cleanly, none lost"
    )


def test_deployments_to_different_environments_do_not_block_each_other(aws: Any, tmp_path: Path) -> None:
    document = json.loads((REPO / "examples/bugfarm/.wellcome_project").read_text())
    del document["environments"]  # any environment id is allowed
    project_file = tmp_path / ".wellcome_project"
    project_file.write_text(json.dumps(document))
    project = parse_project(project_file.read_text())
    (release_id,) = make_releases(aws, project, 1)
    environments = [f"env{i}" for i in range(PROCESSES)]
    results = start_together(project_file, [["deploy", release_id, env] for env in environments])
    assert [r.returncode for r in results] == [0] * PROCESSES, [r.stderr for r in results if r.returncode]
    stored = library(aws, project).store.releases.get(release_id)
    assert stored is not None
    assert sorted(d.environment.id for d in stored.deployments) == sorted(environments)
    # The manifest's entries are in time order, and deployed_at is the newest of them.
    times = [d.at for d in stored.deployments]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert stored.deployed_at == times[-1]


def test_one_release_deployed_to_two_environments_at_once_never_moves_back_in_time(
    aws: Any, project: Any
) -> None:
    """Two deployers read the release, the later time commits first: the earlier one must retry."""
    import copy

    import pytest

    from tracker.errors import WriteRefused
    from tracker.model.entries import DeploymentEntry
    from tracker.stores.transaction import ENTRY, DeploymentWrite

    tracker = library(aws, project)
    publish(tracker, "1")
    made = release(tracker)
    as_read_by_stage = copy.deepcopy(made)

    def entry(environment: str, at: float) -> DeploymentEntry:
        return DeploymentEntry(project.environment(environment), iso8601(at), person("ops"), "")

    store = tracker.store
    store.record(DeploymentWrite(made, entry("prod", 2_000_000_002.0), 2_000_000_002.0, None))
    with pytest.raises(WriteRefused) as refused:
        store.record(
            DeploymentWrite(as_read_by_stage, entry("stage", 2_000_000_001.0), 2_000_000_001.0, None)
        )
    assert refused.value.failed == {ENTRY}  # the store names the part; the workflow says "retry"
    stored = store.releases.get(made.release_id)
    assert stored is not None and stored.deployed_at == 2_000_000_002.0
    assert [d.environment.id for d in stored.deployments] == ["prod"]
    assert store.environments.row(project.id, "stage") is None
    # deploy() retries by itself: it reads the release again and records after the newest entry.
    deploy(library(aws, project, clock=lambda: 1.0), made.release_id, "stage")
    stored = store.releases.get(made.release_id)
    assert stored is not None and stored.deployed_at == 2_000_000_002.001
