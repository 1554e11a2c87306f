"""``tracker metrics``: DORA's four keys from the tracker's own tables."""

from __future__ import annotations

import csv
import sys
from typing import TYPE_CHECKING, Any

import click

from tracker.app import Tracker
from tracker.cli.base import emit_json, pass_tracker

if TYPE_CHECKING:
    from tracker.model.metrics import EnvironmentMetrics

CSV_COLUMNS = (
    "environment",
    "period_start",
    "period_end",
    "deployments",
    "deployments_per_day",
    "failures",
    "change_failure_rate",
    "changes",
    "lead_time_median_seconds",
    "lead_time_p90_seconds",
    "commit_lead_time_median_seconds",
    "commit_lead_time_p90_seconds",
    "incidents",
    "recovery_time_median_seconds",
    "unrecovered",
)


@click.command()
@click.argument("environment_id", required=False)
@click.option("--all", "every", is_flag=True, help="Every environment of the manifest.")
@click.option(
    "--since",
    default="30d",
    show_default=True,
    help="Start of the window: a duration back from now (30d, 12h) or an ISO 8601 date (2026-11-01).",
)
@click.option("--until", help="End of the window (excluded), as --since. Default: now.")
@click.option(
    "--by",
    type=click.Choice(["day", "week"]),
    default="week",
    show_default=True,
    help="Periods of the table and of the CSV rows (UTC days; ISO weeks from Monday).",
)
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="A small table; JSON (keys in the README); CSV, one row per environment and period.",
)
@click.option(
    "--failures",
    help="What counts as a failed change, comma-separated from failed, rollback, forced "
    "(or 'none'). Default: the manifest's metrics.failures, else all three.",
)
@click.option(
    "--fix-window",
    help="A forced deployment this soon after another marks that one failed (a fix). "
    "Default: the manifest's metrics.fix_window, else 1d.",
)
@pass_tracker
def metrics(
    tracker: Tracker,
    environment_id: str | None,
    every: bool,
    since: str,
    until: str | None,
    by: str,
    output: str,
    failures: str | None,
    fix_window: str | None,
) -> None:
    """DORA's four keys for an environment, from the deployments the tracker recorded.

    ENVIRONMENT_ID defaults to the manifest's last environment (production,
    by convention); --all measures each one.

    \b
    - deployment frequency: deployments in the window, per day and per week;
    - lead time for changes: per changed image, from `tracker publish` to the
      deployment (median, p90), and from the commit when publish recorded it;
    - change failure rate: deployments followed by a failure (a failed
      outcome, a rollback, a forced fix within --fix-window) / deployments;
    - failed deployment recovery time: from the first of a run of failed
      deployments to the next one that did not fail (median).

    Reads the window's deployments as `history` does (no scan). The README's
    "Metrics" section states every rule.

    \b
    Examples:
      tracker metrics                       # prod, the last 30 days, by week
      tracker metrics stage --since 2026-11-01 --until 2026-12-01 --by day
      tracker metrics --all -o csv > dora.csv
    """
    result = tracker.metrics(
        environment_id,
        every=every,
        since=since,
        until=until,
        by=by,
        failures=failures,
        fix_window=fix_window,
    )
    found = [m.as_dict() for m in result]
    if output == "json":
        emit_json(found if every else found[0])
    elif output == "csv":
        write_csv(found)
    else:
        for measured, data in zip(result, found, strict=True):
            text(measured, data)


def write_csv(found: list[dict[str, Any]]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for env in found:
        for period in env["periods"]:
            writer.writerow(_csv_row(env["environment"], period))


def _csv_row(environment: str, period: dict[str, Any]) -> list[Any]:
    lead, commit = period["lead_time_seconds"], period["commit_lead_time_seconds"]
    failure, recovery = period["change_failure_rate"], period["recovery_time_seconds"]
    values = (
        environment,
        period["start"],
        period["end"],
        period["deployment_frequency"]["deployments"],
        period["deployment_frequency"]["per_day"],
        failure["failures"],
        failure["rate"],
        lead["changes"],
        lead["median"],
        lead["p90"],
        commit["median"],
        commit["p90"],
        recovery["incidents"],
        recovery["median"],
        recovery["unrecovered"],
    )
    return ["" if v is None else v for v in values]


def text(measured: EnvironmentMetrics, data: dict[str, Any]) -> None:
    from tracker.model.metrics import approx

    def span(block: dict[str, Any]) -> str:
        if block["median"] is None:
            return "none measured"
        return f"median {approx(block['median'])} · p90 {approx(block['p90'])}"

    freq, lead, commit = (
        data["deployment_frequency"],
        data["lead_time_seconds"],
        data["commit_lead_time_seconds"],
    )
    failure, recovery = data["change_failure_rate"], data["recovery_time_seconds"]
    click.echo(f"{data['environment']}: {data['since']} → {data['until']}, by {data['by']}")
    click.echo(
        f"  deployment frequency   {freq['deployments']} deployment{'s' * (freq['deployments'] != 1)}"
        + (f" · {freq['per_day']:g}/day · {freq['per_week']:g}/week" if freq["deployments"] else "")
    )
    click.echo(f"  lead time for changes  {span(lead)} ({lead['measured']} of {lead['changes']} changes)")
    click.echo(f"    from the commit      {span(commit)} ({commit['measured']} with a commit time)")
    rate = failure["rate"]
    shown = "none measured" if rate is None else f"{rate * 100:.1f}%"
    click.echo(
        f"  change failure rate    {shown} ({failure['failures']} of {failure['deployments']}; "
        f"counted: {measured.settings.describe()})"
    )
    unrecovered = f", {recovery['unrecovered']} not recovered yet" if recovery["unrecovered"] else ""
    median = "none measured" if recovery["median"] is None else f"median {approx(recovery['median'])}"
    click.echo(f"  recovery time          {median} ({recovery['incidents']} incidents{unrecovered})")
    if not data["periods"]:
        return
    click.echo(f"  {data['by']:<12}  deploys  failures  lead time  recovery")
    for period in data["periods"]:
        lead_p, rec = period["lead_time_seconds"]["median"], period["recovery_time_seconds"]["median"]
        lead_s, rec_s = (approx(v) if v is not None else "-" for v in (lead_p, rec))
        click.echo(
            f"  {period['start'][:10]:<12}  {period['deployment_frequency']['deployments']:>7}  "
            f"{period['change_failure_rate']['failures']:>8}  {lead_s:>9}  {rec_s:>8}"
        )
