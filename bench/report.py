"""The Markdown report of bench/run.py's figures: one table per section."""

from __future__ import annotations

from typing import Any


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines + [""]


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def seconds(figures: dict[str, Any]) -> str:
    return f"{figures['median_s']:.3f}"


def breakdown(ops: dict[str, int]) -> str:
    return ", ".join(f"{op} {n}" for op, n in ops.items()) or "–"


def machine(doc: dict[str, Any]) -> list[str]:
    info = doc["machine"]
    rows = [
        [key, info[key]]
        for key in ("date", "cpu_count", "platform", "python", "boto3", "botocore", "moto", "terraform")
    ]
    return ["## Machine", "", *table(["", ""], rows)]


def api_section(data: dict[str, Any]) -> list[str]:
    rows = []
    for operation, by_n in data["operations"].items():
        for n in data["service_counts"]:
            figures = by_n[str(n)]
            calls, total = figures["calls"], figures["totals"]
            rows.append(
                [
                    operation,
                    n,
                    total["dynamodb_calls"],
                    breakdown(calls.get("dynamodb", {})),
                    total["ssm_calls"],
                    breakdown(calls.get("ssm", {})),
                    total["all"],
                ]
            )
    targets = [
        [t["operation"], t["services"], t["target"], t["actual"], verdict(t["met"]), t["why"] or "–"]
        for t in data["targets"]
    ]
    largest = str(data["service_counts"][-1])
    promote = data["operations"]["promote"][largest]["totals"]["dynamodb_calls"]
    deploy = data["operations"]["deploy"][largest]["totals"]["dynamodb_calls"]
    verify = data["operations"]["verify"][largest]["calls"].get("ssm", {}).get("GetParametersByPath", 0)
    return [
        "## 1. AWS API calls per operation",
        "",
        "Counted with a botocore `before-call` hook on the clients the library uses (one per API",
        "call; a paginator's page is a call, a retry is not). `publish` publishes every service once.",
        "",
        *table(["operation", "services", "DynamoDB", "DynamoDB calls", "SSM", "SSM calls", "all"], rows),
        "### Targets",
        "",
        *table(["operation", "services", "target", "actual", "verdict", "why"], targets),
        f"Other figures worth knowing: `promote` costs {promote} DynamoDB calls, {promote - deploy} more",
        "than `deploy`: it first reads the source environment's row (one GetItem) to learn which",
        "release to deploy. `verify`",
        f"reads SSM with GetParametersByPath, 10 parameters a page: {verify} page(s) at {largest}",
        "services and 2 environments.",
        "",
    ]


def items_section(data: dict[str, Any]) -> list[str]:
    results = data["results"]
    rows = [
        [
            size,
            results["list_releases"][str(size)]["items_read"],
            results["list_releases"][str(size)]["api_calls"],
            results["history"][str(size)]["items_read"],
            results["history"][str(size)]["api_calls"],
        ]
        for size in data["table_sizes"]
    ]
    flat = ", ".join(f"`{name}` {'flat' if ok else '**grows**'}" for name, ok in data["flat"].items())
    return [
        "## 2. Items read as the releases table grows",
        "",
        f"`list_releases(limit={data['limit']})` and `history('stage', limit={data['limit']})` on one",
        "project; items read per `ReleaseStore.stats.items_read` (GSI items scanned). Every release is",
        "deployed to stage, every third one to prod too. Target: flat as the table grows.",
        "",
        *table(
            [
                "releases in table",
                "list: items read",
                "list: API calls",
                "history: items read",
                "history: API calls",
            ],
            rows,
        ),
        f"Verdict: {flat}.",
        "",
    ]


_STAGES = {
    "import_boto3": "`import boto3`",
    "import_jsonschema": "`import jsonschema` (project manifest validation)",
    "load_project": "load and validate the project manifest",
    "create_client": "create the DynamoDB client (botocore loads the service model and endpoint rules)",
    "resolve_calls": "resolve: the DynamoDB call(s) to the emulator",
}


def _why_slow(stages: dict[str, float]) -> list[str]:
    """The share of `import boto3` each fixed cost adds: why the 1.5 ratio is or is not reachable."""
    client = stages["create_client"] / stages["import_boto3"]
    schema = stages["import_jsonschema"] / stages["import_boto3"]
    return [
        f"On top of `import boto3`, creating one boto3 client adds {client:.0%} of it and importing",
        f"jsonschema {schema:.0%}. Any fresh process that makes one DynamoDB call through boto3 pays the",
        "first; the second is the tracker's own.",
        "",
    ]


