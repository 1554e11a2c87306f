"""Least privilege of the ssm-namespace module's IAM policies (publisher, deployer, reader).

The policy documents come from the real module: a throwaway Terraform root
instantiates modules/ssm-namespace for ``bugfarm_73649`` and ``otherproj``
(and once more for bugfarm with ``allow_legacy_release_ids``) and is applied
with the real terraform binary against the session's moto server. They are
then evaluated request by request with tests/support/iam_eval.py (a small,
strict IAM evaluator, unit-tested in tests/unit/test_iam_eval.py; moto
enforces IAM per action only, so it cannot judge resource scoping), and the
publisher's actions once more by moto's own IAM enforcement on a separate
emulator started with authentication on.

The requests a real deployment makes are recorded from the tracker's own
boto3 calls and translated to what IAM authorises, so the policies are held to
what the code does, not to a list that could drift from it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import BUGFARM, DEPLOYMENTS, REGION, RELEASES, REPO, reset_moto
from tests.support import iam_eval
from tests.support.ecr import push, uri
from tests.support.emulator import spawn
from tests.support.iam_eval import Request, evaluate, is_allowed
from tests.support.tables import create_tables
from tests.support.terraform import terraform, tf_env

BUGFARM_ID = "bugfarm_73649"
OTHER_ID = "otherproj"
LEGACY = "bugfarm_73649 (legacy ids allowed)"
PROJECTS = (BUGFARM_ID, OTHER_ID)
ROLES = ("publisher", "deployer", "reader")
ACCOUNT = "123456789012"  # moto's default account: what aws_caller_identity returns there
RELEASES_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{RELEASES}"
DEPLOYMENTS_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{DEPLOYMENTS}"
RELEASES_INDEX_ARN = f"{RELEASES_ARN}/index/latest_releases"
TABLE_HASH_KEYS = {RELEASES: "release_id", DEPLOYMENTS: "project_id"}
# What `tracker wait` reads to know that ECS runs a deployment.
ROLLOUT_READS = (
    "ecs:ListClusters",
    "ecs:ListServices",
    "ecs:DescribeServices",
    "ecs:DescribeTaskDefinition",
    "cloudwatch:DescribeAlarms",
)

ROOT_TF = f"""
terraform {{
  required_version = ">= 1.5"
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }}
  }}
}}

# Test-only root: AWS is always the moto server named by AWS_ENDPOINT_URL.
provider "aws" {{
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}}

locals {{
  releases_table_arn    = "{RELEASES_ARN}"
  deployments_table_arn = "{DEPLOYMENTS_ARN}"
}}

module "bugfarm" {{
  source                = "./ssm-namespace"
  project_id            = "{BUGFARM_ID}"
  releases_table_arn    = local.releases_table_arn
  deployments_table_arn = local.deployments_table_arn
}}

module "other" {{
  source                = "./ssm-namespace"
  project_id            = "{OTHER_ID}"
  releases_table_arn    = local.releases_table_arn
  deployments_table_arn = local.deployments_table_arn
}}

module "legacy" {{
  source                   = "./ssm-namespace"
  project_id               = "{BUGFARM_ID}"
  releases_table_arn       = local.releases_table_arn
  deployments_table_arn    = local.deployments_table_arn
  allow_legacy_release_ids = true
}}

