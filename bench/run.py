#!/usr/bin/env python3
"""Benchmarks of RFC 013 release & deployment tracking, against a local emulator (moto server).

    bench/run.py [--smoke] [--installed BIN_DIR]
                 [--out-md docs/benchmarks.md] [--out-json docs/benchmarks.json]

Starts its own emulator on 127.0.0.1, creates the tracking tables, installs the
package from its wheel in a fresh virtualenv (as users get it), and measures:
AWS API calls per operation, items read by `release list` and `history` as the
table grows, the program Terraform runs against a floor of one boto3 call,
`terraform plan` of roots using the module against the same roots with a no-op
program, deploy time as services grow, and `make deploy` against a bare
`terraform apply`, the container image's size and start-up, and `tracker wait`'s calls
per poll and verdict delay. Writes a
Markdown report and a JSON of the raw figures.
--smoke runs a tiny version of every section; --installed measures a package
already installed from a wheel instead of building one.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script, so the repository (bench.*, tests.support.*) is not on sys.path yet.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import (  # noqa: E402
    api_calls,
    container,
    items_read,
    policies,
    report,
    rollouts,
    terraform_plan,
    wall_time,
)
from bench.common import (  # noqa: E402
    REPO,
    bench_environment,
    create_tables,
    log,
    machine_info,
    seed_bugfarm,
)
from tests.support.emulator import in_process  # noqa: E402
from tests.support.packaging import build_wheel, install  # noqa: E402


@dataclass(frozen=True)
class Plan:
    """How big each section is."""

    services: list[int]
    table_sizes: list[int]
    command_runs: int
    plan_runs: int
    poll_interval: float  # tracker wait's, for the verdict delay (5 s: the default)
    delay_runs: int


FULL = Plan(
    services=[1, 10, 100],
    table_sizes=[100, 1_000, 10_000],
    command_runs=9,
    plan_runs=7,
    poll_interval=5.0,
    delay_runs=5,
)
# 12 services, not 3: it crosses GetParameters' batch of 10, so ceil(N/10) is really exercised.
SMOKE = Plan(
    services=[1, 12], table_sizes=[100, 300], command_runs=2, plan_runs=1, poll_interval=1.0, delay_runs=1
)


def measure(
    plan: Plan, workdir: Path, bin_dir: Path | None = None, image: str | None = None
) -> dict[str, Any]:
    """Every section; ``bin_dir``: the package already installed from a wheel (else built here);
    ``image``: the container image already built (else built here)."""
    if bin_dir is None:
        log("building the wheel and a fresh virtualenv with it")
        bin_dir = install(build_wheel(workdir / "wheel"), workdir / "venv")
    with in_process() as endpoint:
        log(f"emulator at {endpoint}")
        bench_environment()
        from tracker.stores.clients import Clients

        create_tables(Clients())
        figures: dict[str, Any] = {"api_calls": api_calls.run(plan.services)}
        release_ids = seed_bugfarm()
        log("wall time of the commands")
        figures["wall_time"] = wall_time.run_commands(bin_dir, release_ids[1], plan.command_runs)
        figures["terraform_plan"] = terraform_plan.run_plans(workdir, bin_dir, release_ids[1], plan.plan_runs)
        figures["make"] = terraform_plan.run_make(workdir, bin_dir, release_ids, plan.plan_runs)
        figures["deploy_time"] = wall_time.run_deploys(plan.services, plan.command_runs)
        figures["rollouts"] = rollouts.run(plan.services, plan.poll_interval, plan.delay_runs)
        figures["policies"] = policies.run()
        # Last: moto deep-copies a whole table on every TransactWriteItems (its rollback),
        # so a table of 10 000 releases would slow every later deploy -- unlike DynamoDB.
        figures["items_read"] = items_read.run(plan.table_sizes)
    figures["container_image"] = container.run(bin_dir, plan.command_runs, image)
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
    parser.add_argument(
        "--installed",
        metavar="BIN_DIR",
        help="bin directory of a virtualenv holding the package installed from a wheel, to measure "
        "instead of building one (the test suite passes the one it built)",
    )
    parser.add_argument(
        "--image",
        metavar="NAME",
        help="a container image `make image` already built, to measure instead of building one (the test "
        "suite passes the one it built; the build is then not timed)",
    )
    args = parser.parse_args(argv)
    md_path, json_path = outputs(args)
    info = machine_info()
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        installed = Path(args.installed) if args.installed else None
        figures = measure(SMOKE if args.smoke else FULL, Path(workdir), installed, args.image)
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
