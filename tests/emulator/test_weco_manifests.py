"""weco-deploy's YAML manifests on the emulator: two projects, two accounts, two regions, one file.

The shop's role is in account 111122223333 (region from ``aws_region_name``),
the reports' in 444455556666 (region from ``region_name``); the caller's own
credentials are moto's default account 123456789012, whose region (eu-west-1
in the environment) neither project uses. Each account and region is
inspected with plain boto3 clients (tests/support/accounts.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEPLOYMENTS, RELEASES, reset_moto
from tests.support.accounts import DEFAULT_ACCOUNT, account_session, images, items, parameters
from tests.support.cli import Cli
from tests.support.tables import create_tables

SHOP, REPORTS = "111122223333", "444455556666"
CALLER = f"arn:aws:sts::{DEFAULT_ACCOUNT}:user/moto"  # who moto says the caller's own credentials are
REGISTRY = "registry.example/weco"
MANIFEST = """\
# Several projects in one file, keyed by project id.
shop:
  name: Online Shop
  role_arn: arn:aws:iam::111122223333:role/shop-ci
  account_id: '111122223333'
  aws_region_name: eu-central-1
  namespace: uk.ac.shop                  # weco-deploy's ECR namespace: accepted, not used
  environments:
    - id: stage
      name: Staging
    - id: prod
      name: Production
  image_repositories:
    - id: web
      services:
        - id: web-frontend
        - id: shared-sidecar
    - id: worker
      account_id: '999988887777'         # the repository's registry: accepted, not used
      services:
        - id: worker-high
        - id: worker-low
        - worker-batch                   # a bare string: same as {id: worker-batch}
        - id: shared-sidecar             # one ECS service running two images
    - id: cron                           # no services listed
reports:
  name: Reports
  role_arn: arn:aws:iam::444455556666:role/reports-ci
  region_name: us-east-2
  environments:
    - id: "2024-06-01"                   # ids may start with a digit
      name: "2024-06-01"
    - id: 2024-07-01                     # even unquoted (YAML would make it a date)
  image_repositories:
    - id: renderer
"""
WHERE = {"shop": (SHOP, "eu-central-1"), "reports": (REPORTS, "us-east-2")}


def weco(manifest: Path, env: dict[str, str] | None = None) -> Cli:
    """The CLI on the YAML manifest, as the caller (no TRACKER_USER), no project unless ``env`` says."""
    return Cli(manifest, user=None, env={"TRACKER_PROJECT": "", **(env or {})})


@pytest.fixture
def accounts(moto_endpoint: str, tmp_path: Path) -> dict[str, Any]:
    """Tables in each project's account and region; nothing anywhere else."""
    reset_moto(moto_endpoint)
    sessions = {project: account_session(*where) for project, where in WHERE.items()}
    for session in sessions.values():
        create_tables(session.client("dynamodb"), RELEASES, DEPLOYMENTS)
    return sessions


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / ".wellcome_project"
    path.write_text(MANIFEST)
    return path


def everywhere() -> dict[tuple[str, str], tuple[dict[str, str], Any, Any]]:
    """SSM parameters and both tables in every account and region the tests touch."""
    found = {}
    for account in (DEFAULT_ACCOUNT, SHOP, REPORTS):
        for region in ("eu-west-1", "eu-central-1", "us-east-2"):
            session = account_session(account, region)
            found[account, region] = (
                parameters(session),
                items(session, RELEASES),
                items(session, DEPLOYMENTS),
            )
    return found


