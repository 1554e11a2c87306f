"""The real terraform binary against the moto server: the store root, the environment root
(through `tracker terraform` and make), state per project and environment, faults, hostile text.

Every root runs from a copy in a temporary directory, with its own state; the
checkout is never written to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import BUGFARM, DEPLOYMENTS, RELEASES, REPO, reset_moto
from tests.support.rollouts import EmulatorDriver
from tests.support.tables import create_tables
from tests.support.terraform import copy_tree, make, terraform, tf_env, tracker

pytestmark = pytest.mark.terraform

RFC_IMAGES = {
    "hatching": "http://example.com/images/hatching/00001",
    "feeding": "http://example.com/images/feeding/00001",
}
THREE_ENVIRONMENTS = {
    "project": {"id": "shop", "name": "Online Shop"},
    "services": [{"id": "web", "name": "Web"}, {"id": "worker", "name": "Worker"}],
    "environments": [{"id": e, "name": e.title()} for e in ("dev", "stage", "prod")],
}


@pytest.fixture(scope="session")
def plugin_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One provider cache for the session: each new data directory links to it."""
    return tmp_path_factory.mktemp("plugin-cache")


@pytest.fixture
def tf(tmp_path: Path, moto_endpoint: str, plugin_cache: Path) -> dict[str, Any]:
    """A clean emulator, a copy of the Terraform folders and an empty state directory."""
    reset_moto(moto_endpoint)
    tree = copy_tree(tmp_path / "tree")
    return {
        "root": tree / "terraform" / "environment",
        "store": tree / "terraform" / "store",
        "state": tmp_path / "state",
        "env": tf_env(plugin_cache),
        "tmp": tmp_path,
    }


def stack(
    tf: dict[str, Any], *args: str, project: Path = BUGFARM, check: bool = True, **env: str
) -> subprocess.CompletedProcess[str]:
    """``tracker --project-file PROJECT terraform ...`` on the copied environment root."""
    where = ["--root", str(tf["root"]), "--state-dir", str(tf["state"])]
    return tracker(
        "--project-file", str(project), "terraform", *args, *where, env={**tf["env"], **env}, check=check
    )


def clients() -> Any:
    from tracker.stores.clients import Clients

    return Clients()


def seed_release(aws: Any, project_file: Path = BUGFARM, tag: str = "00001") -> str:
    """Publish images and create a release through the library; returns its id."""
    from tests.support.library import library, release
    from tracker.model.project import load_project
    from tracker.model.requests import PublishRequest

    tracker = library(aws, load_project(project_file))
    for service in tracker.project.service_ids:
        image = f"http://example.com/images/{service}/{tag}"
        tracker.publish(PublishRequest(service_id=service, image_uri=image, user_id="dev"))
    return release(tracker, "dev_dave", "Dave Dollop", description="Some stuff wot I did.").release_id


def deploy_outside_terraform(aws: Any, environment: str) -> str:
    """Publish other images, release and deploy them with the library (outside Terraform)."""
    from tests.support.library import deploy, library
    from tracker.model.project import load_project

    release_id = seed_release(aws, tag="other")
    deploy(library(aws, load_project(BUGFARM)), release_id, environment, "cli")
    return release_id


def release_item(aws: Any, release_id: str) -> dict[str, Any]:
    from tests.support.library import library
    from tracker.model.project import load_project

    release = library(aws, load_project(BUGFARM)).store.releases.get(release_id)
    assert release is not None
    return release.as_row()


def deployment_params(aws: Any, project_id: str = "bugfarm_73649") -> dict[str, str]:
    params = aws.ssm.get_parameters_by_path(Path=f"/{project_id}/deployments", Recursive=True)
    return {p["Name"]: p["Value"] for p in params["Parameters"]}


def deployment_rows(aws: Any) -> list[tuple[str, str, str]]:
    """Every environment's row (state items beside them -- freezes, last verified -- left out)."""
    items = aws.dynamodb.scan(TableName=DEPLOYMENTS)["Items"]
    rows = [i for i in items if "release_id" in i]
    return sorted((i["project_id"]["S"], i["environment_id"]["S"], i["release_id"]["S"]) for i in rows)


