"""weco-deploy's YAML manifest format: every quirk real files have, and errors that name the place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import BUGFARM
from tracker.errors import ProjectManifestError
from tracker.model.project import load_projects, parse_project, parse_projects
from tracker.model.writing import render

EXAMPLE = """\
# Several projects in one file, keyed by project id.
shop:
  name: Online Shop
  role_arn: arn:aws:iam::111122223333:role/shop-ci   # every AWS call of this project runs as this role
  account_id: '111122223333'                          # optional: refuse to act in any other account
  aws_region_name: eu-west-1                          # optional; some files say `region_name`
  environments:
    - id: stage
      name: Staging
    - id: prod
      name: Production
  image_repositories:                                 # one image each: what the RFC calls a service
    - id: web
      services:                                       # the ECS services that run that image (optional)
        - id: web-frontend
    - id: worker
      services:
        - id: worker-high
        - id: worker-low
        - worker-batch                                # a bare string appears in real files: same as {id: ...}
    - id: cron                                        # no services listed
reports:
  name: Reports
  role_arn: arn:aws:iam::444455556666:role/reports-ci
  environments:
    - id: "2024-06-01"                                # ids may start with a digit
      name: "2024-06-01"
  image_repositories:
    - id: renderer
"""


def test_the_issue_example_reads_as_two_projects() -> None:
    found = parse_projects(EXAMPLE, "example")
    assert found.format == "yaml" and found.warnings == ()
    shop, reports = found.projects["shop"], found.projects["reports"]
    assert shop.services == {"web": "web", "worker": "worker", "cron": "cron"}
    assert shop.ecs_services == {
        "web": ("web-frontend",),
        "worker": ("worker-high", "worker-low", "worker-batch"),
    }
    assert shop.environments == {"stage": "Staging", "prod": "Production"}
    assert (shop.role_arn, shop.account_id, shop.region) == (
        "arn:aws:iam::111122223333:role/shop-ci",
        "111122223333",
        "eu-west-1",
    )
    assert reports.environments == {"2024-06-01": "2024-06-01"}
    assert (reports.account_id, reports.region) == (None, None)
    assert reports.environment("2024-06-01").to_item() == {"id": "2024-06-01", "name": "2024-06-01"}


def test_plain_scalars_keep_the_text_that_was_written() -> None:
    text = """\
p:
  name: no
  account_id: 012345678901
  image_repositories:
    - id: 2024-06-01
    - id: 1e3
  environments:
    - id: 2024-07-01
    - id: on
"""
    project = parse_project(text)
    assert project.name == "no"  # not False
    assert project.account_id == "012345678901"  # not an octal number, not 12 345 678 901
    assert list(project.services) == ["2024-06-01", "1e3"]  # not a date, not 1000.0
    assert project.environments == {"2024-07-01": "2024-07-01", "on": "on"}


def test_region_name_is_read_and_a_disagreeing_pair_refused() -> None:
    base = "p:\n  {key}\n  image_repositories:\n    - id: web\n"
    assert parse_project(base.format(key="region_name: us-east-2")).region == "us-east-2"
    assert parse_project(base.format(key="aws_region_name: eu-west-2")).region == "eu-west-2"
    same = "region_name: eu-west-2\n  aws_region_name: eu-west-2"
    assert parse_project(base.format(key=same)).region == "eu-west-2"
    with pytest.raises(
        ProjectManifestError, match="p: aws_region_name 'eu-west-2' and region_name 'us-east-2'"
    ):
        parse_project(base.format(key="region_name: us-east-2\n  aws_region_name: eu-west-2"))


def test_a_service_may_run_several_images_and_duplicates_in_one_list_count_once() -> None:
    text = """\
p:
  image_repositories:
    - id: app
      services: [api, {id: sidecar}, api]
    - id: proxy
      services: [sidecar]
"""
    project = parse_project(text)
    assert project.ecs_services == {"app": ("api", "sidecar"), "proxy": ("sidecar",)}


def test_known_unused_keys_are_kept_and_unknown_ones_warned_about() -> None:
    text = """\
