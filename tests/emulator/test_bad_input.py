"""Bad input: one clear line on stderr, a non-zero exit, and nothing written (tables and SSM unchanged).

The emulator is seeded once for the module (images at label `latest`, one
release deployed to stage, and a release of another project); every case
compares a snapshot of both tables and every SSM parameter version before and
after the command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BUGFARM, DEPLOYMENTS, RELEASES, reset_moto
from tests.support.cli import Cli
from tests.support.tables import create_tables, snapshot

VALID = json.loads(BUGFARM.read_text())
IMAGE = "registry.example/hatching:abc123"


def manifest(**changes: Any) -> str:
    document = json.loads(json.dumps(VALID))
    for path, value in changes.items():
        target = document
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        last = keys[-1]
        if value is DELETE:
            del target[last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return json.dumps(document)


DELETE = object()


@pytest.fixture(scope="module")
def seeded(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from tracker.stores.clients import Clients

    reset_moto(moto_endpoint)
    clients = Clients()
    create_tables(clients.dynamodb, RELEASES, DEPLOYMENTS)
    folder = tmp_path_factory.mktemp("bad")
    project = folder / "project.json"
    project.write_text(BUGFARM.read_text())
    other = folder / "other.json"
    other.write_text(manifest(project__id="otherproj"))

    def run(path: Path, *args: str) -> str:
        return Cli(path)(*args).stdout

    for p in (project, other):
        run(p, "publish", "hatching", IMAGE)
        run(p, "publish", "feeding", IMAGE.replace("hatching", "feeding"))
    run(project, "publish", "hatching", IMAGE, "--label", "half")
    release = json.loads(run(project, "release", "create", "-o", "json"))["release_id"]
    foreign = json.loads(run(other, "release", "create", "-o", "json"))["release_id"]
    run(project, "deploy", release, "stage")
    run(project, "release", "create", "--allow-duplicate")
    (folder / "no-backend").mkdir()
    (folder / "no-backend" / "main.tf").write_text('module "release" {\n  source = "./m"\n}\n')
    (folder / "root").mkdir()
    (folder / "root" / "versions.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    return {"folder": folder, "project": project, "release": release, "foreign": foreign, "clients": clients}


def state(clients: Any) -> dict[str, Any]:
    return snapshot(clients.dynamodb, clients.ssm, RELEASES, DEPLOYMENTS)


# The bugfarm project in weco-deploy's format, beside another project.
WECO = """\
bugfarm_73649:
  name: The Best Bug Farm
  environments: [{id: stage}, {id: prod}]
  image_repositories:
    - id: hatching
      services: [hatching-api]
    - id: feeding
other:
  image_repositories: [{id: x}]
