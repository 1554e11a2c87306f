"""Least privilege of the ssm-namespace module's IAM policies (publisher, deployer, reader).

The policy documents come from the real module: a throwaway Terraform root
instantiates modules/ssm-namespace twice (``bugfarm_73649`` and ``otherproj``)
and is applied with the real terraform binary against the session's moto
server. They are then evaluated request by request with tests/iam_eval.py (a
small, strict IAM evaluator, unit-tested at the end of this file), and the
publisher's actions once more by moto's own IAM enforcement on a separate moto
server started with authentication on.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import iam_eval
from tests.conftest import BUGFARM, DEPLOYMENTS, REGION, RELEASES, REPO
from tests.iam_eval import Decision, Request, evaluate, is_allowed
from tests.support.tables import create_tables

BUGFARM_ID = "bugfarm_73649"
OTHER_ID = "otherproj"
PROJECTS = (BUGFARM_ID, OTHER_ID)
ROLES = ("publisher", "deployer", "reader")
ACCOUNT = "123456789012"  # moto's default account: what aws_caller_identity returns there
RELEASES_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{RELEASES}"
DEPLOYMENTS_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{DEPLOYMENTS}"
RELEASES_INDEX_ARN = f"{RELEASES_ARN}/index/latest_releases"

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

output "namespaces" {{
  value = {{
    for project, ns in {{ "{BUGFARM_ID}" = module.bugfarm, "{OTHER_ID}" = module.other }} :
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
def _terraform_env() -> dict[str, str]:
    env = dict(os.environ, TF_IN_AUTOMATION="1", TF_INPUT="0")
    for key in ("TF_DATA_DIR", "TF_WORKSPACE", "TF_LOG"):
        env.pop(key, None)
    rc = REPO / ".terraformrc"  # offline provider mirror, written by `make setup` when offline
    if rc.is_file():  # as the Makefile does: it wins over any TF_CLI_CONFIG_FILE
        env["TF_CLI_CONFIG_FILE"] = str(rc)
    return env


def _terraform(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["terraform", f"-chdir={root}", *args, "-no-color"],
        capture_output=True,
        text=True,
        env=_terraform_env(),
        timeout=600,
    )
    assert result.returncode == 0, f"terraform {args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def namespaces(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """``{project: {images_path, deployments_path, publisher, deployer, reader}}``, documents parsed."""
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed")
    root = tmp_path_factory.mktemp("ssm_namespace_root")
    shutil.copytree(REPO / "modules" / "ssm-namespace", root / "ssm-namespace")
    (root / "main.tf").write_text(ROOT_TF)
    _terraform(root, "init", "-input=false")
    _terraform(root, "apply", "-auto-approve", "-input=false")
    outputs = json.loads(_terraform(root, "output", "-json"))
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


def img(project: str = BUGFARM_ID, label: str = "latest", service: str = "hatching") -> str:
    return f"/{project}/images/{label}/{service}"


def dep(project: str = BUGFARM_ID, environment: str = "stage", service: str = "hatching") -> str:
    return f"/{project}/deployments/{environment}/{service}"


B = [BUGFARM_ID]
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
    *[("publisher", ddb(a, RELEASES_ARN), False) for a in WRITES],
    *[("publisher", ddb(a, DEPLOYMENTS_ARN, B), False) for a in WRITES],
    ("publisher", ddb("GetItem", RELEASES_ARN), False),
    ("publisher", ddb("Query", DEPLOYMENTS_ARN, B), False),
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
    *[("reader", ddb(a, RELEASES_ARN), False) for a in WRITES],
    *[("reader", ddb(a, DEPLOYMENTS_ARN, B), False) for a in WRITES],
    ("reader", ddb("GetItem", RELEASES_ARN), True),
    ("reader", ddb("Query", RELEASES_INDEX_ARN, B), True),
    ("reader", ddb("Query", RELEASES_INDEX_ARN, ["otherproj"]), False),
    ("reader", ddb("GetItem", DEPLOYMENTS_ARN, B), True),
    ("reader", ddb("Query", DEPLOYMENTS_ARN, B), True),
    ("reader", ddb("Scan", DEPLOYMENTS_ARN), False),
    ("reader", ddb("Scan", RELEASES_ARN), False),
    # deployer: read images, write deployments and the tracking rows
    ("deployer", ssm("PutParameter", dep()), True),
    ("deployer", ssm("PutParameter", dep(environment="prod", service="feeding")), True),
    ("deployer", ssm("PutParameter", img()), False),
    ("deployer", ssm("PutParameter", img(label="v1", service="feeding")), False),
    ("deployer", ssm("GetParameters", img()), True),
    ("deployer", ssm("GetParametersByPath", f"/{BUGFARM_ID}/images"), True),
    ("deployer", ssm("GetParametersByPath", f"/{BUGFARM_ID}/deployments"), True),
    ("deployer", ssm("DeleteParameter", dep()), False),
    ("deployer", ssm("LabelParameterVersion", img()), False),
    # record_deployment's transaction: UpdateItem on the release, PutItem on the project's row
    ("deployer", ddb("UpdateItem", RELEASES_ARN), True),
    ("deployer", ddb("PutItem", DEPLOYMENTS_ARN, B), True),
    ("deployer", ddb("ConditionCheckItem", DEPLOYMENTS_ARN, B), True),
    ("deployer", ddb("BatchGetItem", DEPLOYMENTS_ARN, B), True),
    ("deployer", ddb("PutItem", RELEASES_ARN), True),
    ("deployer", ddb("Query", RELEASES_INDEX_ARN, B), True),
    ("deployer", ddb("Query", RELEASES_INDEX_ARN, ["otherproj"]), False),
    ("deployer", ddb("DeleteItem", DEPLOYMENTS_ARN, B), False),
    ("deployer", ddb("DeleteItem", RELEASES_ARN), False),
    ("deployer", ddb("BatchWriteItem", DEPLOYMENTS_ARN, B), False),
    ("deployer", ddb("Scan", DEPLOYMENTS_ARN), False),
    ("deployer", ddb("DeleteTable", RELEASES_ARN), False),
]


def _case_id(case: tuple[str, Request, bool]) -> str:
    role, request, allowed = case
    resource = request.resource.rsplit(":", 1)[-1]
    keys = request.context.get("dynamodb:LeadingKeys")
    suffix = f"[{','.join(keys)}]" if keys else ""
    return f"{role}-{'may' if allowed else 'may-not'}-{request.action}-{resource}{suffix}"


@pytest.mark.terraform
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_role_permissions(namespaces: dict[str, dict[str, Any]], case: tuple[str, Request, bool]) -> None:
    role, request, allowed = case
    decision = evaluate([namespaces[BUGFARM_ID][role]], request)
    assert decision.allowed is allowed, f"{role}: {request} is {decision.value}"


def _foreign_requests(foreign: str) -> list[Request]:
    """Everything a role of another project might try on ``foreign``'s parameters and rows."""
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
        ddb("GetItem", DEPLOYMENTS_ARN, [foreign]),
        ddb("Query", DEPLOYMENTS_ARN, [foreign]),
        ddb("PutItem", DEPLOYMENTS_ARN, [foreign]),
        ddb("UpdateItem", DEPLOYMENTS_ARN, [foreign]),
        ddb("ConditionCheckItem", DEPLOYMENTS_ARN, [foreign]),
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
    assert not is_allowed(policy, ddb("Query", DEPLOYMENTS_ARN, [OTHER_ID]))


