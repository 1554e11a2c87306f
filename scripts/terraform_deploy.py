#!/usr/bin/env python3
"""Deploy or promote through the environments' Terraform roots (used by `make deploy`/`make promote`).

    terraform_deploy.py deploy ENVIRONMENT RELEASE_ID [--requested-by ID] ...
    terraform_deploy.py promote FROM TO [--requested-by ID] ...

`promote` reads the release FROM runs from the deployments table, then applies
TO's root (terraform/environments/TO) with `release_id` set to it, so the
recording happens inside `terraform apply` exactly as a by-hand apply would.
"""

from __future__ import annotations

import argparse
import os
import sys

from tracker.errors import TrackerError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # Defaults come from the environment, which is how `make deploy/promote` pass
    # REQUESTED_BY=..., DESCRIPTION=... without putting them on a shell line.
    env = os.environ.get
    parser.add_argument(
        "--project-file",
        default=env("TRACKER_PROJECT_FILE") or None,
        help="Project manifest (default: $TRACKER_PROJECT_FILE, else the root's default).",
    )
    parser.add_argument(
        "--requested-by",
        default=env("REQUESTED_BY") or env("TRACKER_USER") or None,
        help="Who requests (default: $REQUESTED_BY, $TRACKER_USER, else the AWS caller identity).",
    )
    parser.add_argument(
        "--requested-by-name",
        default=env("REQUESTED_BY_NAME") or None,
        help="Display name of --requested-by.",
    )
    parser.add_argument("--description", default=env("DESCRIPTION", ""), help="Why (default: $DESCRIPTION).")
    parser.add_argument("--python", default=sys.executable, help="Interpreter for the programs.")
    commands = parser.add_subparsers(dest="command", required=True)
    deploy = commands.add_parser("deploy", help="apply ENVIRONMENT's root with RELEASE_ID")
    deploy.add_argument("environment")
    deploy.add_argument("release_id")
    promote = commands.add_parser("promote", help="apply TO's root with the release FROM runs")
    promote.add_argument("from_environment")
    promote.add_argument("to_environment")
    args = parser.parse_args(argv)

    from pathlib import Path

    from tracker.terraform import apply_release, environment_root

    variables = {
        "requested_by": args.requested_by,
        "requested_by_name": args.requested_by_name,
        "description": args.description,
        "python": args.python,
        "releases_table_name": env("TRACKER_RELEASES_TABLE"),
        "deployments_table_name": env("TRACKER_DEPLOYMENTS_TABLE"),
    }
    if args.project_file:
        variables["project_file"] = str(Path(args.project_file).resolve())
    try:
        if args.command == "deploy":
            target, release_id = args.environment, args.release_id
        else:
            from tracker.aws import Clients
            from tracker.deployments import current_row
            from tracker.project import load_project
            from tracker.store import ReleaseStore

            project = load_project(args.project_file)
            row = current_row(project, ReleaseStore(Clients()), args.from_environment)
            target, release_id = args.to_environment, row.release_id
            print(f"promote: {args.from_environment} runs release {release_id}; applying {target}")
        outputs = apply_release(environment_root(target), release_id, variables)
    except TrackerError as error:
        print(f"tracker: error: {error}", file=sys.stderr)
        return 1
    print(f"{target} now runs release {outputs.get('release_id')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