output "namespaces" {{
  value = {{
    for project, ns in {{
      "{BUGFARM_ID}" = module.bugfarm, "{OTHER_ID}" = module.other, "{LEGACY}" = module.legacy
    }} :
    project => {{
      images_path      = ns.images_path
      deployments_path = ns.deployments_path
      publisher        = ns.publisher_policy_json
      deployer         = ns.deployer_policy_json
      reader           = ns.reader_policy_json
    }}
  }}
}}
"""


# -- the documents, from the real module -------------------------------------
@pytest.fixture(scope="module")
def namespaces(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """``{project: {images_path, deployments_path, publisher, deployer, reader}}``, documents parsed."""
    root = tmp_path_factory.mktemp("ssm_namespace_root")
    shutil.copytree(REPO / "modules" / "ssm-namespace", root / "ssm-namespace")
    (root / "main.tf").write_text(ROOT_TF)
    env = tf_env(TF_DATA_DIR=str(root / ".terraform"))
    terraform(root, "init", "-input=false", env=env)
    terraform(root, "apply", "-auto-approve", "-input=false", env=env)
    outputs = json.loads(terraform(root, "output", "-json", env=env).stdout)
    result: dict[str, dict[str, Any]] = {}
    for project, values in outputs["namespaces"]["value"].items():
        result[project] = dict(values)
        for role in ROLES:
            result[project][role] = json.loads(values[role])
    return result


# -- requests -----------------------------------------------------------------
def param(name: str) -> str:
    """The ARN IAM authorizes an SSM parameter (or a GetParametersByPath path) against."""
    assert name.startswith("/")
    return f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}"


def ssm(action: str, name: str) -> Request:
    return Request(f"ssm:{action}", param(name))


def ddb(action: str, table_arn: str, leading_keys: list[str] | None = None) -> Request:
    """A DynamoDB request; ``leading_keys`` are the partition key values it touches (if any)."""
    context = {"dynamodb:LeadingKeys": leading_keys} if leading_keys is not None else {}
    return Request(f"dynamodb:{action}", table_arn, context)


def ecr(repository: str, account: str = ACCOUNT, region: str = REGION) -> Request:
    return Request("ecr:DescribeImages", f"arn:aws:ecr:{region}:{account}:repository/{repository}")


def img(project: str = BUGFARM_ID, label: str = "latest", service: str = "hatching") -> str:
    return f"/{project}/images/{label}/{service}"


def dep(project: str = BUGFARM_ID, environment: str = "stage", service: str = "hatching") -> str:
    return f"/{project}/deployments/{environment}/{service}"


B = [BUGFARM_ID]
MINE = [f"{BUGFARM_ID}:3f1c9b9e-0000-4000-8000-000000000001"]  # a release id of the project
THEIRS = [f"{OTHER_ID}:3f1c9b9e-0000-4000-8000-000000000002"]
BARE = ["3f1c9b9e-0000-4000-8000-000000000003"]  # recorded before ids carried the project
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem")

# (role of bugfarm_73649, request, allowed?)
CASES: list[tuple[str, Request, bool]] = [
    # publisher: write image labels, nothing else
    ("publisher", ssm("PutParameter", img()), True),
    ("publisher", ssm("PutParameter", img(label="v1.2.3", service="feeding")), True),
    ("publisher", ssm("GetParameter", img()), True),
    ("publisher", ssm("LabelParameterVersion", img()), True),
    ("publisher", ssm("PutParameter", dep()), False),
    ("publisher", ssm("PutParameter", dep(environment="prod", service="feeding")), False),
    ("publisher", ssm("DeleteParameter", img()), False),
    ("publisher", ssm("GetParametersByPath", f"/{BUGFARM_ID}/deployments"), False),
    ("publisher", ssm("PutParameter", f"/{BUGFARM_ID}/imagesX/latest/hatching"), False),
    ("publisher", ssm("PutParameter", f"/{BUGFARM_ID}x/images/latest/hatching"), False),
    ("publisher", ssm("PutParameter", f"/{BUGFARM_ID.upper()}/images/latest/hatching"), False),
    *[("publisher", ddb(a, RELEASES_ARN, MINE), False) for a in WRITES],
    *[("publisher", ddb(a, DEPLOYMENTS_ARN, B), False) for a in WRITES],
    ("publisher", ddb("GetItem", RELEASES_ARN, MINE), False),
    ("publisher", ddb("Query", DEPLOYMENTS_ARN, B), False),
    # publish checks an ECR tag exists, in whichever account and region the registry is
    ("publisher", ecr("hatching"), True),
    ("publisher", ecr("team/feeding", account="999988887777", region="us-east-1"), True),
    ("publisher", Request("ecr:PutImage", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/hatching"), False),
    # reader: read the namespace and the project's rows, write nothing
    ("reader", ssm("GetParametersByPath", f"/{BUGFARM_ID}/deployments"), True),
    ("reader", ssm("GetParametersByPath", f"/{BUGFARM_ID}/images"), True),
    ("reader", ssm("GetParameter", dep()), True),
    ("reader", ssm("GetParameters", img()), True),
    ("reader", ssm("GetParameterHistory", dep(environment="prod")), True),
    ("reader", ssm("GetParametersByPath", f"/{BUGFARM_ID}"), False),
    ("reader", ssm("PutParameter", img()), False),
    ("reader", ssm("PutParameter", dep()), False),
    ("reader", ssm("PutParameter", f"/{BUGFARM_ID}/anything"), False),
    ("reader", ssm("DeleteParameter", dep()), False),
    ("reader", ssm("LabelParameterVersion", img()), False),
    *[("reader", ddb(a, RELEASES_ARN, MINE), False) for a in WRITES],
    *[("reader", ddb(a, DEPLOYMENTS_ARN, B), False) for a in WRITES],
    ("reader", ddb("GetItem", RELEASES_ARN, MINE), True),
    ("reader", ddb("BatchGetItem", RELEASES_ARN, MINE), True),
    ("reader", ddb("GetItem", RELEASES_ARN, THEIRS), False),
    ("reader", ddb("GetItem", RELEASES_ARN, BARE), False),  # only with allow_legacy_release_ids
    ("reader", ddb("DescribeTable", RELEASES_ARN), True),  # finds the GSIs by key schema
    ("reader", ddb("Query", RELEASES_INDEX_ARN, B), True),
    ("reader", ddb("Query", RELEASES_INDEX_ARN, [OTHER_ID]), False),
    ("reader", ddb("GetItem", DEPLOYMENTS_ARN, B), True),
    ("reader", ddb("Query", DEPLOYMENTS_ARN, B), True),
    ("reader", ddb("Scan", DEPLOYMENTS_ARN), False),
    ("reader", ddb("Scan", RELEASES_ARN), False),
    ("reader", ecr("hatching"), False),
    # deployer: read images, write deployments and the project's tracking rows
    ("deployer", ssm("PutParameter", dep()), True),
    ("deployer", ssm("PutParameter", dep(environment="prod", service="feeding")), True),
    ("deployer", ssm("PutParameter", img()), False),
    ("deployer", ssm("PutParameter", img(label="v1", service="feeding")), False),
    ("deployer", ssm("GetParameters", img()), True),
    ("deployer", ssm("GetParametersByPath", f"/{BUGFARM_ID}/images"), True),
    ("deployer", ssm("GetParametersByPath", f"/{BUGFARM_ID}/deployments"), True),
    ("deployer", ssm("DeleteParameter", dep()), False),
    ("deployer", ssm("LabelParameterVersion", img()), False),
    ("deployer", ddb("UpdateItem", RELEASES_ARN, MINE), True),
    ("deployer", ddb("PutItem", RELEASES_ARN, MINE), True),
    ("deployer", ddb("UpdateItem", RELEASES_ARN, THEIRS), False),
    ("deployer", ddb("PutItem", RELEASES_ARN, THEIRS), False),
    ("deployer", ddb("UpdateItem", RELEASES_ARN, BARE), False),
    ("deployer", ddb("PutItem", DEPLOYMENTS_ARN, B), True),
    ("deployer", ddb("ConditionCheckItem", DEPLOYMENTS_ARN, B), True),
    ("deployer", ddb("BatchGetItem", DEPLOYMENTS_ARN, B), True),
    ("deployer", ddb("Query", RELEASES_INDEX_ARN, B), True),
    ("deployer", ddb("Query", RELEASES_INDEX_ARN, [OTHER_ID]), False),
    ("deployer", ddb("DeleteItem", DEPLOYMENTS_ARN, B), False),
    ("deployer", ddb("DeleteItem", RELEASES_ARN, MINE), False),
    ("deployer", ddb("BatchWriteItem", DEPLOYMENTS_ARN, B), False),
    ("deployer", ddb("Scan", DEPLOYMENTS_ARN), False),
    ("deployer", ddb("DeleteTable", RELEASES_ARN), False),
    ("deployer", ecr("hatching"), True),  # release create pins tags to digests
    (
        "deployer",
        Request("ecr:BatchDeleteImage", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/hatching"),
        False,
    ),
]


def _case_id(case: tuple[str, Request, bool]) -> str:
    role, request, allowed = case
    resource = request.resource.rsplit(":", 1)[-1]
    keys = request.context.get("dynamodb:LeadingKeys")
    suffix = f"[{','.join(k.split('-')[0] for k in keys)}]" if keys else ""
    return f"{role}-{'may' if allowed else 'may-not'}-{request.action}-{resource}{suffix}"


@pytest.mark.terraform
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_role_permissions(namespaces: dict[str, dict[str, Any]], case: tuple[str, Request, bool]) -> None:
    role, request, allowed = case
    decision = evaluate([namespaces[BUGFARM_ID][role]], request)
    assert decision.allowed is allowed, f"{role}: {request} is {decision.value}"


@pytest.mark.terraform
@pytest.mark.parametrize(
    ("role", "request_", "allowed"),
    [
        ("reader", ddb("GetItem", RELEASES_ARN, BARE), True),
        ("reader", ddb("GetItem", RELEASES_ARN, THEIRS), False),
        ("deployer", ddb("UpdateItem", RELEASES_ARN, BARE), True),
        ("deployer", ddb("PutItem", RELEASES_ARN, BARE), False),  # new releases always get scoped ids
        ("deployer", ddb("UpdateItem", RELEASES_ARN, THEIRS), False),
        ("deployer", ddb("UpdateItem", RELEASES_ARN, [*BARE, *THEIRS]), False),
        ("deployer", ddb("UpdateItem", RELEASES_ARN, MINE), True),
    ],
)
def test_legacy_release_ids_only_where_allowed(
    namespaces: dict[str, dict[str, Any]], role: str, request_: Request, allowed: bool
) -> None:
    """allow_legacy_release_ids opens bare ids (no ':') and nothing else."""
    assert is_allowed(namespaces[LEGACY][role], request_) is allowed


def _foreign_requests(foreign: str) -> list[Request]:
    """Everything a role of another project might try on ``foreign``'s parameters and rows."""
    release = [f"{foreign}:3f1c9b9e-0000-4000-8000-000000000009"]
    return [
        ssm("GetParameter", img(foreign)),
        ssm("GetParameters", dep(foreign)),
        ssm("GetParametersByPath", f"/{foreign}/deployments"),
        ssm("GetParametersByPath", f"/{foreign}/images"),
        ssm("GetParameterHistory", img(foreign)),
        ssm("PutParameter", img(foreign)),
        ssm("PutParameter", dep(foreign)),
        ssm("PutParameter", dep(foreign, environment="prod", service="feeding")),
        ssm("LabelParameterVersion", img(foreign)),
        *[ddb(a, DEPLOYMENTS_ARN, [foreign]) for a in ("GetItem", "Query", "ConditionCheckItem", *WRITES)],
        *[ddb(a, RELEASES_ARN, release) for a in ("GetItem", "BatchGetItem", "ConditionCheckItem", *WRITES)],
        ddb("Query", RELEASES_INDEX_ARN, [foreign]),
    ]