@pytest.mark.terraform
def test_module_paths(namespaces: dict[str, dict[str, Any]]) -> None:
    for project in PROJECTS:
        assert namespaces[project]["images_path"] == f"/{project}/images"
        assert namespaces[project]["deployments_path"] == f"/{project}/deployments"


@pytest.mark.terraform
@pytest.mark.parametrize("project", PROJECTS)
@pytest.mark.parametrize("role", ROLES)
def test_documents_are_narrow(namespaces: dict[str, dict[str, Any]], project: str, role: str) -> None:
    """Allow-only statements, no wildcard actions, no destructive actions, resources within the project."""
    document = namespaces[project][role]
    assert document["Version"] == "2012-10-17"
    ssm_prefix = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{project}/"
    tables = {RELEASES_ARN, f"{RELEASES_ARN}/index/*", DEPLOYMENTS_ARN}
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}
        actions = iam_eval._as_list(statement["Action"])
        resources = iam_eval._as_list(statement["Resource"])
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
        if DEPLOYMENTS_ARN in resources or f"{RELEASES_ARN}/index/*" in resources:
            # The deployments table and the releases GSIs (both partitioned by project_id)
            # are only ever granted for the project's own partition.
            assert statement.get("Condition") == {
                "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": project}
            }, statement


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
    """A second moto server (own process, loopback) where IAM can be enforced; stopped afterwards.

    A separate process, because moto's auth switch and its backends are
    process-wide: switching it on in the session server would break every
    other test.
    """
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "INITIAL_NO_AUTH_ACTION_COUNT"}
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).read()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert process.poll() is None, "moto server exited"
                assert time.monotonic() < deadline, "moto server did not start"
                time.sleep(0.1)
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

    from tracker.errors import AwsError
    from tracker.model.project import load_project
    from tracker.stores.clients import Clients
    from tracker.stores.parameters import ParameterStore
    from tracker.stores.tracking import TrackingStore
    from tracker.workflows.releases import create_release, person, publish_image

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
    project = load_project(BUGFARM)
    clients = Clients(ssm=user_ssm, dynamodb=user_db)
    publish_image(
        project,
        ParameterStore(clients),
        "feeding",
        "http://example.com/images/feeding/00001",
        user_id="ci",
    )
    with pytest.raises(AwsError) as refused:
        create_release(
            project,
            TrackingStore(clients, RELEASES, DEPLOYMENTS),
            ParameterStore(clients),
            requested_by=person("ci"),
        )
    assert "403" in str(refused.value) or "AccessDenied" in str(refused.value)