def outputs(tf: dict[str, Any], project_id: str, environment: str) -> dict[str, Any]:
    """``terraform output`` of one project's environment, from its own state."""
    data = {"TF_DATA_DIR": str(tf["state"] / "projects" / project_id / environment / ".terraform")}
    result: dict[str, Any] = json.loads(
        terraform(tf["root"], "output", "-json", env={**tf["env"], **data}).stdout
    )
    return result


def apply_store(tf: dict[str, Any]) -> None:
    data = {"TF_DATA_DIR": str(tf["tmp"] / "store-data")}
    env = {**tf["env"], **data}
    terraform(
        tf["store"], "init", "-input=false", f"-backend-config=path={tf['tmp'] / 'store.tfstate'}", env=env
    )
    terraform(tf["store"], "apply", "-auto-approve", "-input=false", "-var=project_id=bugfarm_73649", env=env)


def test_store_root_creates_exactly_the_rfc_tables(tf: dict[str, Any]) -> None:
    apply_store(tf)
    aws = clients()
    actual = {t: aws.dynamodb.describe_table(TableName=t)["Table"] for t in (RELEASES, DEPLOYMENTS)}

    # The same definitions the Python tests create: the two must never drift apart.
    reset_moto(os.environ["AWS_ENDPOINT_URL"])
    create_tables(aws.dynamodb, RELEASES, DEPLOYMENTS)
    expected = {t: aws.dynamodb.describe_table(TableName=t)["Table"] for t in (RELEASES, DEPLOYMENTS)}

    def shape(table: dict[str, Any]) -> dict[str, Any]:
        return {
            "keys": table["KeySchema"],
            "attributes": sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
            "gsis": sorted(
                (g["IndexName"], json.dumps(g["KeySchema"]), g["Projection"]["ProjectionType"])
                for g in table.get("GlobalSecondaryIndexes", [])
            ),
            "billing": table["BillingModeSummary"]["BillingMode"],
        }

    for name in (RELEASES, DEPLOYMENTS):
        assert shape(actual[name]) == shape(expected[name])
    keys = {g[0]: json.loads(g[1]) for g in shape(actual[RELEASES])["gsis"]}
    assert keys == {
        "latest_deployments": [
            {"AttributeName": "project_id", "KeyType": "HASH"},
            {"AttributeName": "deployed_at", "KeyType": "RANGE"},
        ],
        "latest_releases": [
            {"AttributeName": "project_id", "KeyType": "HASH"},
            {"AttributeName": "created_at", "KeyType": "RANGE"},
        ],
    }
    assert actual[RELEASES]["SSEDescription"]["Status"] == "ENABLED"
    assert actual[RELEASES]["DeletionProtectionEnabled"] is True