"""
# (id, project manifest text or None for the valid one, argv, expected message part, exit code)
LONG = "x" * 129
CASES: list[tuple[str, str | None, list[str], str, int]] = [
    # -- the project manifest ---------------------------------------------------------------
    ("malformed-json", '{"project": {', ["images"], "is not valid JSON", 2),
    ("not-an-object", "[]", ["images"], "is invalid: (top level): [] is not of type 'object'", 2),
    ("missing-project", manifest(project=DELETE), ["images"], "'project' is a required property", 2),
    ("missing-services", manifest(services=DELETE), ["images"], "'services' is a required property", 2),
    ("no-services", manifest(services=[]), ["images"], "services: [] should be non-empty", 2),
    (
        "project-id-slash",
        manifest(project__id="bug/farm"),
        ["images"],
        "project.id: 'bug/farm' is not SSM-path-safe",
        2,
    ),
    (
        "project-id-space",
        manifest(project__id="bug farm"),
        ["images"],
        "project.id: 'bug farm' is not SSM-path-safe",
        2,
    ),
    (
        "project-id-unicode",
        manifest(project__id="bügfarm"),
        ["images"],
        "project.id: 'bügfarm' is not SSM-path-safe",
        2,
    ),
    (
        "project-id-aws",
        manifest(project__id="awsfarm"),
        ["images"],
        "project.id: 'awsfarm' must not start with 'aws' or 'ssm'",
        2,
    ),
    (
        "project-id-ssm",
        manifest(project__id="SSMfarm"),
        ["images"],
        "project.id: 'SSMfarm' must not start with 'aws' or 'ssm'",
        2,
    ),
    ("project-id-long", manifest(project__id=LONG), ["images"], "project.id: 'xxxxxxxx", 2),
    (
        "service-id-empty",
        manifest(services__0__id=""),
        ["images"],
        "services[0].id: must be a non-empty string",
        2,
    ),
    (
        "service-name-missing",
        manifest(services__1__name=DELETE),
        ["images"],
        "services[1]: 'name' is a required",
        2,
    ),
    (
        "duplicate-services",
        manifest(services__1__id="hatching"),
        ["images"],
        "duplicate service id 'hatching'",
        2,
    ),
    (
        "duplicate-environments",
        manifest(environments__1__id="stage"),
        ["images"],
        "duplicate environment id 'stage'",
        2,
    ),
    ("unknown-field", manifest(extra=1), ["images"], "Additional properties are not allowed ('extra'", 2),
    ("project-id-number", manifest(project__id=7), ["images"], "project.id: 7 is not of type 'string'", 2),
    # -- publish -------------------------------------------------------------------------------
    (
        "publish-unknown-service",
        None,
        ["publish", "nope", IMAGE],
        "service 'nope' is not in the project manifest",
        2,
    ),
    ("publish-service-slash", None, ["publish", "a/b", IMAGE], "service id 'a/b' is not SSM-path-safe", 2),
    (
        "publish-empty-uri",
        None,
        ["publish", "hatching", ""],
        "image URI for service 'hatching' must not be empty",
        2,
    ),
    ("publish-uri-space", None, ["publish", "hatching", "repo/app:1 2"], "is malformed", 2),
    ("publish-uri-bare-word", None, ["publish", "hatching", "justaword"], "'justaword' is malformed", 2),
    ("publish-uri-newline", None, ["publish", "hatching", "repo/app:1\nrm"], "is malformed", 2),
    ("publish-uri-shell", None, ["publish", "hatching", "repo/app:$(id)"], "is malformed", 2),
    (
        "publish-uri-long",
        None,
        ["publish", "hatching", "r/" + "a" * 1023],
        "is longer than 1024 characters",
        2,
    ),
    (
        "publish-label-slash",
        None,
        ["publish", "hatching", IMAGE, "--label", "la/bel"],
        "label 'la/bel' is not SSM-path-safe",
        2,
    ),
    (
        "publish-label-aws",
        None,
        ["publish", "hatching", IMAGE, "--label", "awslabel"],
        "label 'awslabel' must not start with 'aws' or 'ssm'",
        2,
    ),
    (
        "publish-label-unicode",
        None,
        ["publish", "hatching", IMAGE, "--label", "läbel"],
        "is not SSM-path-safe",
        2,
    ),
    (
        "publish-label-space",
        None,
        ["publish", "hatching", IMAGE, "--label", "a b"],
        "label 'a b' is not SSM-path-safe",
        2,
    ),
    (
        "publish-label-long",
        None,
        ["publish", "hatching", IMAGE, "--label", LONG],
        "is longer than 128 characters",
        2,
    ),
    (
        "publish-user-long",
        None,
        ["publish", "hatching", IMAGE, "--user", "u" * 513],
        "user id is 513 characters long; the limit is 512",
        2,
    ),
    # -- release create ------------------------------------------------------------------------
    (
        "release-label-missing-images",
        None,
        ["release", "create", "--label", "stable"],
        "label 'stable' of project 'bugfarm_73649' has no image for service(s): hatching, feeding",
        1,
    ),
    (
        "release-label-partly-missing",
        None,
        ["release", "create", "--label", "half"],
        "has no image for service(s): feeding (looked in SSM /bugfarm_73649/images/half/*, region eu-west-1)",
        1,
    ),
    (
        "release-description-long",
        None,
        ["release", "create", "--description", "d" * 1025],
        "description is 1025 characters long; the limit is 1024",
        2,
    ),
    (
        "release-user-long",
        None,
        ["release", "create", "--user", "u" * 513],
        "user id is 513 characters long",
        2,
    ),
    (
        "release-user-name-long",
        None,
        ["release", "create", "--user-name", "n" * 257],
        "user name is 257 characters",
        2,
    ),
    (
        "release-service-without-base",
        None,
        ["release", "create", "--service", "hatching"],
        "--service needs --from-release",
        2,
    ),
    (
        "release-from-unknown",
        None,
        ["release", "create", "--from-release", "nope", "--service", "hatching"],
        "release 'nope' not found",
        1,
    ),
    (
        "release-unknown-service",
        None,
        ["release", "create", "--from-release", "{release}", "--service", "nope"],
        "service 'nope' is not in the project manifest",
        2,
    ),
    ("release-duplicate", None, ["release", "create"], "identical to the newest release", 1),
    # -- deploy / promote / rollback --------------------------------------------------------------
    ("deploy-unknown-release", None, ["deploy", "0000", "prod"], "release '0000' not found", 1),
    (
        "deploy-foreign-release",
        None,
        ["deploy", "{foreign}", "prod"],
        "belongs to project 'otherproj', not 'bugfarm_73649'",
        1,
    ),
    (
        "deploy-undeclared-env",
        None,
        ["deploy", "{release}", "qa"],
        "environment 'qa' is not declared in the project manifest of 'bugfarm_73649' "
        "({manifest}; declared: stage, prod)",
        2,
    ),
    (
        "deploy-env-slash",
        None,
        ["deploy", "{release}", "st/age"],
        "environment id 'st/age' is not SSM-path-safe",
        2,
    ),
    ("deploy-env-ssm", None, ["deploy", "{release}", "ssmenv"], "must not start with 'aws' or 'ssm'", 2),
    ("deploy-env-long", None, ["deploy", "{release}", LONG], "is longer than 128 characters", 2),
    ("deploy-release-id-space", None, ["deploy", "a b", "prod"], "release id 'a b' is malformed", 2),
    (
        "deploy-description-long",
        None,
        ["deploy", "{release}", "prod", "-d", "d" * 1025],
        "the limit is 1024",
        2,
    ),
    (
        "deploy-description-nul",
        None,
        ["deploy", "{release}", "prod", "-d", "a\x00b"],
        "must not contain NUL",
        2,
    ),
    (
        "promote-nothing-deployed",
        None,
        ["promote", "prod", "stage"],
        "nothing is deployed to environment 'prod' of project 'bugfarm_73649'",
        1,
    ),
    ("promote-same-env", None, ["promote", "stage", "stage"], "promote needs two different environments", 2),
    ("promote-undeclared-target", None, ["promote", "stage", "qa"], "environment 'qa' is not declared", 2),
    ("rollback-nothing-before", None, ["rollback", "stage"], "nothing to roll back to", 1),
    ("rollback-nothing-deployed", None, ["rollback", "prod"], "nothing is deployed to environment 'prod'", 1),
    # -- tables and reads ----------------------------------------------------------------------------
    (
        "missing-releases-table",
        None,
        ["--releases-table", "nosuch", "deploy", "{release}", "prod"],
        "DynamoDB table 'nosuch' does not exist (region eu-west-1, account 123456789012) (create them with "
        "the Terraform module modules/tracking-store, or point TRACKER_RELEASES_TABLE",
        1,
    ),
    (
        "missing-deployments-table",
        None,
        ["--deployments-table", "gone", "status"],
        "DynamoDB table 'gone' does not exist",
        1,
    ),
    (
        "show-unknown-release",
        None,
        ["release", "show", "nope"],
        "release 'nope' not found (a prefix needs at least 8 characters) "
        "(`tracker release list` shows the project's releases)",
        1,
    ),
    ("list-limit-zero", None, ["release", "list", "--limit", "0"], "--limit must be at least 1", 2),
    ("diff-unknown", None, ["diff", "stage", "nowhere"], "'nowhere' is neither an environment", 2),
    ("history-no-env", None, ["history"], "give either ENVIRONMENT_ID or --all", 2),
    ("show-short-prefix", None, ["release", "show", "abc"], "a prefix needs at least 8 characters", 1),
    (
        "deploy-project-id-as-release",
        None,
        ["deploy", "bugfarm_73649", "stage"],
        "release 'bugfarm_73649' not found in project 'bugfarm_73649'",
        1,
    ),
    (
        "deploy-uuid-prefix-too-short",
        None,
        ["deploy", "bugfarm_73649:3f1c", "stage"],
        "release '3f1c' not found (a prefix needs at least 8 characters)",
        1,
    ),
    ("deploy-release-colon-only", None, ["deploy", ":abc", "stage"], "release id ':abc' is malformed", 2),
    ("deploy-release-two-colons", None, ["deploy", "a:b:c", "stage"], "release id 'a:b:c' is malformed", 2),
    ("deploy-env-dots", None, ["deploy", "{release}", ".."], "environment id '..' must not be only dots", 2),
    (
        "promote-undeclared-source",
        None,
        ["promote", "dev", "prod"],
        "environment 'dev' is not declared in the project manifest of 'bugfarm_73649'",
        2,
    ),
    # -- tracker terraform: refused before Terraform runs ------------------------------------------
    (
        "terraform-undeclared-env",
        None,
        ["terraform", "deploy", "latest", "qa", "--root", "{folder}"],
        "environment 'qa' is not declared in the project manifest",
        2,
    ),
    (
        "terraform-arguments-in-the-old-order",
        None,
        ["terraform", "deploy", "stage", "latest", "--root", "{folder}"],
        "'latest' is not an environment of project 'bugfarm_73649' but 'stage' is: the arguments are "
        "RELEASE ENVIRONMENT, in the order of `tracker deploy`",
        2,
    ),
    (
        "terraform-malformed-release",
        None,
        ["terraform", "deploy", "a b", "stage", "--root", "{folder}"],
        "release id 'a b' is malformed",
        2,
    ),
    (
        "terraform-promote-bad-source",
        None,
        ["terraform", "promote", "st/age", "prod", "--root", "{folder}"],
        "environment id 'st/age' is not SSM-path-safe",
        2,
    ),
    (
        "terraform-description-long",
        None,
        ["terraform", "deploy", "latest", "stage", "--description", "d" * 1025, "--root", "{folder}"],
        "description is 1025 characters long; the limit is 1024",
        2,
    ),
    (
        "terraform-force-without-description",
        None,
        ["terraform", "deploy", "latest", "stage", "--force", "--root", "{folder}"],
        "--force needs --description saying why the freeze, window or policy is overridden",
        2,
    ),
    (
        "terraform-not-a-root",
        None,
        ["terraform", "plan", "stage", "--root", "{folder}"],
        "is not a Terraform root (no *.tf files)",
        1,
    ),
    (
        "terraform-plan-too-many-arguments",
        None,
        ["terraform", "plan", "latest", "stage", "prod", "--root", "{folder}"],
        "give at most RELEASE_ID and ENVIRONMENT_ID",
        2,
    ),
    (
        "terraform-root-without-backend",
        None,
        ["terraform", "deploy", "latest", "stage", "--root", "{folder}/no-backend"],
        'declares no backend: add `terraform { backend "local" {} }` (or s3)',
        1,
    ),
    (
        "terraform-backend-config-not-key-value",
        None,
        ["terraform", "deploy", "latest", "stage", "--root", "{folder}/root", "--backend-config", "path"],
        "backend config 'path' is not KEY=VALUE",
        1,
    ),
    # -- weco-deploy's YAML format (write commands: a refusal must come before any write) ---------
    (
        "yaml-several-projects-none-chosen",
        WECO,
        ["publish", "hatching", IMAGE],
        "holds several projects (bugfarm_73649, other)",
        2,
    ),
    ("yaml-unknown-project", WECO, ["--project", "nope", "release", "create"], "project 'nope' is not in", 2),
    (
        "yaml-bad-project-flag",
        WECO,
        ["--project", "a/b", "deploy", "{release}", "stage"],
        "project id 'a/b' is not SSM-path-safe",
        2,
    ),
    (
        "yaml-path-of-bad-id",
        WECO.replace("- id: feeding", "- id: fee ding"),
        ["-P", "other", "publish", "x", IMAGE],
        "bugfarm_73649.image_repositories[1].id: 'fee ding' is not SSM-path-safe",
        2,
    ),
    (
        "yaml-duplicate-key",
        WECO + "other:\n  name: again\n",
        ["-P", "other", "publish", "x", IMAGE],
        "key 'other' appears twice",
        2,
    ),
    ("yaml-syntax", "bugfarm_73649:\n  name: [x\n", ["release", "create"], "is not valid YAML", 2),
    (
        "yaml-role-and-account-disagree",
        WECO.replace(
            "  name: The Best Bug Farm",
            "  name: B\n  role_arn: arn:aws:iam::111122223333:role/x\n  account_id: '444455556666'",
        ),
        ["-P", "bugfarm_73649", "publish", "hatching", IMAGE],
        "role_arn is in account 111122223333 but account_id says 444455556666",
        2,
    ),
    (
        "yaml-wrong-account",
        WECO.replace("  name: The Best Bug Farm", "  name: B\n  account_id: '111122223333'"),
        ["-P", "bugfarm_73649", "publish", "hatching", IMAGE],
        "must act in account 111122223333 (its manifest's account_id), but the credentials in use",
        1,
    ),
    (
        "yaml-not-the-claimed-role",
        WECO.replace("  name: The Best Bug Farm", "  name: B\n  role_arn: arn:aws:iam::123456789012:role/ci"),
        ["-P", "bugfarm_73649", "--no-assume-role", "deploy", "{release}", "prod"],
        "(TRACKER_ASSUME_ROLE=0) says the caller already is arn:aws:iam::123456789012:role/ci",
        1,
    ),
    (
        "yaml-undeclared-environment",
        WECO,
        ["-P", "bugfarm_73649", "deploy", "{release}", "qa"],
        "environment 'qa' is not declared in the project manifest of 'bugfarm_73649' "
        "({manifest}; declared: stage, prod)",
        2,
    ),
    (
        "region-flag-malformed",
        None,
        ["--region", "eu west 1", "publish", "hatching", IMAGE],
        "--region (TRACKER_REGION) 'eu west 1' is not an AWS region name such as eu-west-1",
        2,
    ),
    # -- the RFC's JSON with typos keeps the RFC's errors (not read as weco-deploy's format) -------
    (
        "json-services-misspelt",
        manifest(services=DELETE).replace('"project"', '"service": [], "project"'),
        ["release", "create"],
        "'services' is a required property",
        2,
    ),
    (
        "json-services-not-a-list",
        manifest(services={"id": "hatching"}),
        ["release", "create"],
        "services: {'id': 'hatching'} is not of type 'array'",
        2,
    ),
    (
        "json-role-and-account-disagree",
        manifest(project__role_arn="arn:aws:iam::111122223333:role/x", project__account_id="444455556666"),
        ["publish", "hatching", IMAGE],
        "is invalid: project: role_arn is in account 111122223333 but account_id says 444455556666",
        2,
    ),
]


@pytest.mark.parametrize(
    ("document", "argv", "message", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_one_clear_line_and_writes_nothing(
    seeded: dict[str, Any], document: str | None, argv: list[str], message: str, code: int
) -> None:
    project = seeded["project"]
    if document is not None:
        project = seeded["folder"] / "case.json"
        project.write_text(document)
    argv = [
        a.format(release=seeded["release"], foreign=seeded["foreign"], folder=seeded["folder"]) for a in argv
    ]
    before = state(seeded["clients"])
    result = Cli(project)(*argv, code=code)
    assert message.replace("{manifest}", str(project)) in result.error_line()
    assert "Traceback" not in result.output
    assert state(seeded["clients"]) == before


def test_no_region_is_a_configuration_error(seeded: dict[str, Any]) -> None:
    before = state(seeded["clients"])
    unset: Any = {"AWS_REGION": None, "AWS_DEFAULT_REGION": None}
    result = Cli(seeded["project"])("publish", "hatching", IMAGE, code=2, env=unset)
    assert result.error_line().startswith("tracker: error: no AWS region configured: give --region")
    assert state(seeded["clients"]) == before


def test_an_unreachable_endpoint_names_aws_endpoint_url(seeded: dict[str, Any]) -> None:
    result = Cli(seeded["project"])("status", code=1, env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert "cannot reach AWS endpoint" in result.error_line()
    assert "(AWS_ENDPOINT_URL=http://127.0.0.1:9 points there: is the emulator running?)" in result.stderr


@pytest.mark.parametrize("target", ["directory", "missing", "not-utf8"])
def test_unreadable_project_file(seeded: dict[str, Any], target: str) -> None:
    folder = seeded["folder"]
    path = {"directory": folder, "missing": folder / "nope.json", "not-utf8": folder / "latin1.json"}[target]
    if target == "not-utf8":
        path.write_bytes(b'{"project": {"id": "b\xe4d"}}')
    before = state(seeded["clients"])
    result = Cli(path)("images", code=2)
    expected = {
        "directory": "cannot read project manifest",
        "missing": "not found",
        "not-utf8": "cannot read project manifest",
    }[target]
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert state(seeded["clients"]) == before


def test_terraform_missing_is_one_line(seeded: dict[str, Any]) -> None:
    before = state(seeded["clients"])
    argv = ["terraform", "deploy", "latest", "stage", "--root", str(seeded["folder"] / "root")]
    result = Cli(seeded["project"])(*argv, code=1, env={"PATH": "/nonexistent"})
    assert result.stderr.strip().splitlines() == [
        "tracker: error: terraform is not installed (not found on PATH)"
    ]
    assert state(seeded["clients"]) == before