# -- the evaluator itself -------------------------------------------------------
def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(action: Any, resource: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition is not None:
        statement["Condition"] = condition
    return statement


PARAM = param("/p/images/latest/a")


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("ssm:PutParameter", "ssm:PutParameter", True),
        ("SSM:putparameter", "ssm:PutParameter", True),
        ("ssm:Get*", "ssm:GetParametersByPath", True),
        ("ssm:Get*", "ssm:PutParameter", False),
        ("ssm:GetParameter?", "ssm:GetParameters", True),
        ("ssm:GetParameter?", "ssm:GetParameter", False),
        ("ssm:GetParameter", "ssm:GetParameters", False),
        ("*", "dynamodb:DeleteTable", True),
        ("ssm:*", "dynamodb:PutItem", False),
    ],
)
def test_eval_action_matching(pattern: str, action: str, matches: bool) -> None:
    assert iam_eval.action_matches(pattern, action) is matches


@pytest.mark.parametrize(
    ("pattern", "resource", "matches"),
    [
        ("*", PARAM, True),
        (param("/p/images/*"), PARAM, True),  # '*' spans '/'
        (param("/p/images/*"), param("/p/images"), False),
        (param("/p/images"), param("/p/images"), True),
        (param("/p/images/*"), param("/P/images/latest/a"), False),  # resources are case-sensitive
        (param("/p/images/*"), param("/p/deployments/stage/a"), False),
        (param("/p.x/*"), param("/pyx/a"), False),  # '.' is literal
        (param("/p/images/latest/?"), PARAM, True),
        (param("/p/images/latest/?"), param("/p/images/latest/ab"), False),
        (f"arn:aws:ssm:*:{ACCOUNT}:parameter/p/*", PARAM, True),
        # A wildcard never spans ARN segments: the region segment cannot swallow the account.
        (
            f"arn:aws:ssm:eu-*:{ACCOUNT}:parameter/p/*",
            f"arn:aws:ssm:eu-west-1:x:{ACCOUNT}:parameter/p/a",
            False,
        ),
        (f"arn:aws:ssm:{REGION}:*:parameter/p/*", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/p/a:b", True),
        (f"{RELEASES_ARN}/index/*", RELEASES_INDEX_ARN, True),
        (f"{RELEASES_ARN}/index/*", RELEASES_ARN, False),
    ],
)
def test_eval_resource_matching(pattern: str, resource: str, matches: bool) -> None:
    assert iam_eval.resource_matches(pattern, resource) is matches


LEADING = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["p"]}}


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        (LEADING, {"dynamodb:LeadingKeys": ["p"]}, True),
        (LEADING, {"dynamodb:LeadingKeys": ["p", "p"]}, True),
        (LEADING, {"dynamodb:LeadingKeys": ["p", "q"]}, False),
        (LEADING, {"dynamodb:LeadingKeys": ["P"]}, False),  # StringEquals is case-sensitive
        (LEADING, {"DynamoDB:leadingkeys": ["q"]}, False),  # key names are not
        (LEADING, {}, True),  # ForAllValues over no values is vacuously true
        (LEADING, {"dynamodb:LeadingKeys": []}, True),
        ({"ForAnyValue:StringEquals": {"k": ["a", "b"]}}, {"k": ["x", "b"]}, True),
        ({"ForAnyValue:StringEquals": {"k": ["a"]}}, {}, False),
        ({"StringEquals": {"k": "a"}}, {"k": ["a"]}, True),
        ({"StringEquals": {"k": ["a", "b"]}}, {"k": ["b"]}, True),  # values of one key: OR
        ({"StringEquals": {"k": "a"}}, {}, False),
        ({"StringEqualsIfExists": {"k": "a"}}, {}, True),
        ({"StringEqualsIfExists": {"k": "a"}}, {"k": ["b"]}, False),
        ({"StringNotEquals": {"k": "a"}}, {}, True),
        ({"StringNotEquals": {"k": "a"}}, {"k": ["a"]}, False),
        ({"StringEqualsIgnoreCase": {"k": "A"}}, {"k": ["a"]}, True),
        ({"StringLike": {"k": "a*"}}, {"k": ["abc"]}, True),
        ({"StringNotLike": {"k": "a*"}}, {"k": ["abc"]}, False),
        ({"StringEquals": {"k": "a", "j": "b"}}, {"k": ["a"], "j": ["x"]}, False),  # keys: AND
        ({"StringEquals": {"k": "a"}, "StringLike": {"j": "b*"}}, {"k": ["a"], "j": ["bb"]}, True),
    ],
)
def test_eval_conditions(condition: dict[str, Any], context: dict[str, list[str]], holds: bool) -> None:
    assert iam_eval.condition_matches(condition, context) is holds


