"""The ``tracker`` command: a thin layer that parses arguments, calls the library, prints.

Every expected failure is one line on stderr (``tracker: error: ...``) and a
non-zero exit: 2 for bad input and usage, 1 for everything else.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from typing import Any, NoReturn

import click

from tracker.errors import TrackerError, one_line

OUTPUT = click.option(
    "--output",
    "-o",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Human-readable text, or JSON for machines.",
)
USER = click.option(
    "--user",
    help="Who requests it (the RFC's requested_by.id). Default: $TRACKER_USER, "
    "else the AWS caller identity (STS).",
)
USER_NAME = click.option("--user-name", help="Display name of --user. Default: the user id.")
DESCRIPTION = click.option("--description", "-d", default="", help="Why (free text, ≤ 1024 chars).")


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"tracker: error: {one_line(message)}", err=True)
    sys.exit(code)


class TrackerGroup(click.Group):
    """Turns the library's named exceptions and usage errors into one line on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrackerError as error:
            fail(str(error), error.exit_code)

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as error:
            click.echo(error.ctx.get_help() if error.ctx else error.format_message())
            sys.exit(0)
        except click.UsageError as error:
            where = error.ctx.command_path if error.ctx else "tracker"
            fail(f"{error.format_message()} (see '{where} --help')", 2)
        except click.ClickException as error:
            fail(error.format_message(), error.exit_code)
        except click.Abort:
            fail("aborted", 130)
        sys.exit(result if isinstance(result, int) else 0)


@dataclass
class Env:
    """What the global options select; the stores are built on first use."""

    project_file: str | None
    releases_table: str | None
    deployments_table: str | None
    _clients: Any = None

    @property
    def clients(self) -> Any:
        if self._clients is None:
            from tracker.aws import Clients

            self._clients = Clients()
        return self._clients

    def project(self) -> Any:
        from tracker.project import load_project

        return load_project(self.project_file)

    def releases(self) -> Any:
        from tracker.store import ReleaseStore, deployments_table_name, releases_table_name

        return ReleaseStore(
            self.clients,
            releases_table_name(self.releases_table),
            deployments_table_name(self.deployments_table),
        )

    def parameters(self) -> Any:
        from tracker.store import ParameterStore

        return ParameterStore(self.clients)

    def user_id(self, user: str | None) -> str:
        if user:
            return user
        if os.environ.get("TRACKER_USER"):
            return os.environ["TRACKER_USER"]
        from tracker.aws import caller_identity

        return caller_identity(self.clients)

    def person(self, user: str | None, user_name: str | None) -> dict[str, str]:
        from tracker.releases import person

        return person(self.user_id(user), user_name)


pass_env = click.make_pass_decorator(Env)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False))


def emit_images(images: dict[str, Any], indent: str = "  ") -> None:
    width = max((len(s) for s in images), default=0)
    for service, image in images.items():
        click.echo(f"{indent}{service.ljust(width)}  {image if image is not None else '(none)'}")


@click.group(cls=TrackerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--project-file",
    "-p",
    envvar="TRACKER_PROJECT_FILE",
    help="Project manifest. Default: $TRACKER_PROJECT_FILE, else ./.wellcome_project.",
)
@click.option(
    "--releases-table",
    envvar="TRACKER_RELEASES_TABLE",
    help="Releases table. Default: $TRACKER_RELEASES_TABLE, else 'tracker-releases'.",
)
@click.option(
    "--deployments-table",
    envvar="TRACKER_DEPLOYMENTS_TABLE",
    help="Deployments table. Default: $TRACKER_DEPLOYMENTS_TABLE, else 'tracker-deployments'.",
)
@click.version_option(package_name="release-tracker", prog_name="tracker")
@click.pass_context
def cli(
    ctx: click.Context,
    project_file: str | None,
    releases_table: str | None,
    deployments_table: str | None,
) -> None:
    """Track releases and deployments of a project's container images (RFC 013).

    CI publishes images to SSM labels; a release snapshots a label; a
    deployment records a release in an environment and writes
    /{project}/deployments/{environment}/{service} for Terraform to read.

    AWS region, credentials and endpoint come from the standard AWS
    configuration (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL...).

    \b
    Example:
      tracker publish hatching 123.dkr.ecr.eu-west-1.amazonaws.com/hatching:abc123
      tracker release create --description "Sprint 12"
      tracker deploy 3f1c... stage
      tracker promote stage prod
    """
    ctx.obj = Env(project_file, releases_table, deployments_table)