def test_stage_then_prod_reproduce_the_rfc_example(tf: dict[str, Any], aws: Any) -> None:
    release_id = seed_release(aws)

    planned = stack(tf, "plan", release_id, "stage")
    assert f'+ release_id = "{release_id}"' in planned.stdout
    assert 'hatching = "(none) -> http://example.com/images/hatching/00001"' in planned.stdout
    assert deployment_rows(aws) == []  # a plan writes nothing

    stack(
        tf, "deploy", release_id, "stage",
        "--user", "ops_ophelia", "--user-name", "Ophelia Oppenheimer",
        "--description", "Some stuff wot dave did for testing.",
    )  # fmt: skip
    promoted = stack(
        tf, "promote", "stage", "prod",
        "--user", "ops_ophelia", "--user-name", "Ophelia Oppenheimer",
        "--description", "Some stuff wot dave did for releasing.",
    )  # fmt: skip
    assert f'release_id = "{release_id}"' in promoted.stdout

    row = release_item(aws, release_id)
    assert row["project_id"] == "bugfarm_73649" and row["deployed_at"] > row["created_at"]
    manifest = row["release_manifest"]
    assert manifest["images"] == RFC_IMAGES
    assert [(d["environment"], d["requested_by"], d["description"]) for d in manifest["deployments"]] == [
        (
            {"id": "stage", "name": "Simon's staging sideshow!"},
            {"id": "ops_ophelia", "name": "Ophelia Oppenheimer"},
            "Some stuff wot dave did for testing.",
        ),
        (
            {"id": "prod", "name": "Peters prod palace!"},
            {"id": "ops_ophelia", "name": "Ophelia Oppenheimer"},
            "Some stuff wot dave did for releasing.",
        ),
    ]
    assert deployment_rows(aws) == [
        ("bugfarm_73649", "prod", release_id),
        ("bugfarm_73649", "stage", release_id),
    ]
    assert deployment_params(aws) == {
        f"/bugfarm_73649/deployments/{env}/{svc}": uri
        for env in ("stage", "prod")
        for svc, uri in RFC_IMAGES.items()
    }

    # Applying the same release again: no changes planned, nothing recorded; the same for a
    # plan that only reads what the environment runs.
    assert "No changes." in stack(tf, "plan", release_id, "stage").stdout
    assert "No changes." in stack(tf, "plan", "stage").stdout
    stack(tf, "deploy", release_id, "stage")
    assert len(release_item(aws, release_id)["release_manifest"]["deployments"]) == 2

    # A stack that only reads: the deployed-images module.
    reader = tf["root"].parent.parent / "modules/deployed-images/examples/basic"
    env = {**tf["env"], "TF_DATA_DIR": str(tf["tmp"] / "reader-data")}
    terraform(reader, "init", "-input=false", env=env)
    terraform(
        reader, "apply", "-auto-approve", "-input=false", f"-state={tf['tmp'] / 'reader.tfstate'}", env=env
    )
    images = json.loads(
        terraform(reader, "output", "-json", f"-state={tf['tmp'] / 'reader.tfstate'}", env=env).stdout
    )
    assert images["images"]["value"] == RFC_IMAGES

    # destroy never deletes tracking history.
    before = (release_item(aws, release_id), deployment_rows(aws), deployment_params(aws))
    prod_data = {"TF_DATA_DIR": str(tf["state"] / "projects" / "bugfarm_73649" / "prod" / ".terraform")}
    terraform(
        tf["root"], "destroy", "-auto-approve", "-input=false",
        f"-var=project_file={BUGFARM}", "-var=environment=prod", env={**tf["env"], **prod_data},
    )  # fmt: skip
    assert (release_item(aws, release_id), deployment_rows(aws), deployment_params(aws)) == before


def test_plan_of_an_environment_without_a_release_reads_what_runs_there(tf: dict[str, Any], aws: Any) -> None:
    empty = stack(tf, "plan", "prod").stdout  # nothing deployed yet: no error, nothing to do
    assert "Plan:" not in empty and '+ project_id = "bugfarm_73649"' in empty and '+ release_id = ""' in empty
    release_id = seed_release(aws)
    prefix = release_id.split(":")[1][:8]  # what `release list` and the report show
    stack(tf, "deploy", prefix, "prod")
    assert deployment_rows(aws) == [("bugfarm_73649", "prod", release_id)]
    assert "No changes." in stack(tf, "plan", "prod").stdout
    assert outputs(tf, "bugfarm_73649", "prod")["release_id"]["value"] == release_id
    assert outputs(tf, "bugfarm_73649", "prod")["images"]["value"] == RFC_IMAGES


