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
                    total.get("ecr_calls", 0),
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
        "The images are in ECR, one repository per service: `publish` checks each tag exists and",
        "`release create` pins them to their digests, one DescribeImages per repository (ECR column).",
        "",
        *table(
            ["operation", "services", "DynamoDB", "DynamoDB calls", "SSM", "SSM calls", "ECR", "all"], rows
        ),
        "### Targets",
        "",
        *table(["operation", "services", "target", "actual", "verdict", "why"], targets),
        f"Other figures worth knowing: `promote` costs {promote} DynamoDB calls, {promote - deploy} more",
        "than `deploy`: it reads both environments' rows (one BatchGetItem), then the release the",
        "source runs (one GetItem), where `deploy` reads the release and the row together. `verify`",
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
        "project; items read counted from DynamoDB's responses (a botocore hook). Every release is",
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
        *_wait_items(data.get("wait")),
        *_policy_items(data.get("policy")),
    ]


def _policy_items(judged: dict[str, Any] | None) -> list[str]:
    if not judged:
        return []
    calls = "; ".join(f"{k}: {breakdown(v)}" for k, v in judged["deploy_calls"].items())
    return [
        "Approving a release for prod, then deploying it there under a promotion policy (`promote_from:",
        f"[stage]`, one approval) after {judged['deployments']} deployments to stage: approve "
        f"**{judged['approve_items_read']} item(s) read**, deploy **{judged['deploy_items_read']} item(s) "
        "read** (the release with its deployments and approvals; prod's row and state item when they "
        f"exist; the row again after SSM): the policy reads no history. Deploy calls: {calls}.",
        "",
    ]


def _wait_items(waited: dict[str, Any] | None) -> list[str]:
    if not waited:
        return []
    return [
        f"`tracker wait stage --rollback-on-failure` after {waited['deployments']} deployments to stage "
        f"(a failed rollout rolled back to the last verified release, ten deployments back): "
        f"**{waited['items_read']} items read**, whatever the history's length (the row, the release, "
        "the row again at the poll, the state item's last verified deployment, then the rollback's own "
        f"reads); calls: {'; '.join(f'{k}: {breakdown(v)}' for k, v in waited['calls'].items())}.",
        "",
    ]


_STAGES = {
    "import_boto3": "`import boto3`",
    "import_tracker": "import the tracker's modules on the plan's path (no click, no jsonschema)",
    "load_project": "read and validate the project manifest (the schema's quick tier)",
    "create_client": "create the DynamoDB client (botocore loads the service model and endpoint rules)",
    "plan": "the deployment plan: one BatchGetItem (release, row, freeze) to the emulator",
}


def wall_section(data: dict[str, Any]) -> list[str]:
    rows = []
    for name, figures in data["commands"].items():
        is_program = name == data["program"]
        rows.append(
            [
                f"`{name}`" if not name.startswith(("fresh", "the floor")) else name,
                seconds(figures),
                f"{figures['min_s']:.3f}",
                figures["runs"],
                f"{figures['ratio']:.2f}",
                f"{figures['min_ratio']:.2f}",
                f"<= {data['target_ratio']}" if is_program else "–",
                verdict(data["met"]) if is_program else "–",
            ]
        )
    on, off = data["breakdown_s"]["on"], data["breakdown_s"]["off"]
    stages = [[_STAGES.get(k, k), f"{on[k]:.3f}", f"{off[k]:.3f}"] for k in on]
    help_info = data["help"]
    imports = "**yes**: " + ", ".join(help_info["heavy_modules"]) if help_info["imports_boto3"] else "no"
    return [
        "## 3. The program Terraform runs, against the floor",
        "",
        "Each command as a subprocess of the package installed from its wheel in a fresh virtualenv,",
        f"median of {data['runs']} interleaved runs after one warm-up; ratio to the floor in the same",
        f"run: {data['floor']}, with the same interpreter. The target is judged on the medians; the",
        "ratio of minimums is shown because other work on the machine inflates single runs.",
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
        "The program leaves with `os._exit` once its answer is flushed: with boto3 loaded, the",
        "interpreter's teardown (modules, objects, a last collection) costs tens of milliseconds that",
        "Terraform would wait for on every plan; the floor pays it, and the row that skips it in the",
        "floor shows how much. The target is judged against the floor as defined.",
        "",
        "Where the program's time goes (stages of one fresh interpreter, medians; start-up and teardown",
        "not included), with Python's cyclic garbage collector on and off. The program switches it off",
        "for its short life: with the tracker's modules loaded, collections while botocore loads its",
        "models cost the difference in the client row.",
        "",
        *table(["stage", "gc on (s)", "gc off (s)"], stages),
    ]