@cli.command()
@click.argument("service_id")
@click.argument("image_uri")
@click.option("--label", "-l", default="latest", show_default=True, help="Image label.")
@USER
@pass_env
def publish(env: Env, service_id: str, image_uri: str, label: str, user: str | None) -> None:
    """Point a label of a service at an image (SSM /{project}/images/{label}/{service}).

    \b
    Example:
      tracker publish hatching 123.dkr.ecr.eu-west-1.amazonaws.com/hatching:abc123 --label latest
    """
    from tracker.releases import publish_image

    project = env.project()
    name = publish_image(
        project, env.parameters(), service_id, image_uri, label=label, user_id=env.user_id(user)
    )
    click.echo(f"{name} = {image_uri}")


@cli.command()
@click.option("--label", "-l", default="latest", show_default=True, help="Image label.")
@OUTPUT
@pass_env
def images(env: Env, label: str, output: str) -> None:
    """Show the image each service's label points at now in SSM.

    \b
    Example:
      tracker images --label stable --output json
    """
    from tracker.releases import label_images

    found = label_images(env.project(), env.parameters(), label)
    if output == "json":
        emit_json(found)
    else:
        click.echo(f"label {label}:")
        emit_images(found)


@cli.group(cls=TrackerGroup)
def release() -> None:
    """Create and read releases (snapshots of a label's images)."""


def release_summary(row: dict[str, Any]) -> None:
    manifest = row["release_manifest"]
    click.echo(f"release     {row['release_id']}")
    click.echo(f"project     {manifest['project']['id']} ({manifest['project']['name']})")
    click.echo(f"requested   {manifest['date_requested']} by {manifest['requested_by']['name']}")
    if manifest["description"]:
        click.echo(f"description {manifest['description']}")
    click.echo("images:")
    emit_images(manifest["images"])
    if manifest["deployments"]:
        click.echo("deployments:")
        for d in manifest["deployments"]:
            why = f" — {d['description']}" if d["description"] else ""
            click.echo(
                f"  {d['date_requested']}  {d['environment']['id']}  by {d['requested_by']['name']}{why}"
            )


@release.command("create")
@click.option("--label", "-l", default="latest", show_default=True, help="Image label to snapshot.")
@DESCRIPTION
@USER
@USER_NAME
@click.option("--from-release", help="Take services not named by --service from this release.")
@click.option(
    "--service",
    "services",
    multiple=True,
    help="With --from-release: a service to take from the label (repeatable).",
)
@click.option("--allow-duplicate", is_flag=True, help="Create it even if identical to the newest release.")
@OUTPUT
@pass_env
def release_create(
    env: Env,
    label: str,
    description: str,
    user: str | None,
    user_name: str | None,
    from_release: str | None,
    services: tuple[str, ...],
    allow_duplicate: bool,
    output: str,
) -> None:
    """Snapshot every service's image at a label into a new release.

    Refuses, writing nothing, if any service has no image at the label, or if
    the release would be identical to the newest one (unless --allow-duplicate).

    \b
    Examples:
      tracker release create --label latest --description "Sprint 12"
      tracker release create --from-release 3f1c... --service hatching   # hotfix one service
    """
    from tracker.releases import create_release

    project = env.project()
    created = create_release(
        project,
        env.releases(),
        env.parameters(),
        requested_by=env.person(user, user_name),
        label=label,
        description=description,
        from_release=from_release,
        services=list(services),
        allow_duplicate=allow_duplicate,
    )
    for warning in created.warnings:
        click.echo(f"tracker: warning: {warning}", err=True)
    row = created.release.as_row()
    if output == "json":
        emit_json(row)
    else:
        click.echo(f"created release {created.release.release_id}")
        emit_images(created.release.images)


@release.command("show")
@click.argument("release_id")
@OUTPUT
@pass_env
def release_show(env: Env, release_id: str, output: str) -> None:
    """Show a release: its row of the releases table and its manifest.

    \b
    Example:
      tracker release show 3f1c9b9e-... --output json
    """
    from tracker.releases import show_release

    row = show_release(env.project(), env.releases(), release_id).as_row()
    if output == "json":
        emit_json(row)
    else:
        release_summary(row)


@release.command("list")
@click.option("--limit", "-n", default=20, show_default=True, type=int, help="How many.")
@OUTPUT
@pass_env
def release_list(env: Env, limit: int, output: str) -> None:
    """List the newest releases of the project (GSI latest_releases).

    \b
    Example:
      tracker release list --limit 5
    """
    from tracker.releases import iso8601, list_releases

    found = list_releases(env.project(), env.releases(), limit)
    if output == "json":
        emit_json([r.as_row() for r in found])
        return
    for r in found:
        deployed = sorted({d["environment"]["id"] for d in r.release_manifest["deployments"]})
        where = f"  deployed: {', '.join(deployed)}" if deployed else ""
        text = r.release_manifest["description"]
        click.echo(f"{r.release_id}  {iso8601(r.created_at)}  {text}{where}")