def test_two_projects_in_two_accounts_each_write_only_their_own(
    accounts: dict[str, Any], manifest: Path
) -> None:
    shop, reports = weco(manifest, {"TRACKER_PROJECT": "shop"}), weco(manifest)
    for service in ("web", "worker", "cron"):
        shop("publish", service, f"{REGISTRY}/{service}:v1")
    reports("--project", "reports", "publish", "renderer", f"{REGISTRY}/renderer:r1")
    shop_release = shop("release", "create", "--quiet").stdout.strip()
    reports_release = reports("--project", "reports", "release", "create", "--quiet").stdout.strip()
    assert shop_release.startswith("shop:") and reports_release.startswith("reports:")
    shop("deploy", shop_release, "stage")
    shop("promote", "stage", "prod")
    reports("-P", "reports", "deploy", "latest", "2024-06-01")
    reports("-P", "reports", "promote", "2024-06-01", "2024-07-01")

    seen = everywhere()
    for (account, region), (ssm, releases, deployments) in seen.items():
        owner = next((p for p, where in WHERE.items() if where == (account, region)), None)
        if owner is None:  # the caller's own account, and each project's account in other regions
            assert ssm == {} and releases is None and deployments is None, (account, region)
            continue
        assert {name.split("/")[1] for name in ssm} == {owner}, (account, region)
        assert {row["project_id"]["S"] for row in deployments} == {owner}
        assert {row["project_id"]["S"] for row in releases} == {owner}
    shop_ssm = seen[SHOP, "eu-central-1"][0]
    assert shop_ssm["/shop/deployments/prod/worker"] == f"{REGISTRY}/worker:v1"
    assert shop_ssm["/shop/images/latest/cron"] == f"{REGISTRY}/cron:v1"
    assert (
        seen[REPORTS, "us-east-2"][0]["/reports/deployments/2024-07-01/renderer"] == f"{REGISTRY}/renderer:r1"
    )

    # Who asked is the caller behind the role, not the role.
    shown = shop.json("release", "show", shop_release)
    assert shown["release_manifest"]["requested_by"]["id"] == CALLER
    assert {d["requested_by"]["id"] for d in shown["release_manifest"]["deployments"]} == {CALLER}
    assert [e["environment"]["name"] for e in reports.json("-P", "reports", "history", "--all")] == [
        "2024-07-01",
        "2024-06-01",
    ]
    # The ECS services are shown with the repository whose image they run.
    status = shop("status").stdout
    assert "worker  " in status and "(ECS: worker-high, worker-low, worker-batch, shared-sidecar)" in status
    assert "(ECS: web-frontend, shared-sidecar)" in status
    assert shop.json("status")["prod"]["ecs_services"]["web"] == ["web-frontend", "shared-sidecar"]


def test_a_file_with_several_projects_needs_one_chosen(accounts: dict[str, Any], manifest: Path) -> None:
    tracker = weco(manifest)
    failed = tracker("images", code=2)
    assert failed.stderr == (
        f"tracker: error: {manifest} holds several projects (shop, reports): choose one with --project, "
        "TRACKER_PROJECT or the module's project_id\n"
    )
    unknown = tracker("--project", "shipping", "images", code=2)
    assert f"project 'shipping' is not in {manifest} (projects: shop, reports)" in unknown.stderr
    assert tracker("projects", "--quiet").stdout == "shop\nreports\n"
    assert tracker("-P", "reports", "projects", "--quiet").stdout == "reports\n"
    listed = tracker.json("projects")
    assert [p["id"] for p in listed] == ["shop", "reports"]
    assert listed[0]["unused"] == {
        "namespace": "uk.ac.shop",
        "image_repositories": {"worker": {"account_id": "999988887777"}},
    }
    assert [e["id"] for e in listed[1]["environments"]] == ["2024-06-01", "2024-07-01"]
    text = tracker("projects").stdout
    assert "worker  (ECS: worker-high, worker-low, worker-batch, shared-sidecar)" in text
    assert "region:       us-east-2" in text
    assert "  accepted, not used:\n    namespace = uk.ac.shop\n" in text
    assert "    image_repositories.worker.account_id = 999988887777\n" in text