def test_eval_decisions() -> None:
    allow_all = _policy(_allow("ssm:*", "*"))
    deny_put = _policy({"Effect": "Deny", "Action": "ssm:PutParameter", "Resource": "*"})
    put = Request("ssm:PutParameter", PARAM)
    get = Request("ssm:GetParameter", PARAM)
    assert evaluate([allow_all], put) is Decision.ALLOWED
    assert evaluate([allow_all, deny_put], put) is Decision.EXPLICIT_DENY
    assert evaluate([deny_put, allow_all], put) is Decision.EXPLICIT_DENY  # order does not matter
    assert evaluate([deny_put, allow_all], get) is Decision.ALLOWED
    assert evaluate([], get) is Decision.IMPLICIT_DENY
    assert evaluate([_policy(_allow("dynamodb:GetItem", "*"))], get) is Decision.IMPLICIT_DENY
    not_action = _policy({"Effect": "Allow", "NotAction": "ssm:Delete*", "Resource": "*"})
    assert is_allowed(not_action, get)
    assert not is_allowed(not_action, Request("ssm:DeleteParameter", PARAM))
    not_resource = _policy({"Effect": "Allow", "Action": "ssm:*", "NotResource": param("/p/images/*")})
    assert not is_allowed(not_resource, get)
    assert is_allowed(not_resource, Request("ssm:GetParameter", param("/q/x")))
    scoped = _policy(_allow("dynamodb:GetItem", DEPLOYMENTS_ARN, LEADING))
    assert is_allowed(scoped, ddb("GetItem", DEPLOYMENTS_ARN, ["p"]))
    assert not is_allowed(scoped, ddb("GetItem", DEPLOYMENTS_ARN, ["q"]))
    assert not is_allowed(scoped, ddb("GetItem", RELEASES_ARN, ["p"]))


@pytest.mark.parametrize(
    "policy",
    [
        _policy(_allow("ssm:GetParameter", param("/${aws:username}/*"))),
        _policy({"Effect": "Allow", "Principal": "*", "Action": "ssm:GetParameter", "Resource": "*"}),
        _policy(_allow("ssm:GetParameter", "*", {"NumericLessThan": {"k": "1"}})),
        _policy(_allow("ssm:GetParameter", "*", {"ForSomeValues:StringEquals": {"k": "1"}})),
        _policy(_allow("ssm:GetParameter", "arn:aws:ssm:*")),
        _policy({"Effect": "Allow", "Action": "ssm:GetParameter"}),
        _policy({"Effect": "allow", "Action": "ssm:GetParameter", "Resource": "*"}),
        {"Version": "2008-10-17", "Statement": [_allow("ssm:GetParameter", "*")]},
    ],
)
def test_eval_refuses_what_it_does_not_implement(policy: dict[str, Any]) -> None:
    with pytest.raises(iam_eval.UnsupportedPolicyError):
        evaluate([policy], Request("ssm:GetParameter", PARAM, {"k": ["1"]}))