p:
  namespace: uk.ac.wellcome
  enviroments: [{id: prod}]
  image_repositories:
    - id: app
      role_arn: arn:aws:iam::111122223333:role/publisher
      region_name: us-east-1
      namespace: uk.ac.wellcome
      colour: blue
      services:
        - id: app-api
          role_arn: arn:aws:iam::111122223333:role/ecs
          region_name: eu-west-1
          size: large
"""
    found = parse_projects(text, "f")
    project = found.projects["p"]
    assert project.unused == {
        "namespace": "uk.ac.wellcome",
        "image_repositories": {
            "app": {
                "role_arn": "arn:aws:iam::111122223333:role/publisher",
                "region_name": "us-east-1",
                "namespace": "uk.ac.wellcome",
                "services": {
                    "app-api": {"role_arn": "arn:aws:iam::111122223333:role/ecs", "region_name": "eu-west-1"}
                },
            }
        },
    }
    assert project.region is None  # a repository's region is its registry's, not the project's
    assert project.environments is None  # the misspelt key declares nothing
    assert found.warnings == (
        "f: p.enviroments is not a key the tracker knows; ignored",
        "f: p.image_repositories[0].colour is not a key the tracker knows; ignored",
        "f: p.image_repositories[0].services[0].size is not a key the tracker knows; ignored",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "shop:\n  image_repositories:\n    - id: a\n    - id: b\n    - id: c/d\n",
            "f is invalid: shop.image_repositories[2].id: 'c/d' is not SSM-path-safe",
        ),
        (
            "shop:\n  image_repositories: []\n",
            "f is invalid: shop.image_repositories: [] should be non-empty",
        ),
        ("shop:\n  name: Shop\n", "f is invalid: shop: 'image_repositories' is a required property"),
        ("shop:\n  image_repositories:\n    - name: x\n", "shop.image_repositories[0]: 'id' is a required"),
        (
            "shop:\n  image_repositories:\n    - id: a\n      services: [bad name]\n",
            "shop.image_repositories[0].services[0]:",
        ),
        (
            "shop:\n  role_arn: arn:aws:iam::1:role/x\n  image_repositories: [{id: a}]\n",
            "f is invalid: shop.role_arn: 'arn:aws:iam::1:role/x' does not match",
        ),
        (
            "shop:\n  account_id: 1234\n  image_repositories: [{id: a}]\n",
            "f is invalid: shop.account_id: '1234' does not match",
        ),
        (
            "shop:\n  aws_region_name: Ireland\n  image_repositories: [{id: a}]\n",
            "f is invalid: shop.aws_region_name: 'Ireland' does not match",
        ),
        (
            "shop:\n  environments: [{id: prod}, {id: prod}]\n  image_repositories: [{id: a}]\n",
            "f is invalid: shop.environments[1].id: duplicate environment id 'prod'",
        ),
        (
            "shop:\n  image_repositories: [{id: a}, {id: a}]\n",
            "f is invalid: shop.image_repositories[1].id: duplicate image repository id 'a'",
        ),
        (
            "shop:\n  image_repositories: [{id: a}]\nshop:\n  name: x\n",
            "f is invalid: key 'shop' appears twice",
        ),
        ("aws-shop:\n  image_repositories: [{id: a}]\n", "project id 'aws-shop' must not start with 'aws'"),
        ("shop/x:\n  image_repositories: [{id: a}]\n", "project id 'shop/x' is not SSM-path-safe"),
        ("shop: [a, b]\n", "f is invalid: shop: ['a', 'b'] is not of type 'object'"),
        ("- shop\n", "f is invalid: (top level): ['shop'] is not of type 'object'"),
        ("", "f is empty"),
        ("# only a comment\n", "f is empty"),
        ("shop:\n  name: [unclosed\n", "f is not valid YAML: "),
        (
            "shop:\n\timage_repositories: []\n",
            "f is not valid YAML: found character that cannot start any token at line 2 column 1",
        ),
        ("a: &x [*x]\n", "f is invalid: a: [[...]] is not of type 'object'"),
    ],
    ids=[
        "repository-id-path",
        "no-repositories",
        "repositories-missing",
        "repository-without-id",
        "ecs-service-name",
        "role-arn-malformed",
        "account-id-short",
        "region-malformed",
        "environment-twice",
        "repository-twice",
        "project-key-twice",
        "project-id-aws",
        "project-id-slash",
        "project-not-a-mapping",
        "top-level-list",
        "empty-file",
        "only-a-comment",
        "unclosed-bracket",
        "tab-indent",
        "recursive-alias",
    ],
)
def test_bad_yaml_is_one_line_naming_the_place(text: str, message: str) -> None:
    with pytest.raises(ProjectManifestError) as caught:
        parse_projects(text, "f")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_yaml_syntax_errors_give_line_and_column() -> None:
    with pytest.raises(ProjectManifestError, match=r"not valid YAML: .* at line 3 column \d+"):
        parse_projects("shop:\n  name: x\n  - y\n", "f")


def test_the_rfc_manifest_reads_as_before_in_json_or_yaml() -> None:
    from_json = load_projects(BUGFARM)
    assert from_json.format == "json" and list(from_json.projects) == ["bugfarm_73649"]
    import yaml

    as_yaml = yaml.safe_dump(json.loads(BUGFARM.read_text()))
    assert parse_projects(as_yaml, "y").projects == from_json.projects


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_what_render_writes_reads_back_the_same(fmt: str) -> None:
    for project in parse_projects(EXAMPLE, "example").projects.values():
        text = render(project, fmt)
        again = parse_project(text, "rendered")
        assert (again.id, again.name) == (project.id, project.name)
        assert again.services == project.services and again.environments == project.environments
        assert (again.role_arn, again.account_id, again.region) == (
            project.role_arn,
            project.account_id,
            project.region,
        )
        if fmt == "yaml":
            assert again.ecs_services == project.ecs_services


def test_the_json_format_takes_the_role_account_and_region_too(tmp_path: Path) -> None:
    document = json.loads(BUGFARM.read_text())
    document["project"].update(
        role_arn="arn:aws:iam::111122223333:role/ci", account_id="111122223333", aws_region_name="eu-west-2"
    )
    project = parse_project(json.dumps(document))
    assert (project.role_arn, project.account_id, project.region) == (
        "arn:aws:iam::111122223333:role/ci",
        "111122223333",
        "eu-west-2",
    )
    document["project"]["account_id"] = "1"
    with pytest.raises(ProjectManifestError, match=r"project\.account_id: '1' does not match"):
        parse_project(json.dumps(document))
    document["project"]["account_id"] = "444455556666"
    with pytest.raises(
        ProjectManifestError, match="project: role_arn is in account 111122223333 but account_id"
    ):
        parse_project(json.dumps(document))


def test_merge_keys_may_be_overridden_but_written_keys_not_repeated() -> None:
    text = """\