def test_the_account_guard_refuses_before_anything_is_written(
    accounts: dict[str, Any], manifest: Path
) -> None:
    before = everywhere()
    # --no-assume-role: the caller says it already is the shop's role, but its account is moto's default.
    shop = weco(manifest, {"TRACKER_PROJECT": "shop"})
    failed = shop("--no-assume-role", "publish", "web", f"{REGISTRY}/web:v1", code=1)
    assert failed.stderr == (
        "tracker: error: project 'shop' must act in account 111122223333 (its manifest's account_id), "
        f"but the credentials in use ({CALLER}) are in account {DEFAULT_ACCOUNT}; nothing written\n"
    )
    same = weco(manifest, {"TRACKER_PROJECT": "shop", "TRACKER_ASSUME_ROLE": "0"})
    assert same("publish", "web", f"{REGISTRY}/web:v1", code=1).stderr == failed.stderr
    # A project without a role whose account_id is not the caller's.
    lone = manifest.with_name("lone.yaml")
    lone.write_text("lone:\n  account_id: '111122223333'\n  image_repositories:\n    - id: web\n")
    refused = weco(lone)("publish", "web", f"{REGISTRY}/web:v1", code=1)
    assert "must act in account 111122223333" in refused.stderr and DEFAULT_ACCOUNT in refused.stderr
    assert everywhere() == before


def test_a_role_in_another_account_than_account_id_is_refused_without_aws(manifest: Path) -> None:
    bad = manifest.with_name("bad.yaml")
    bad.write_text(MANIFEST.replace("account_id: '111122223333'", "account_id: '555555555555'"))
    failed = weco(bad, {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})("-P", "shop", "images", code=2)
    assert failed.stderr == (
        f"tracker: error: {bad} is invalid: shop: role_arn is in account 111122223333 but account_id "
        "says 555555555555\n"
    )


def test_region_flag_wins_over_the_manifest(accounts: dict[str, Any], manifest: Path) -> None:
    create_tables(account_session(SHOP, "eu-west-1").client("dynamodb"), RELEASES, DEPLOYMENTS)
    shop = weco(manifest, {"TRACKER_PROJECT": "shop"})
    shop("--region", "eu-west-1", "publish", "cron", f"{REGISTRY}/cron:v9")
    assert images(account_session(SHOP, "eu-west-1")) == {"/shop/images/latest/cron": f"{REGISTRY}/cron:v9"}
    assert parameters(account_session(SHOP, "eu-central-1")) == {}


def count_assume_role(clients: Any) -> list[str]:
    """A list that gets one entry each time ``clients`` calls STS AssumeRole (through its own method)."""
    fetched: list[str] = []
    assume = clients._assume_role

    def counting() -> dict[str, str]:
        fetched.append("assume")
        return assume()

    clients._assume_role = counting
    return fetched


def test_the_role_session_names_the_caller_and_is_refreshed(accounts: dict[str, Any]) -> None:
    from tracker.stores.clients import Clients, Target

    clients = Clients(target=Target(region="eu-central-1", role_arn=f"arn:aws:iam::{SHOP}:role/shop-ci"))
    fetched = count_assume_role(clients)
    assert clients.identity()["Arn"] == f"arn:aws:sts::{SHOP}:assumed-role/shop-ci/tracker@moto"
    assert clients.requester() == CALLER
    clients.ssm.describe_parameters()
    assert fetched == ["assume"]
    # The credentials outlive nothing here; make them expire and the next call refreshes them.
    credentials = clients._session._session._credentials
    credentials._expiry_time = credentials._expiry_time.replace(year=2000)
    clients.ssm.describe_parameters()
    assert fetched == ["assume", "assume"]


