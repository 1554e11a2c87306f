#!/usr/bin/env python3
"""Benchmarks of RFC 013 release & deployment tracking (issue 6), against a local moto server.

    bench/run.py [--smoke] [--out-md docs/benchmarks.md] [--out-json docs/benchmarks.json]

Starts its own moto server on 127.0.0.1, creates the tracking tables, and
measures: AWS API calls per operation, items read by `release list` and
`history` as the table grows, wall time of the Terraform program and of
`tracker status` against `import boto3`, `terraform plan` against a baseline
root, and deploy wall time as services grow. Writes a Markdown report and a
JSON of the raw figures. --smoke runs a tiny version of every section.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script, so the repository (bench.*, tests.aws_fixtures) is not on sys.path yet.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import api_calls, items_read, report, terraform_plan, wall_time  # noqa: E402
from bench.common import REPO, Stores, create_tables, emulator, log, machine_info, seed_bugfarm  # noqa: E402


@dataclass(frozen=True)
class Plan:
    """How big each section is."""

    services: list[int]
    table_sizes: list[int]
    command_runs: int
    plan_runs: int
    diagnose_plan: bool  # also plan baseline + external, to split the stage root's extra time


FULL = Plan(
    services=[1, 10, 100], table_sizes=[100, 1_000, 10_000], command_runs=7, plan_runs=5, diagnose_plan=True
)
# 12 services, not 3: it crosses GetParameters' batch of 10, so ceil(N/10) is really exercised.
SMOKE = Plan(services=[1, 12], table_sizes=[100, 300], command_runs=3, plan_runs=1, diagnose_plan=False)


def measure(plan: Plan, workdir: Path) -> dict[str, Any]:
    with emulator() as endpoint:
        log(f"moto server at {endpoint}")
        create_tables(Stores.build().clients)
        figures: dict[str, Any] = {"api_calls": api_calls.run(plan.services)}
        release_id = seed_bugfarm()
        log("wall time of the commands")
        figures["wall_time"] = wall_time.run_commands(release_id, plan.command_runs)
        figures["terraform_plan"] = terraform_plan.run(
            workdir, release_id, plan.plan_runs, plan.diagnose_plan
        )
        figures["deploy_time"] = wall_time.run_deploys(plan.services, plan.command_runs)
        # Last: moto deep-copies a whole table on every TransactWriteItems (its rollback),
        # so a table of 10 000 releases would slow every later deploy -- unlike DynamoDB.
        figures["items_read"] = items_read.run(plan.table_sizes)
    return figures


def outputs(args: argparse.Namespace) -> tuple[Path, Path]:
    """Where to write: the options; else docs/ for a full run and a temporary directory for --smoke."""
    default = Path(tempfile.mkdtemp(prefix="bench-smoke-")) if args.smoke else REPO / "docs"
    md = Path(args.out_md) if args.out_md else default / "benchmarks.md"
    js = Path(args.out_json) if args.out_json else default / "benchmarks.json"
    return md, js


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="A tiny run of every section (< 1 minute).")
    parser.add_argument("--out-md", help="Markdown report (default: docs/benchmarks.md; --smoke: temp dir).")
    parser.add_argument("--out-json", help="Raw figures (default: docs/benchmarks.json; --smoke: temp dir).")
    args = parser.parse_args(argv)
    md_path, json_path = outputs(args)
    info = machine_info()
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        figures = measure(SMOKE if args.smoke else FULL, Path(workdir))
    document = {"mode": "smoke" if args.smoke else "full", "machine": info, **figures}
    for path, text in (
        (json_path, json.dumps(document, indent=2) + "\n"),
        (md_path, report.markdown(document)),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    log(f"wrote {md_path} and {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