@pytest.mark.terraform
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("owner", "foreign"), [(BUGFARM_ID, OTHER_ID), (OTHER_ID, BUGFARM_ID)])
def test_roles_cannot_touch_another_project(
    namespaces: dict[str, dict[str, Any]], owner: str, foreign: str, role: str
) -> None:
    policy = namespaces[owner][role]
    leaks = [r for r in _foreign_requests(foreign) if is_allowed(policy, r)]
    assert leaks == [], f"{owner}'s {role} may act on {foreign}: {leaks}"


@pytest.mark.terraform
@pytest.mark.parametrize("role", ["deployer", "reader"])
def test_batch_reads_mixing_projects_are_denied(namespaces: dict[str, dict[str, Any]], role: str) -> None:
    """ForAllValues: one foreign partition key in a batch denies the whole request."""
    policy = namespaces[BUGFARM_ID][role]
    assert is_allowed(policy, ddb("BatchGetItem", DEPLOYMENTS_ARN, [BUGFARM_ID]))
    assert not is_allowed(policy, ddb("BatchGetItem", DEPLOYMENTS_ARN, [BUGFARM_ID, OTHER_ID]))
    assert not is_allowed(policy, ddb("BatchGetItem", RELEASES_ARN, [*MINE, *THEIRS]))
    assert not is_allowed(policy, ddb("Query", DEPLOYMENTS_ARN, [OTHER_ID]))