def test_any_declared_environment_deploys_and_promotes_through_make(tf: dict[str, Any], aws: Any) -> None:
    manifest = tf["tmp"] / "shop.json"
    manifest.write_text(json.dumps(THREE_ENVIRONMENTS))
    release_id = seed_release(aws, manifest)
    common = [f"PROJECT_FILE={manifest}", f"ROOT={tf['root']}", f"STATE_DIR={tf['state']}"]
    env = {**tf["env"], "TRACKER_USER": "ci"}

    planned = make("plan", "ENV=dev", f"RELEASE={release_id.split(':')[1][:8]}", *common, env=env)
    assert "Plan: 1 to add" in planned.stdout and deployment_rows(aws) == []
    deployed = make("deploy", "ENV=dev", "RELEASE=latest", *common, env=env)
    # No ECS service runs shop in dev: make says so and does not wait.
    assert "no ECS service runs shop's images in dev" in deployed.stdout
    assert "not waiting: the deployment stays unverified" in deployed.stdout
    # Stage's ECS services run the release: make promote waits and records the verdict.
    from tests.support.library import library
    from tracker.model.project import load_project

    driver = EmulatorDriver(boto3.session.Session())
    images = library(aws, load_project(manifest)).release(release_id).images
    for service, image in images.items():
        task = driver.task(f"shop-{service}", image)
        driver.service(
            "shop-stage", service, task, {"deployment:service": service, "deployment:env": "stage"}
        )
        driver.completed("shop-stage", service, task)
    promoted = make("promote", "FROM=dev", "TO=stage", *common, env=env)
    assert f"verified: release {release_id} in stage" in promoted.stdout
    assert deployment_rows(aws) == [("shop", "dev", release_id), ("shop", "stage", release_id)]
    again = make("deploy", "ENV=stage", f"RELEASE={release_id}", "WAIT=0", *common, env=env)
    assert "verified" not in again.stdout and "ECS" not in again.stdout  # WAIT=0: no wait
    assert sorted(p.name for p in (tf["state"] / "projects" / "shop").iterdir()) == ["dev", "stage"]

    refused = make("deploy", "ENV=qa", "RELEASE=latest", *common, env=env, check=False)
    assert refused.returncode != 0
    assert "tracker: error: environment 'qa' is not declared" in refused.stderr
    assert not (tf["state"] / "projects" / "shop" / "qa").exists()  # refused before Terraform ran
    usage = make("deploy", "ENV=dev", *common, env=env, check=False)
    assert usage.returncode == 2 and "usage: make deploy" in usage.stderr
    # What make recorded is what the metrics count, per environment (ENV=all).
    measured = json.loads(make("metrics", "ENV=all", "FORMAT=json", "SINCE=1d", *common, env=env).stdout)
    counts = {m["environment"]: m["deployment_frequency"]["deployments"] for m in measured}
    assert counts == {"dev": 1, "stage": 1, "prod": 0}


def test_each_project_keeps_its_own_state(tf: dict[str, Any], aws: Any) -> None:
    shop = tf["tmp"] / "shop.json"
    shop.write_text(json.dumps(THREE_ENVIRONMENTS))
    bugfarm_release, shop_release = seed_release(aws), seed_release(aws, shop)
    stack(tf, "deploy", bugfarm_release, "stage")
    bugfarm_state = tf["state"] / "projects" / "bugfarm_73649" / "stage" / "terraform.tfstate"
    before = bugfarm_state.read_bytes()

    stack(tf, "deploy", shop_release, "stage", project=shop)
    assert bugfarm_state.read_bytes() == before
    again = stack(tf, "plan", bugfarm_release, "stage")
    assert "No changes." in again.stdout
    assert outputs(tf, "bugfarm_73649", "stage")["images"]["value"] == RFC_IMAGES
    assert set(outputs(tf, "shop", "stage")["images"]["value"]) == {"web", "worker"}


def faulty_tracker(tmp_path: Path) -> str:
    launcher = tmp_path / "faulty-tracker"
    launcher.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" "{REPO / "tests/support/faulty_tracker.py"}" "$@"\n'
    )
    launcher.chmod(0o755)
    return str(launcher)


def test_failed_recorder_fails_the_apply_and_the_rerun_converges_once(tf: dict[str, Any], aws: Any) -> None:
    release_id = seed_release(aws)
    faulty = {"TF_VAR_tracker_command": json.dumps([faulty_tracker(tf["tmp"])])}

    failed = stack(tf, "deploy", release_id, "stage", check=False, **faulty)
    assert failed.returncode != 0
    assert "injected fault: SSM PutParameter failed" in failed.stdout + failed.stderr
    assert "Traceback" not in failed.stdout + failed.stderr
    # The transaction went through, SSM did not: verify sees the drift.
    assert deployment_rows(aws) == [("bugfarm_73649", "stage", release_id)]
    assert deployment_params(aws) == {}
    verify = tracker("--project-file", str(BUGFARM), "verify", "stage", env=tf["env"], check=False)
    assert verify.returncode == 1
    assert "stage/hatching: SSM has no parameter" in verify.stdout

    stack(tf, "deploy", release_id, "stage")
    deployments = release_item(aws, release_id)["release_manifest"]["deployments"]
    assert [d["environment"]["id"] for d in deployments] == ["stage"]
    assert deployment_params(aws) == {
        f"/bugfarm_73649/deployments/stage/{s}": u for s, u in RFC_IMAGES.items()
    }

    # Something else is deployed to stage outside Terraform (a CLI rollback, say):
    # re-applying the same release_id must deploy it again, not plan "no changes".
    other = deploy_outside_terraform(aws, "stage")
    assert "Plan: 1 to add, 0 to change, 1 to destroy" in stack(tf, "plan", release_id, "stage").stdout
    stack(tf, "deploy", release_id, "stage")
    assert deployment_rows(aws) == [("bugfarm_73649", "stage", release_id)]
    deployments = release_item(aws, release_id)["release_manifest"]["deployments"]
    assert [d["environment"]["id"] for d in deployments] == ["stage", "stage"]
    assert other != release_id
    assert "No changes." in stack(tf, "plan", release_id, "stage").stdout


