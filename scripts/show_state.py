#!/usr/bin/env python3
"""Print the tracking state as the RFC's tables: releases rows, deployments rows, SSM keys.

Reads the project's rows only (GSI query, deployments query, SSM by path), so
it is safe against a shared real account too.
"""

from __future__ import annotations

import json
import sys

from tracker.app import Tracker
from tracker.errors import TrackerError, exit_with


def table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")


def main() -> int:
    try:
        tracker = Tracker.from_environment()
        project = tracker.project
        rows = list(tracker.store.releases.newest(project.id))
        deployments = tracker.store.environments.all(project.id)[0]
        parameters = tracker.parameters.get_path(f"/{project.id}", recursive=True)
    except TrackerError as error:
        exit_with(str(error), error.exit_code)
    print("\nReleases table:")
    table(
        ["release_id", "project_id", "created_at", "deployed_at", "release_manifest"],
        [[r.release_id, r.project_id, str(r.created_at), str(r.deployed_at or ""), "(below)"] for r in rows],
    )
    for r in rows:
        print(f"\nrelease_manifest of {r.release_id}:")
        print(json.dumps(r.release_manifest, indent=2, ensure_ascii=False))
    print("\nDeployments table:")
    table(
        ["project_id", "environment_id", "release_id"],
        [[d.project_id, d.environment_id, d.release_id] for d in deployments],
    )
    print("\nSSM:")
    table(["key", "value"], [[k, v] for k, v in sorted(parameters.items())])
    return 0


if __name__ == "__main__":
    sys.exit(main())