def report_deploy(result: Any, output: str) -> None:
    if output == "json":
        emit_json(
            {
                "release_id": result.release.release_id,
                "environment_id": result.environment_id,
                "recorded": result.recorded,
                "superseded_by": result.superseded_by,
                "images": result.images,
            }
        )
        return
    verb = "deployed" if result.recorded else "already deployed (nothing recorded; SSM checked)"
    click.echo(f"{verb}: release {result.release.release_id} -> {result.environment_id}")
    emit_images(result.images)
    if result.superseded_by:
        click.echo(
            f"note: a later deployment of release {result.superseded_by} has since taken "
            f"{result.environment_id}"
        )


@cli.command()
@click.argument("release_id")
@click.argument("environment_id")
@DESCRIPTION
@USER
@USER_NAME
@OUTPUT
@pass_env
def deploy(
    env: Env,
    release_id: str,
    environment_id: str,
    description: str,
    user: str | None,
    user_name: str | None,
    output: str,
) -> None:
    """Record a deployment of a release to an environment and write its SSM parameters.

    Deploying the release an environment already runs records nothing and
    only makes SSM match (safe to re-run after a failure).

    \b
    Example:
      tracker deploy 3f1c9b9e-... stage --description "Testing sprint 12"
    """
    from tracker.deployments import deploy as do_deploy

    result = do_deploy(
        env.project(),
        env.releases(),
        env.parameters(),
        release_id,
        environment_id,
        requested_by=env.person(user, user_name),
        description=description,
    )
    report_deploy(result, output)


@cli.command()
@click.argument("from_environment")
@click.argument("to_environment")
@DESCRIPTION
@USER
@USER_NAME
@OUTPUT
@pass_env
def promote(
    env: Env,
    from_environment: str,
    to_environment: str,
    description: str,
    user: str | None,
    user_name: str | None,
    output: str,
) -> None:
    """Deploy the release FROM_ENVIRONMENT runs to TO_ENVIRONMENT (same release id).

    \b
    Example:
      tracker promote stage prod --description "Release sprint 12"
    """
    from tracker.deployments import promote as do_promote

    result = do_promote(
        env.project(),
        env.releases(),
        env.parameters(),
        from_environment,
        to_environment,
        requested_by=env.person(user, user_name),
        description=description,
    )
    report_deploy(result, output)


@cli.command()
@OUTPUT
@pass_env
def status(env: Env, output: str) -> None:
    """Per environment: the release it runs and that release's images.

    \b
    Example:
      tracker status --output json
    """
    from tracker.deployments import status as do_status
    from tracker.releases import iso8601

    found = do_status(env.project(), env.releases())
    if output == "json":
        emit_json({e: {"release_id": v["release_id"], "images": v["images"]} for e, v in found.items()})
        return
    if not found:
        click.echo("nothing deployed yet")
    for environment_id, value in found.items():
        click.echo(
            f"{environment_id}: release {value['release_id']} (deployed {iso8601(value['deployed_at'])})"
        )
        emit_images(value["images"])


def _history_text(entries: list[dict[str, Any]], show_env: bool) -> None:
    if not entries:
        click.echo("no deployments yet")
    for e in entries:
        env = f"{e['environment']['id']}  " if show_env else ""
        why = f" — {e['description']}" if e["description"] else ""
        click.echo(f"{e['date_requested']}  {env}{e['release_id']}  by {e['requested_by']['name']}{why}")
        emit_images(e["images"], indent="    ")


@cli.command()
@click.argument("environment_id", required=False)
@click.option("--all", "all_environments", is_flag=True, help="Every environment of the project.")
@click.option("--limit", "-n", default=20, show_default=True, type=int, help="How many.")
@OUTPUT
@pass_env
def history(env: Env, environment_id: str | None, all_environments: bool, limit: int, output: str) -> None:
    """Deployments, newest first: release, images, who, when and why.

    Reads the latest_deployments GSI and stops as soon as the LIMIT newest are
    certain (no table scan).

    \b
    Examples:
      tracker history prod --limit 5
      tracker history --all --output json
    """
    from tracker.deployments import history as do_history

    if bool(environment_id) == all_environments:
        raise click.UsageError("give either ENVIRONMENT_ID or --all")
    entries = do_history(env.project(), env.releases(), environment_id, limit)
    if output == "json":
        emit_json(entries)
    else:
        _history_text(entries, show_env=all_environments)