def test_unknown_release_fails_the_plan_cleanly_and_writes_nothing(tf: dict[str, Any], aws: Any) -> None:
    seed_release(aws)
    unknown = stack(tf, "deploy", "0000-nope", "stage", check=False)
    assert unknown.returncode != 0
    # Terraform wraps the program's one line in its error box; compare the words.
    words = " ".join((unknown.stdout + unknown.stderr).split())
    assert "tracker: error: release '0000-nope' not found in project 'bugfarm_73649'" in words
    assert "Traceback" not in unknown.stdout + unknown.stderr
    # A malformed id is refused before Terraform starts: one line, exit 2.
    malformed = stack(tf, "deploy", "../etc", "stage", check=False)
    assert malformed.returncode == 2
    assert malformed.stderr.strip().splitlines() == [
        "tracker: error: release id '../etc' is malformed: expected PROJECT:UUID, a bare id or a prefix "
        "(letters, digits, '.', '_', '-')"
    ]
    assert deployment_rows(aws) == []
    assert deployment_params(aws) == {}


INJECTION = (
    'it\'s "quoted" $(touch {canary}) `touch {canary}` ${{var.x}} %{{if true}}x%{{endif}}\nline2 ünïcødé ☃'
)


def test_hostile_text_passes_through_terraform_verbatim(tf: dict[str, Any], aws: Any) -> None:
    release_id = seed_release(aws)
    canary = tf["tmp"] / "canary"
    text = INJECTION.format(canary=canary)
    stack(
        tf, "deploy", release_id, "stage",
        "--description", text, "--user", "o'brien $(id)", "--user-name", text[:200],
    )  # fmt: skip
    entry = release_item(aws, release_id)["release_manifest"]["deployments"][0]
    assert entry["description"] == text
    assert entry["requested_by"] == {"id": "o'brien $(id)", "name": text[:200]}
    assert not canary.exists()


WECO_MANIFEST = """\
shop:
  name: Online Shop
  role_arn: arn:aws:iam::111122223333:role/shop-ci
  account_id: '111122223333'
  aws_region_name: eu-central-1
  environments: [{id: stage}, {id: prod}]
  image_repositories:
    - id: web
      services: [web-frontend]
    - id: worker
reports:
  role_arn: arn:aws:iam::444455556666:role/reports-ci
  region_name: us-east-2
  environments: [{id: "2024-06-01"}]
  image_repositories: [{id: renderer}]
"""