def plan_section(data: dict[str, Any]) -> list[str]:
    rows = [
        [name, seconds(figures), f"{figures['min_s']:.3f}", figures["runs"]]
        for name, figures in data["plans"].items()
    ]
    env_ratio, stack_ratio = data["ratios"]["environment root"], data["ratios"]["team stack"]
    lines = [
        "## 4. `terraform plan` against the same root with a no-op program",
        "",
        "Two root shapes, each planned with the tracker and with a no-op program that prints what the",
        f"tracker printed (so both plan the same change), interleaved, median of {data['runs']}:",
        "`terraform/environment` (this repository's root for any environment: the module only), and",
        "a team's stack (the README's example: AWS provider, the module, an ECS task definition).",
        f"Both plan release `{data['release_id']}`",
        "for an environment that runs another.",
        "",
        *table(["root", "median (s)", "min (s)", "runs"], rows),
        f"| ratio | environment root | team stack |\n|---|---|---|\n| tracker / no-op | {env_ratio:.2f} "
        f"(target <= {data['target_ratio']}: {verdict(data['met'])}) | {stack_ratio:.2f} |",
        "",
        "In a stack with the AWS provider, the program runs while the provider starts and costs",
        "nothing visible. The environment root no longer starts the AWS provider at all, so its",
        "plan takes about a second, and the program's fixed cost -- one Python process that",
        "imports boto3 and makes one call, section 3's floor -- is a large share of that second.",
        "No program that calls DynamoDB through boto3 can be cheaper than that floor, so the",
        "ratio target cannot be met for this root shape; the plan itself is several times faster",
        "than the earlier stage root's (5.5 s with the AWS provider, measured before this change).",
        "",
    ]
    if data["offline_external_stand_in"]:
        lines += [
            "`hashicorp/external` here is the offline stand-in of `.terraformrc` (a Python provider,",
            "slower to start than the registry's Go binary); its start-up is in both columns.",
            "",
        ]
    return lines