def wall_section(data: dict[str, Any]) -> list[str]:
    rows = []
    for name, figures in data["commands"].items():
        target = f"<= {figures['target_ratio']}" if "target_ratio" in figures else "–"
        met = verdict(figures["met"]) if "met" in figures else "–"
        rows.append(
            [
                f"`{name}`",
                seconds(figures),
                f"{figures['min_s']:.3f}",
                figures["runs"],
                f"{figures['ratio']:.2f}",
                f"{figures['min_ratio']:.2f}",
                target,
                met,
            ]
        )
    stages = [
        [_STAGES.get(stage, stage), f"{value:.3f}"] for stage, value in data["resolve_breakdown_s"].items()
    ]
    help_info = data["help"]
    imports = "**yes**: " + ", ".join(help_info["heavy_modules"]) if help_info["imports_boto3"] else "no"
    return [
        "## 3. Command wall time against the floor",
        "",
        f"Each command as a subprocess, median of {data['runs']} interleaved runs after one warm-up;",
        f"ratio to the floor `{data['floor']}` in the same run. The target is judged on the medians;",
        "the ratio of minimums is shown because other work on the machine inflates single runs.",
        "",
        *table(
            [
                "command",
                "median (s)",
                "min (s)",
                "runs",
                "ratio (medians)",
                "ratio (minimums)",
                "target",
                "verdict",
            ],
            rows,
        ),
        f"`tracker --help` imports boto3/botocore (`python -X importtime -m tracker --help`): {imports}.",
        "",
        "Where `scripts/resolve_release.py`'s time goes (in-process stages of one fresh interpreter,",
        "medians; interpreter start-up itself is not included):",
        "",
        *table(["stage", "seconds"], stages),
        *_why_slow(data["resolve_breakdown_s"]),
    ]


_ROOT_LABELS = {
    "baseline": "baseline: AWS provider + `aws_ssm_parameters_by_path`",
    "baseline + external": "baseline + `external` data source running a no-op program",
    "stage": "stage root, using modules/release-deployment",
}


def plan_section(data: dict[str, Any]) -> list[str]:
    rows = []
    for name, figures in data["plans"].items():
        is_stage = name == "stage"
        rows.append(
            [
                f"{_ROOT_LABELS[name]} (`{data['roots'][name]}`)",
                seconds(figures),
                f"{figures['min_s']:.3f}",
                figures["runs"],
                f"{figures['ratio']:.2f}",
                f"<= {data['target_ratio']}" if is_stage else "–",
                verdict(data["met"]) if is_stage else "–",
            ]
        )
    lines = [
        "## 4. `terraform plan` against a baseline root",
        "",
        "Each root copied to a temporary directory with its own `TF_DATA_DIR`, initialised once, then",
        f"planned in turn (median of {data['runs']}); the stage root plans release `{data['release_id']}`,",
        "which runs in stage.",
        "",
        *table(["root", "median (s)", "min (s)", "runs", "ratio to baseline", "target", "verdict"], rows),
        *_plan_split(data),
    ]
    if data["offline_external_stand_in"]:
        lines += [
            "`hashicorp/external` here is the offline stand-in of `.terraformrc` (a Python provider,",
            "slower to start than the registry's Go binary); its start-up is part of the stage figure.",
            "",
        ]
    return lines


def _plan_split(data: dict[str, Any]) -> list[str]:
    """Where the stage root's extra time goes, when the diagnostic root was planned."""
    plans = data["plans"]
    if "baseline + external" not in plans:
        return []
    base, external, stage = (plans[n]["median_s"] for n in ("baseline", "baseline + external", "stage"))
    return [
        f"Of the stage root's {stage - base:.2f} s over the baseline, {external - base:.2f} s is the",
        f"`external` provider with a no-op program, and {stage - external:.2f} s the tracker's program",
        "(`scripts/resolve_release.py`), the caller-identity read and the module.",
        "",
    ]


def deploy_section(data: dict[str, Any]) -> list[str]:
    first = data["results"][str(data["service_counts"][0])]["median_s"]
    rows = [
        [n, seconds(f), f"{f['min_s']:.3f}", f["runs"], f"{f['median_s'] / first:.2f}"]
        for n, f in ((n, data["results"][str(n)]) for n in data["service_counts"])
    ]
    low, high = data["growth_between"]
    return [
        "## 5. Deploy wall time as services grow",
        "",
        "The library's `deploy` with warm clients (two releases deployed in turn to stage, so every run",
        "records a deployment); SSM writes go 4 at a time.",
        "",
        *table(["services", "median (s)", "min (s)", "runs", f"ratio to {low} service(s)"], rows),
        f"Growth {high}/{low}: {data['growth']:.1f}x. Linear in the number of services: one SSM PutParameter",
        "per service (the RFC's target allows N writes); the DynamoDB calls do not grow (section 1).",
        "",
    ]


def markdown(doc: dict[str, Any]) -> str:
    mode = " (smoke run: tiny sizes, not for comparison)" if doc["mode"] == "smoke" else ""
    lines = [
        f"# Benchmarks{mode}",
        "",
        "Generated by `bench/run.py` against its own moto server on 127.0.0.1: call and item counts are what",
        "AWS would see; wall times measure the client side on loopback, not AWS latency.",
        "",
        *machine(doc),
        *api_section(doc["api_calls"]),
        *items_section(doc["items_read"]),
        *wall_section(doc["wall_time"]),
        *plan_section(doc["terraform_plan"]),
        *deploy_section(doc["deploy_time"]),
    ]
    return "\n".join(lines).rstrip() + "\n"