def test_a_weco_manifest_deploys_each_project_in_its_own_account_through_make(tf: dict[str, Any]) -> None:
    """PROJECT= selects the project; Terraform's programs assume its role, in its region."""
    from tests.support.accounts import account_session, items, parameters

    manifest = tf["tmp"] / ".wellcome_project"
    manifest.write_text(WECO_MANIFEST)
    where = {"shop": ("111122223333", "eu-central-1"), "reports": ("444455556666", "us-east-2")}
    sessions = {project: account_session(*place) for project, place in where.items()}
    env = {**tf["env"], "TRACKER_USER": "ci", "TF_VAR_deletion_protection_enabled": "false"}
    common = [f"PROJECT_FILE={manifest}", f"ROOT={tf['root']}", f"STATE_DIR={tf['state']}"]
    # make store creates each project's tables in its account and region (the provider assumes the role).
    make("store", "PROJECT=shop", f"TF_DIR={tf['root'].parent}", *common, env=env)
    make("store", "PROJECT=reports", f"TF_DIR={tf['root'].parent}", *common, env=env)
    for session in sessions.values():
        assert items(session, RELEASES) == [] and items(session, DEPLOYMENTS) == []
    assert items(account_session("123456789012", "eu-west-1"), RELEASES) is None
    for project, services in (("shop", ("web", "worker")), ("reports", ("renderer",))):
        for service in services:
            make(
                "publish",
                f"PROJECT={project}",
                f"SERVICE={service}",
                f"IMAGE=r/{service}:1",
                *common,
                env=env,
            )
        make("release", f"PROJECT={project}", *common, env=env)
    make("deploy", "PROJECT=shop", "ENV=stage", "RELEASE=latest", *common, env=env)
    make("promote", "PROJECT=shop", "FROM=stage", "TO=prod", *common, env=env)
    make("deploy", "PROJECT=reports", "ENV=2024-06-01", "RELEASE=latest", *common, env=env)

    assert parameters(sessions["shop"])["/shop/deployments/prod/worker"] == "r/worker:1"
    assert parameters(sessions["reports"])["/reports/deployments/2024-06-01/renderer"] == "r/renderer:1"
    assert {row["environment_id"]["S"] for row in items(sessions["shop"], DEPLOYMENTS) or []} == {
        "stage",
        "prod",
    }
    assert not any("deployments" in name for name in parameters(account_session("123456789012", "eu-west-1")))
    assert outputs(tf, "shop", "prod")["images"]["value"] == {"web": "r/web:1", "worker": "r/worker:1"}
    assert outputs(tf, "reports", "2024-06-01")["project_id"]["value"] == "reports"
    # Without PROJECT= the file's several projects are named, before Terraform starts.
    refused = make("plan", "ENV=stage", *common, env=env, check=False)
    assert refused.returncode != 0 and "holds several projects (shop, reports)" in refused.stderr
    store = make("store", f"TF_DIR={tf['root'].parent}", *common, env=env, check=False)
    assert store.returncode != 0 and "holds several projects (shop, reports)" in store.stderr
    assert sorted(p.name for p in (tf["state"] / "store").iterdir()) == ["reports", "shop"]


def test_a_frozen_environment_fails_the_plan_and_make_force_deploys_through_it(
    tf: dict[str, Any], aws: Any
) -> None:
    from tests.support.library import library, person
    from tracker.model.project import load_project
    from tracker.model.requests import FreezeRequest

    release_id = seed_release(aws)
    tracker = library(aws, load_project(BUGFARM))
    tracker.freeze(FreezeRequest(environment_id="prod", requested_by=person("ophelia"), reason="incident 42"))
    refused = stack(tf, "deploy", release_id, "prod", check=False)
    assert refused.returncode != 0
    words = " ".join((refused.stdout + refused.stderr).split())
    assert "tracker: error: environment 'prod' is frozen by ophelia since" in words
    assert '"incident 42"; nothing was recorded' in words and "Traceback" not in words
    # The hint speaks the interface in use: `tracker terraform deploy` takes --force.
    assert "(to deploy anyway: --force with --description saying why)" in words
    assert tracker.store.environments.row("bugfarm_73649", "prod") is None and deployment_params(aws) == {}

    common = [f"ROOT={tf['root']}", f"STATE_DIR={tf['state']}"]
    env = {**tf["env"], "TRACKER_USER": "ci"}
    plain = make("deploy", "ENV=prod", "RELEASE=latest", *common, env=env, check=False)
    words = " ".join((plain.stdout + plain.stderr).split())
    assert plain.returncode != 0 and "(to deploy anyway: FORCE=1 with DESCRIPTION=... saying why)" in words
    bare = make("deploy", "ENV=prod", "RELEASE=latest", "FORCE=1", *common, env=env, check=False)
    assert bare.returncode == 2 and "FORCE=1 needs DESCRIPTION=... saying why" in bare.stderr
    make("deploy", "ENV=prod", "RELEASE=latest", "FORCE=1", "DESCRIPTION=hotfix", *common, env=env)
    entry = release_item(aws, release_id)["release_manifest"]["deployments"][-1]
    assert entry["description"] == "hotfix" and "incident 42" in entry["forced"]
    assert deployment_params(aws)["/bugfarm_73649/deployments/prod/hatching"] == RFC_IMAGES["hatching"]