def make_section(data: dict[str, Any]) -> list[str]:
    rows = [[name, seconds(f), f"{f['min_s']:.3f}", f["runs"]] for name, f in data["figures"].items()]
    target, ratios = data["target_ratio"], data["ratios"]
    return [
        "## 6. `make plan` and `make deploy` against a bare `terraform plan` and `apply`",
        "",
        "`make plan|deploy ENV=stage RELEASE=…` and `terraform plan|apply` of the same root, state and",
        "variables (the plans plan the same change; the deploys alternate two releases so that every run",
        f"records a deployment); interleaved, median of {data['runs']} after one warm-up (which runs",
        "`terraform init`; later runs skip it). `make deploy` runs with `WAIT=0`: the bare apply waits for",
        "nothing either (what the wait for ECS costs is section 8).",
        "",
        *table(["command", "median (s)", "min (s)", "runs"], rows),
        f"Ratios: plan {ratios['plan']:.2f}, deploy {ratios['deploy']:.2f} (target <= {target} each: "
        f"{verdict(data['met'])}). What make adds: make itself, and one `tracker` process that checks the",
        "input and finds the state (no AWS call).",
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


def container_section(data: dict[str, Any]) -> list[str]:
    mb = 1_000_000
    sizes = [
        ["the image (`make image`)", f"{data['image_bytes'] / mb:.0f}"],
        [f"its base (`{data['base_image']}`)", f"{data['base_bytes'] / mb:.0f}"],
        [
            "added by the tracker (a virtualenv: the package, boto3, jsonschema, ...)",
            f"{(data['image_bytes'] - data['base_bytes']) / mb:.0f}",
        ],
    ]
    rows = [[name, seconds(f), f"{f['min_s']:.3f}", f["runs"]] for name, f in data["startup"].items()]
    return [
        "## 7. The container image",
        "",
        "Built as `make image` builds it, on the offline Debian bookworm base of",
        "tests/support/base_image.py (Python 3.11, trimmed like the official slim images); sizes as podman",
        "reports them (uncompressed). "
        + (
            f"The build took {data['build_s']:.0f} s, wheels included."
            if data["build_s"] is not None
            else "The image was built by the test suite (the build was not timed)."
        ),
        "",
        *table(["", "MB"], sizes),
        "Start-up of `tracker --help` inside the image: the entrypoint run in the container's mounted",
        "filesystem under chroot, as the image's user (podman cannot start containers on this machine).",
        "That is the image's own cost; `docker run` adds the engine's start-up on top.",
        "",
        *table(["command", "median (s)", "min (s)", "runs"], rows),
    ]


def markdown(doc: dict[str, Any]) -> str:
    mode = " (smoke run: tiny sizes, not for comparison)" if doc["mode"] == "smoke" else ""
    lines = [
        f"# Benchmarks{mode}",
        "",
        "Generated by `bench/run.py` (`make bench`) against its own emulator on 127.0.0.1: call and item",
        "counts are what AWS would see; wall times measure the client side on loopback, not AWS latency.",
        "",
        *machine(doc),
        *api_section(doc["api_calls"]),
        *items_section(doc["items_read"]),
        *wall_section(doc["wall_time"]),
        *plan_section(doc["terraform_plan"]),
        *deploy_section(doc["deploy_time"]),
        *make_section(doc["make"]),
        *container_section(doc["container_image"]),
        *rollout_section(doc.get("rollouts")),
        *policy_section(doc.get("policies")),
        *metrics_section(doc["items_read"].get("metrics")),
    ]
    return "\n".join(lines).rstrip() + "\n"


def metrics_section(data: dict[str, Any] | None) -> list[str]:
    """Section 10: `tracker metrics` over section 2's history."""
    if not data:
        return []
    cases = data["cases"]
    rows = [
        [
            name,
            case["deployments"],
            case["items_read"],
            "; ".join(f"{service}: {breakdown(ops)}" for service, ops in case["calls"].items()),
            f"{case['client_seconds']:.2f}",
            f"{case['wall_seconds']:.2f}",
        ]
        for name, case in cases.items()
    ]
    worst = max(case["client_seconds"] for case in cases.values())
    within = worst < data["budget_seconds"]
    return [
        "## 10. DORA metrics: items read and client time",
        "",
        f"`tracker metrics` over section 2's history ({data['releases']} releases: one every 10 minutes,",
        "each deployed to stage, every third one to prod too), for the window ending just after the newest",
        "deployment. Reads are history's: the latest-deployments index in Query pages of 100 releases,",
        "newest deployed first, stopping at each environment's deployment before the window -- no scan;",
        "items read follow the releases deployed in the window, not the table. Client time: CPU time of",
        "the calling thread (parsing and computing; the emulator serves from other threads); wall time",
        "includes the emulator.",
        "",
        *table(
            ["window", "deployments measured", "items read", "calls", "client s", "wall s"],
            rows,
        ),
        f"Budget: under {data['budget_seconds']:g} s of client time: {verdict(within)} "
        f"(worst {worst:.2f} s).",
        "",
    ]


def policy_section(data: dict[str, Any] | None) -> list[str]:
    if not data:
        return []
    order = [
        "approve by id",
        "approve latest",
        "approve --revoke",
        "promote without a policy",
        "promote with the policy",
        "pending prod",
        "diff stage prod",
    ]
    rows = [
        [
            name,
            "; ".join(f"{k}: {breakdown(v)}" for k, v in sorted(data[name]["calls"].items())),
            data[name]["all"],
        ]
        for name in order
        if name in data
    ]
    same = data["promote with the policy"]["calls"] == data["promote without a policy"]["calls"]
    policy = data["policy"]
    return [
        "",
        "## 9. Promotion policies: approving, and deploying under a policy",
        "",
        f"{data['services']} services; prod's policy: promote_from {', '.join(policy['promote_from'])}, "
        f"require_verified {str(policy['require_verified']).lower()}, {policy['approvals']} approval. The",
        "policy is judged on the release manifest the deployment reads anyway (its deployments, outcomes",
        "and approvals), and what it counted is a condition of the deployment's own transaction: no extra",
        "round trip. `pending prod` judges the newest release and what stage runs from what it reads;",
        "`diff` adds prod's state item (one GetItem) for freezes. Items read at 10 000 deployments:",
        "section 2.",
        "",
        *table(["operation", "calls", "all"], rows),
        f"Promote with the policy costs what it costs without: {verdict(same)}.",
    ]


def rollout_section(data: dict[str, Any] | None) -> list[str]:
    if not data:
        return []
    rows = []
    for n in data["service_counts"]:
        figures = data["calls"][str(n)]
        for when, calls in (
            ("first poll + record", figures["first_poll_and_record"]),
            ("each further poll", figures["each_further_poll"]),
        ):
            total = sum(sum(ops.values()) for ops in calls.values())
            account = f"{figures['account']['clusters']} ({figures['account']['services']})"
            listed = "; ".join(f"{k}: {breakdown(v)}" for k, v in sorted(calls.items()))
            rows.append([n, account, when, listed, total])
    delay = data["delay"]
    return [
        "",
        "## 8. `tracker wait`: calls per poll and how late a verdict is seen",
        "",
        "One cluster, one tagged ECS service per image, found by weco-deploy's tags (ListClusters,",
        "ListServices in pages of 100, DescribeServices with tags 10 at a time). *First poll + record*: a",
        "wait whose rollout is already complete (which deployment, the release, the poll, task definitions",
        "described once each, the verdict's transaction); *each further poll*: what one more look at a",
        "rollout still in progress costs (task definitions are not described again). Rollouts are moved",
        "by the test suite's driver on the emulator (moto models none). Services declared in the manifest",
        "skip ListClusters and ListServices. The search reads every cluster of the account and region",
        "(one ListServices each) and describes every service 10 at a time: other projects' clusters count.",
        "",
        *table(["ECS services", "clusters (services) in the account", "", "calls", "all"], rows),
        "Delay between ECS completing a rollout (at a random moment) and `wait` reporting it, at an",
        f"interval of {delay['interval']} s, {delay['runs']} run(s): "
        f"{', '.join(f'{d:.2f} s' for d in delay['delays'])}; max {delay['max']:.2f} s. Budget: one interval",
        f"(plus the look at ECS and the record, {delay['one_poll_and_record_s']:.2f} s here): "
        f"{verdict(delay['within_budget'])}.",
    ]