def test_a_role_that_cannot_be_assumed_is_one_line_and_writes_nothing(
    accounts: dict[str, Any], manifest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS refusing AssumeRole (moto grants every role, so the refusal is injected into botocore)."""
    from botocore.exceptions import ClientError

    def refuse(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "AssumeRole")

    import botocore.client

    original = botocore.client.BaseClient._make_api_call

    def patched(self: Any, operation: str, params: Any) -> Any:
        if operation == "AssumeRole":
            refuse()
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", patched)
    before = everywhere_without_patch(original)
    failed = weco(manifest, {"TRACKER_PROJECT": "shop"})("publish", "web", f"{REGISTRY}/web:v1", code=1)
    assert failed.stderr == (
        "tracker: error: assuming role arn:aws:iam::111122223333:role/shop-ci (or set --no-assume-role if "
        "you already act as it): AWS refused the call (AccessDenied): not authorized\n"
    )
    monkeypatch.undo()
    assert everywhere() == before


def everywhere_without_patch(original: Any) -> Any:
    import botocore.client

    patched = botocore.client.BaseClient._make_api_call
    botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]
    try:
        return everywhere()
    finally:
        botocore.client.BaseClient._make_api_call = patched  # type: ignore[method-assign]


def test_no_assume_role_works_when_the_caller_is_that_role(accounts: dict[str, Any], manifest: Path) -> None:
    """A CI job that assumed the shop's role itself: the tracker uses its credentials as they are."""
    session = account_session(SHOP, "eu-central-1")  # a session of role test-inspector, not shop-ci
    credentials = session.get_credentials().get_frozen_credentials()
    as_other_role = {
        "AWS_ACCESS_KEY_ID": credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
        "AWS_SESSION_TOKEN": credentials.token,
        "TRACKER_PROJECT": "shop",
        "TRACKER_ASSUME_ROLE": "0",
    }
    refused = weco(manifest, as_other_role)("publish", "web", f"{REGISTRY}/web:v1", code=1)
    assert "says the caller already is arn:aws:iam::111122223333:role/shop-ci" in refused.stderr
    assert "assumed-role/test-inspector/test; nothing written" in refused.stderr
    assert parameters(session) == {}

    import boto3

    sts = boto3.client("sts", region_name="eu-central-1")
    role = sts.assume_role(RoleArn=f"arn:aws:iam::{SHOP}:role/ci/shop-ci", RoleSessionName="gh-run-7")
    as_role = {
        **as_other_role,
        "AWS_ACCESS_KEY_ID": role["Credentials"]["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": role["Credentials"]["SecretAccessKey"],
        "AWS_SESSION_TOKEN": role["Credentials"]["SessionToken"],
    }
    weco(manifest, as_role)("publish", "web", f"{REGISTRY}/web:v1")
    assert images(session) == {"/shop/images/latest/web": f"{REGISTRY}/web:v1"}


def test_first_use_from_many_threads_assumes_the_role_once(accounts: dict[str, Any]) -> None:
    from tracker.stores.clients import Clients, Target
    from tracker.stores.parameters import ParameterStore

    target = Target(region="eu-central-1", role_arn=f"arn:aws:iam::{SHOP}:role/shop-ci", account_id=SHOP)
    clients = Clients(target=target)
    fetched = count_assume_role(clients)
    ParameterStore(clients, writers=8).put_values({f"/shop/x/{i}": "v" for i in range(16)}, "test")
    assert fetched == ["assume"]
    assert len(parameters(account_session(SHOP, "eu-central-1"))) == 16


def test_the_report_names_the_ecs_services_of_each_repository(
    accounts: dict[str, Any], manifest: Path
) -> None:
    shop = weco(manifest, {"TRACKER_PROJECT": "shop"})
    for service in ("web", "worker", "cron"):
        shop("publish", service, f"{REGISTRY}/{service}:v1")
    shop("deploy", shop("release", "create", "--quiet").stdout.strip(), "stage")
    markdown = shop("report", "--output", "markdown").stdout
    assert "| web (ECS: web-frontend, shared-sidecar) |" in markdown
    assert "| cron |" in markdown
    page = shop("report").stdout
    assert (
        '<th>worker<div class="rel">ECS: worker-high, worker-low, worker-batch, shared-sidecar</div></th>'
        in page
    )