def test_the_store_can_create_the_event_bus_and_the_deployer_may_send_to_it(tf: dict[str, Any]) -> None:
    env = {**tf["env"], "TF_DATA_DIR": str(tf["tmp"] / "store-data")}
    terraform(tf["store"], "init", "-input=false", f"-backend-config=path={tf['tmp'] / 's.tfstate'}", env=env)
    terraform(
        tf["store"],
        "apply",
        "-auto-approve",
        "-input=false",
        "-var=project_id=bugfarm_73649",
        "-var=create_event_bus=true",
        env=env,
    )
    out = json.loads(terraform(tf["store"], "output", "-json", env=env).stdout)
    assert out["event_bus_name"]["value"] == "release-tracker"
    arn = clients().get("events").describe_event_bus(Name="release-tracker")["Arn"]
    statements = json.loads(out["deployer_policy_json"]["value"])["Statement"]
    sent = [s for s in statements if s.get("Sid") == "SendTrackerEvents"]
    assert sent and sent[0]["Action"] == "events:PutEvents" and sent[0]["Resource"] == arn


def test_a_policy_fails_the_plan_and_make_approve_then_promote_passes_it(
    tf: dict[str, Any], aws: Any
) -> None:
    from tests.support.library import library
    from tracker.model.project import load_project

    document = json.loads(BUGFARM.read_text())
    document["environments"][1]["policy"] = {
        "promote_from": ["stage"],
        "approvals": 1,
        "approvers": ["lead_lee"],
    }
    manifest = tf["tmp"] / "policy.json"
    manifest.write_text(json.dumps(document))
    release_id = seed_release(aws, manifest)
    short = release_id.split(":")[1][:8]
    tracker = library(aws, load_project(manifest))

    refused = stack(tf, "plan", release_id, "prod", project=manifest, check=False)
    words = " ".join((refused.stdout + refused.stderr).split())
    assert refused.returncode != 0 and "Traceback" not in words
    assert (
        f"tracker: error: prod takes releases from stage: {short} never ran there; prod needs 1 approval "
        in words
    )
    assert (
        "approved by: none" in words and "(to deploy anyway: --force with --description saying why)" in words
    )

    common = [f"PROJECT_FILE={manifest}", f"ROOT={tf['root']}", f"STATE_DIR={tf['state']}", "WAIT=0"]
    env = {**tf["env"], "TRACKER_USER": "ci"}
    make("deploy", "ENV=stage", "RELEASE=latest", *common, env=env)
    approved = make(
        "approve", f"RELEASE={short}", "ENV=prod", "REQUESTED_BY=lead_lee", "DESCRIPTION=ok", *common, env=env
    )
    assert f"approved: release {short} for prod by lead_lee" in approved.stdout
    # The approver cannot promote on their own approval: the plan (module's requested_by) refuses it.
    own = make("promote", "FROM=stage", "TO=prod", "REQUESTED_BY=lead_lee", *common, env=env, check=False)
    words = " ".join((own.stdout + own.stderr).split())
    assert own.returncode != 0 and "approved by: lead_lee (the requester: not counted)" in words
    assert "(to deploy anyway: FORCE=1 with DESCRIPTION=... saying why)" in words
    assert tracker.store.environments.row("bugfarm_73649", "prod") is None and not any(
        name.startswith("/bugfarm_73649/deployments/prod/") for name in deployment_params(aws)
    )
    make("promote", "FROM=stage", "TO=prod", *common, env=env)
    assert deployment_rows(aws) == [
        ("bugfarm_73649", "prod", release_id),
        ("bugfarm_73649", "stage", release_id),
    ]
    revoked = make(
        "approve", "RELEASE=latest", "ENV=prod", "REQUESTED_BY=lead_lee", "REVOKE=1", *common, env=env
    )
    assert f"revoked: the approval of release {short} for prod by lead_lee" in revoked.stdout