# -- what the tracker really asks for ----------------------------------------
def _keys(table: str, keys: list[dict[str, Any]]) -> list[str]:
    return [k[TABLE_HASH_KEYS[table]]["S"] for k in keys]


def _table_arn(table: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def iam_requests(operation: str, params: dict[str, Any]) -> list[Request]:
    """What IAM authorises for one boto3 call of the tracker (action, resource, leading keys)."""
    if operation in ("GetParameters", "GetParameter", "PutParameter", "GetParametersByPath"):
        names = params.get("Names") or [params.get("Name") or params["Path"]]
        return [ssm(operation, n) for n in names]
    if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"):
        key = params.get("Key") or params["Item"]
        return [ddb(operation, _table_arn(params["TableName"]), _keys(params["TableName"], [key]))]
    if operation == "BatchGetItem":
        return [
            ddb(operation, _table_arn(t), _keys(t, request["Keys"]))
            for t, request in params["RequestItems"].items()
        ]
    if operation == "Query":
        partition = params["ExpressionAttributeValues"][":p"]["S"]
        return [ddb("Query", _table_arn(params["TableName"], params.get("IndexName")), [partition])]
    if operation == "TransactWriteItems":
        found = []
        for item in params["TransactItems"]:
            ((kind, body),) = item.items()
            action = {"Put": "PutItem", "Update": "UpdateItem", "ConditionCheck": "ConditionCheckItem"}[kind]
            found += iam_requests(action, body)
        return found
    if operation == "DescribeTable":
        return [ddb(operation, _table_arn(params["TableName"]))]
    if operation == "DescribeImages":
        resource = f"arn:aws:ecr:{REGION}:{params['registryId']}:repository/{params['repositoryName']}"
        return [Request("ecr:DescribeImages", resource)]
    if operation in ("ListClusters", "ListServices", "DescribeTaskDefinition"):
        return [Request(f"ecs:{operation}", "*")]  # no resource-level permissions exist for these
    if operation == "DescribeServices":
        cluster = params["cluster"].rsplit("/", 1)[-1]
        return [
            Request(
                "ecs:DescribeServices",
                s if s.startswith("arn:") else f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{cluster}/{s}",
            )
            for s in params["services"]
        ]
    if operation == "DescribeAlarms":
        return [
            Request("cloudwatch:DescribeAlarms", f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{n}")
            for n in params["AlarmNames"]
        ]
    if operation == "GetCallerIdentity":
        return []  # needs no permission
    raise AssertionError(f"the tracker calls {operation}: teach iam_requests what IAM authorises for it")


def recorded_calls(clients: Any, calls: list[tuple[str, dict[str, Any]]]) -> Any:
    """Record every call the tracker makes through ``clients`` (operation name and parameters)."""
    for client in [clients.get(service) for service in ("dynamodb", "ssm", "sts", "ecs", "cloudwatch")] + [
        clients.get("ecr", REGION)
    ]:
        client.meta.events.register(
            "provide-client-params", lambda params, model, **_: calls.append((model.name, dict(params)))
        )
    return clients


def _deploy_everything(project_file: Path, calls: list[tuple[str, dict[str, Any]]]) -> None:
    """A release created, deployed to stage, approved (and an approval revoked), promoted to prod
    under a policy and waited for in ECS (with an alarm), rolled back, verified: as a deployer does."""
    from dataclasses import replace

    from tests.support.library import deploy, library, person, release
    from tests.support.rollouts import EmulatorDriver
    from tracker.model.policies import Policy
    from tracker.model.project import load_project
    from tracker.model.requests import ApproveRequest, PublishRequest, RollbackRequest, WaitRequest
    from tracker.stores.clients import Clients

    loaded = load_project(project_file)
    policy = Policy(promote_from=("stage",), approvals=1)
    project = replace(loaded, alarms={"prod": (f"{loaded.id}-5xx",)}, policies={"prod": policy})
    publisher = library(Clients(), project)  # CI's own credentials: not the deployer's calls
    tracker = library(recorded_calls(Clients(), calls), project)
    ecr_client = boto3.client("ecr", region_name=REGION)
    for tag in ("1", "2"):
        for service in project.service_ids:
            push(ecr_client, service, tag, f"{project.id}-{service}-{tag}")
            image = uri(ACCOUNT, REGION, service, tag)
            publisher.publish(PublishRequest(service_id=service, image_uri=image, user_id="ci"))
        created = release(tracker)
        deploy(tracker, created.release_id, "stage")
    first = created.release_id.split(":")[1][:8]
    deploy(tracker, "latest", "stage")
    deploy(tracker, first, "stage")
    for who, revoke in (("lead", False), ("lead", True), ("lead", False)):
        tracker.approve(
            ApproveRequest(release=first, environment_id="prod", requested_by=person(who), revoke=revoke)
        )
    deploy(tracker, None, "prod", from_environment="stage")
    driver = EmulatorDriver(boto3.session.Session())
    driver.alarm(f"{project.id}-5xx", "OK")
    prod = tracker.release(first)
    for service in project.service_ids:
        task = driver.task(f"{project.id}-{service}", prod.images[service])
        tags = {"deployment:service": service, "deployment:env": "prod", "deployment:project": project.id}
        driver.service(f"{project.id}-prod", service, task, tags)
        driver.completed(f"{project.id}-prod", service, task)
    waited = tracker.wait(WaitRequest(environment_id="prod", requested_by=person("ops"), bake=0, timeout=1))
    assert waited.status == "verified", waited.outcome
    tracker.rollback(RollbackRequest(environment_id="stage", requested_by=person("ops")))
    tracker.status(), tracker.history("stage"), tracker.verify()


@pytest.mark.terraform
def test_a_deployers_real_calls_are_allowed_for_its_project_and_denied_for_another(
    namespaces: dict[str, dict[str, Any]], moto_endpoint: str, tmp_path: Path
) -> None:
    reset_moto(moto_endpoint)
    from tracker.stores.clients import Clients

    create_tables(Clients().dynamodb, RELEASES, DEPLOYMENTS)
    other_file = tmp_path / "other.json"
    other_file.write_text(BUGFARM.read_text().replace(BUGFARM_ID, OTHER_ID))
    mine: list[tuple[str, dict[str, Any]]] = []
    theirs: list[tuple[str, dict[str, Any]]] = []
    _deploy_everything(BUGFARM, mine)
    _deploy_everything(other_file, theirs)
    deployer = namespaces[BUGFARM_ID]["deployer"]

    requests = [r for operation, params in mine for r in iam_requests(operation, params)]
    assert {r.action for r in requests} >= {
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "ssm:PutParameter",
        "ecr:DescribeImages",
        *ROLLOUT_READS,
    }
    refused = [r for r in requests if not is_allowed(deployer, r)]
    assert refused == [], f"the deployer cannot do what a deployment does: {refused}"

    foreign = [r for operation, params in theirs for r in iam_requests(operation, params)]
    writes = [
        r for r in foreign if r.action in ("dynamodb:PutItem", "dynamodb:UpdateItem", "ssm:PutParameter")
    ]
    assert writes and {r.resource for r in writes} >= {RELEASES_ARN, DEPLOYMENTS_ARN}
    # Table descriptions and ECR image lookups name no project's data, and ECS services and alarms
    # are read account-wide (IAM cannot scope them by project): see the module's README.
    shared = ("dynamodb:DescribeTable", "ecr:DescribeImages", *ROLLOUT_READS)
    leaks = [r for r in foreign if r.action not in shared and is_allowed(deployer, r)]
    assert leaks == [], f"{BUGFARM_ID}'s deployer may act on {OTHER_ID}: {leaks}"


@pytest.mark.terraform
def test_module_paths(namespaces: dict[str, dict[str, Any]]) -> None:
    for project in PROJECTS:
        assert namespaces[project]["images_path"] == f"/{project}/images"
        assert namespaces[project]["deployments_path"] == f"/{project}/deployments"


def _expected_condition(project: str, resources: list[str]) -> dict[str, Any] | None:
    if resources == [RELEASES_ARN]:
        return {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": f"{project}:*"}}
    if resources in ([DEPLOYMENTS_ARN], [f"{RELEASES_ARN}/index/*"]):
        return {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": project}}
    return None


@pytest.mark.terraform
@pytest.mark.parametrize("project", PROJECTS)
@pytest.mark.parametrize("role", ROLES)
def test_documents_are_narrow(namespaces: dict[str, dict[str, Any]], project: str, role: str) -> None:
    """Allow-only statements, no wildcard actions, no destructive actions, every table item scoped."""
    document = namespaces[project][role]
    assert document["Version"] == "2012-10-17"
    ssm_prefix = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{project}/"
    tables = {RELEASES_ARN, f"{RELEASES_ARN}/index/*", DEPLOYMENTS_ARN}
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}
        actions = iam_eval._as_list(statement["Action"])
        resources = sorted(iam_eval._as_list(statement["Resource"]))
        if actions == ["ecr:DescribeImages"]:
            assert resources == ["arn:aws:ecr:*:*:repository/*"], statement  # metadata of images only
            continue
        if any(a.startswith(("ecs:", "cloudwatch:")) for a in actions):
            # `tracker wait`'s reads, deployers only: read-only, this account and region where IAM can scope.
            assert role == "deployer", statement
            assert sorted(actions) in (
                ["ecs:DescribeTaskDefinition", "ecs:ListClusters", "ecs:ListServices"],
                ["ecs:DescribeServices"],
                ["cloudwatch:DescribeAlarms"],
            ), statement
            assert resources in (
                ["*"],
                [f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/*"],
                [f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"],
            ), statement
            continue
        for action in actions:
            service, _, name = action.partition(":")
            assert service in {"ssm", "dynamodb"}, action
            assert "*" not in action and "?" not in action, action
            assert not name.startswith(("Delete", "Scan", "BatchWrite", "Create", "Tag", "Untag")), action
        for resource in resources:
            if resource.startswith("arn:aws:ssm:"):
                assert (resource + "/").startswith(ssm_prefix), resource
            else:
                assert resource in tables, resource
        if actions == ["dynamodb:DescribeTable"]:
            continue  # names no item: the table's key schema only
        if any(r in tables for r in resources):
            # Every table item is granted only within the project's leading keys.
            assert statement.get("Condition") == _expected_condition(project, resources), statement


@pytest.mark.terraform
def test_documents_differ_only_by_project_id(namespaces: dict[str, dict[str, Any]]) -> None:
    for role in ROLES:
        mine = json.dumps(namespaces[BUGFARM_ID][role], sort_keys=True)
        theirs = json.dumps(namespaces[OTHER_ID][role], sort_keys=True)
        assert mine.replace(BUGFARM_ID, OTHER_ID) == theirs, role


# -- moto's own IAM enforcement ----------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _set_auth(endpoint: str, no_auth_actions: str) -> None:
    """moto's /moto-api/reset-auth: authenticate every request after ``no_auth_actions`` more."""
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth",
        data=no_auth_actions.encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    urllib.request.urlopen(request, timeout=10).read()


@pytest.fixture
def auth_moto() -> Iterator[str]:
    """A second emulator (its own process, loopback) where IAM can be enforced; stopped afterwards.

    A separate process, because moto's auth switch and its backends are
    process-wide: switching it on in the session server would break every
    other test.
    """
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "INITIAL_NO_AUTH_ACTION_COUNT"}
    process = spawn(port, env=env)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _action_projection(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every Resource widened to "*".

    moto authorizes SSM and DynamoDB calls against the resource "*" (it derives
    no ARN from the request), so a resource-scoped statement never matches
    there. Its enforcement can therefore check the *actions* of a document, and
    nothing else; resource scoping is what test_role_permissions checks.
    """
    projected = json.loads(json.dumps(document))
    for statement in projected["Statement"]:
        statement["Resource"] = "*"
    return projected


def _denied(error: Any, action: str) -> bool:
    response = error.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"] == 403
        and "AccessDenied" in str(response["Error"])
        and f"not authorized to perform: {action}" in str(response["Error"])
    )


@pytest.mark.terraform
def test_publisher_actions_enforced_by_moto(namespaces: dict[str, dict[str, Any]], auth_moto: str) -> None:
    import boto3
    from botocore.exceptions import ClientError

    from tests.support.library import library, release
    from tracker.errors import AwsError
    from tracker.model.project import load_project
    from tracker.model.requests import PublishRequest
    from tracker.stores.clients import Clients

    admin = {"endpoint_url": auth_moto, "region_name": REGION}
    admin_keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    iam = boto3.client("iam", **admin, **admin_keys)
    create_tables(boto3.client("dynamodb", **admin, **admin_keys), RELEASES, DEPLOYMENTS)
    iam.create_user(UserName="ci-publisher")
    iam.put_user_policy(
        UserName="ci-publisher",
        PolicyName="publisher",
        PolicyDocument=json.dumps(_action_projection(namespaces[BUGFARM_ID]["publisher"])),
    )
    key = iam.create_access_key(UserName="ci-publisher")["AccessKey"]
    _set_auth(auth_moto, "0")  # from now on every request is authenticated and authorized

    user_keys = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    user_ssm = boto3.client("ssm", **admin, **user_keys)
    user_db = boto3.client("dynamodb", **admin, **user_keys)

    user_ssm.put_parameter(Name=img(), Value="http://example.com/images/hatching/00001", Type="String")
    got = user_ssm.get_parameter(Name=img())["Parameter"]["Value"]
    assert got == "http://example.com/images/hatching/00001"

    denied_calls = {
        "dynamodb:PutItem": lambda: user_db.put_item(
            TableName=RELEASES, Item={"release_id": {"S": "r1"}, "project_id": {"S": BUGFARM_ID}}
        ),
        "dynamodb:UpdateItem": lambda: user_db.update_item(
            TableName=DEPLOYMENTS,
            Key={"project_id": {"S": BUGFARM_ID}, "environment_id": {"S": "stage"}},
        ),
        "dynamodb:GetItem": lambda: user_db.get_item(TableName=RELEASES, Key={"release_id": {"S": "r1"}}),
        "ssm:DeleteParameter": lambda: user_ssm.delete_parameter(Name=img()),
        "ssm:GetParametersByPath": lambda: user_ssm.get_parameters_by_path(Path=f"/{BUGFARM_ID}/images"),
    }
    for action, call in denied_calls.items():
        with pytest.raises(ClientError) as raised:
            call()
        assert _denied(raised.value, action), raised.value.response

    # The tracker itself, with the publisher's credentials: `publish` works,
    # `release create` is refused with a TrackerError, not a traceback.
    clients = Clients(ssm=user_ssm, dynamodb=user_db)
    tracker = library(clients, load_project(BUGFARM))
    image = "http://example.com/images/feeding/00001"
    tracker.publish(PublishRequest(service_id="feeding", image_uri=image, user_id="ci"))
    with pytest.raises(AwsError) as refused:
        release(tracker)
    assert "403" in str(refused.value) or "AccessDenied" in str(refused.value)