@cli.command()
@click.argument("a")
@click.argument("b")
@OUTPUT
@pass_env
def diff(env: Env, a: str, b: str, output: str) -> None:
    """Compare the images of A and B (each an environment or a release id).

    Exit code 0 when they run the same images, 1 when they differ, 2 on error.

    \b
    Examples:
      tracker diff stage prod           # what would promoting stage to prod change?
      tracker diff prod 3f1c9b9e-...    # what would deploying that release to prod change?
    """
    from tracker.deployments import diff_images, resolve_images

    try:
        project, releases = env.project(), env.releases()
        label_a, images_a = resolve_images(project, releases, a)
        label_b, images_b = resolve_images(project, releases, b)
    except TrackerError as error:
        fail(str(error), 2)  # like diff(1): 1 means "they differ", so errors are 2
    rows = diff_images(images_a, images_b)
    differ = any(r["change"] != "same" for r in rows)
    if output == "json":
        emit_json({"from": label_a, "to": label_b, "differ": differ, "services": rows})
    else:
        click.echo(f"from {label_a}")
        click.echo(f"to   {label_b}")
        width = max((len(r["service"]) for r in rows), default=0)
        for r in rows:
            if r["change"] == "same":
                click.echo(f"  {r['service'].ljust(width)}  same     {r['to']}")
            else:
                click.echo(
                    f"  {r['service'].ljust(width)}  {r['change'].ljust(7)}  "
                    f"{r['from'] or '(none)'} -> {r['to'] or '(none)'}"
                )
    sys.exit(1 if differ else 0)


@cli.command()
@click.argument("environment_id")
@click.option("--to", "to_release", help="Release id to roll back to (default: the previous one).")
@DESCRIPTION
@USER
@USER_NAME
@OUTPUT
@pass_env
def rollback(
    env: Env,
    environment_id: str,
    to_release: str | None,
    description: str,
    user: str | None,
    user_name: str | None,
    output: str,
) -> None:
    """Deploy the release that ran in ENVIRONMENT_ID before the current one.

    Recorded as an ordinary deployment whose description starts with
    "rollback of ENV from OLD to NEW".

    \b
    Examples:
      tracker rollback prod --description "hatching crashes on start"
      tracker rollback prod --to 3f1c9b9e-...
    """
    from tracker.deployments import rollback as do_rollback

    result = do_rollback(
        env.project(),
        env.releases(),
        env.parameters(),
        environment_id,
        requested_by=env.person(user, user_name),
        to_release=to_release,
        description=description,
    )
    report_deploy(result, output)


def _report_drift(drifts: list[Any], output: str, verb: str) -> None:
    if output == "json":
        emit_json([dict(d.__dict__, message=str(d)) for d in drifts])
    elif drifts:
        for d in drifts:
            click.echo(f"{verb}: {d}")
    else:
        click.echo("ok: the deployments table, the release manifests and SSM agree")


@cli.command()
@click.argument("environment_id", required=False)
@OUTPUT
@pass_env
def verify(env: Env, environment_id: str | None, output: str) -> None:
    """Check that the deployments table, the release manifests and SSM agree.

    Prints each disagreement (per environment and service) and exits 1 on
    drift: suitable for CI and cron.

    \b
    Examples:
      tracker verify            # every environment
      tracker verify prod --output json
    """
    from tracker.deployments import verify as do_verify

    drifts = do_verify(env.project(), env.releases(), env.parameters(), environment_id)
    _report_drift(drifts, output, "drift")
    if drifts:
        sys.exit(1)


@cli.command()
@click.argument("environment_id", required=False)
@USER
@OUTPUT
@pass_env
def repair(env: Env, environment_id: str | None, user: str | None, output: str) -> None:
    """Rewrite SSM deployment parameters from the deployments table where they drifted.

    The deployments table is the record; SSM follows it. Parameters with no
    row behind them are reported by verify but never deleted.

    \b
    Example:
      tracker repair prod
    """
    from tracker.deployments import repair as do_repair

    repaired = do_repair(
        env.project(), env.releases(), env.parameters(), environment_id, user_id=env.user_id(user)
    )
    _report_drift(repaired, output, "repaired")


@cli.command()
@click.option(
    "--output",
    "fmt",
    type=click.Choice(["html", "markdown"]),
    default="html",
    show_default=True,
    help="Self-contained HTML page, or Markdown.",
)
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False), help="Write to FILE (default: stdout).")
@click.option("--limit", "-n", default=20, show_default=True, type=int, help="Deployments in the timeline.")
@pass_env
def report(env: Env, fmt: str, out: str | None, limit: int) -> None:
    """A page to look at: environments × services (image tag and release) and recent deployments.

    \b
    Examples:
      tracker report -o release-report.html
      tracker report --output markdown >> "$GITHUB_STEP_SUMMARY"
    """
    from tracker.deployments import history, status
    from tracker.report import collect, render_html, render_markdown

    project, releases = env.project(), env.releases()
    data = collect(project, status(project, releases), history(project, releases, None, limit))
    text = render_html(data) if fmt == "html" else render_markdown(data)
    if out:
        try:
            with open(out, "w", encoding="utf-8") as file:
                file.write(text)
        except OSError as error:
            fail(f"cannot write {out}: {error.strerror}", 2)
        click.echo(f"wrote {out}")
    else:
        click.echo(text, nl=False)


def main() -> None:
    cli(prog_name="tracker")