defaults: &defaults
  role_arn: arn:aws:iam::111122223333:role/ci
  name: Default
  image_repositories: [{id: web}]
shop:
  <<: *defaults
  name: Shop
"""
    found = parse_projects(text, "f")
    assert found.projects["shop"].name == "Shop"
    assert found.projects["shop"].role_arn == "arn:aws:iam::111122223333:role/ci"
    assert found.projects["defaults"].name == "Default"
    with pytest.raises(ProjectManifestError, match="key 'name' appears twice"):
        parse_projects(text + "  name: Again\n", "f")


def test_json_typos_keep_the_rfc_errors_and_yaml_projects_may_be_named_like_rfc_keys() -> None:
    with pytest.raises(ProjectManifestError, match="'services' is a required property"):
        parse_projects('{"project": {"id": "p", "name": "P"}, "service": []}', "f")
    with pytest.raises(ProjectManifestError, match="services: .* is not of type 'array'"):
        parse_projects('{"project": {"id": "p", "name": "P"}, "services": {"id": "a"}}', "f")
    named = parse_projects(
        "project:\n  image_repositories: [{id: a}]\nservices:\n  image_repositories: [{id: b}]\n"
    )
    assert named.format == "yaml" and list(named.projects) == ["project", "services"]
    as_json = parse_projects('{"shop": {"image_repositories": [{"id": "a"}]}}', "f")
    assert as_json.format == "yaml" and list(as_json.projects) == ["shop"]
