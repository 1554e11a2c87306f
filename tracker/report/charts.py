"""The report's two small charts per environment, inline SVG drawn here (no script, no library).

Deployments per week as bars, and the median lead time for changes per week
as a line through the weeks that have one. Every environment's charts share
one scale (the caller passes the tallest value), so rows compare at a glance;
the numbers are in each mark's ``<title>`` (hover) and in the chart's
``aria-label``. Colours come from the page's meanings: the ``k-deploy`` and
``k-lead`` classes.
"""

from __future__ import annotations

import html
from typing import Any

from tracker.model.metrics import approx
from tracker.report import plural

# Each chart: its size, and the plotted band between the counts above and the week dates below (px).
WIDTH, HEIGHT, TOP, BOTTOM = 210, 76, 14, 60


def _x(index: int, count: int) -> float:
    """The centre of week ``index`` of ``count`` across a chart."""
    return (index + 0.5) * WIDTH / count


def _y(value: float, top: float) -> float:
    return BOTTOM - (BOTTOM - TOP) * value / top if top else BOTTOM


def _svg(meaning: str, label: str, title: str, body: str) -> str:
    """An inline chart: described for screen readers (its numbers too), titled on hover, in its colour."""
    e = html.escape
    return (
        f'<svg class="chart k-{meaning}" role="img" aria-label="{e(label)}" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}"><title>{e(title)}</title>{body}</svg>'
    )


def _axis(periods: list[dict[str, Any]]) -> str:
    """The base line, and the first and last weeks' start dates under it."""
    first, last = periods[0]["start"][:10], periods[-1]["start"][:10]
    dates = f'<text x="0" y="{HEIGHT - 2}">{first}</text>'
    if len(periods) > 1:
        dates += f'<text x="{WIDTH}" y="{HEIGHT - 2}" text-anchor="end">{last}</text>'
    return f'<line class="base" x1="0" y1="{BOTTOM}" x2="{WIDTH}" y2="{BOTTOM}"/>{dates}'


def bars(name: str, periods: list[dict[str, Any]], top: int) -> str:
    """Deployments per week: a bar each (its count above it and in its title), on the shared scale."""
    slot, parts, counts = WIDTH / len(periods), [], []
    for index, period in enumerate(periods):
        count = period["deployment_frequency"]["deployments"]
        counts.append(str(count))
        y, x = _y(count, top), _x(index, len(periods))
        parts.append(
            f'<rect class="bar" x="{x - slot * 0.3:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}" '
            f'height="{BOTTOM - y:.1f}"><title>week from {period["start"][:10]}: '
            f"{plural(count, 'deployment')}</title></rect>"
        )
        if count:
            parts.append(f'<text class="n" x="{x:.1f}" y="{y - 3:.1f}" text-anchor="middle">{count}</text>')
    label = f"{name}: deployments per week from {periods[0]['start'][:10]}: {', '.join(counts)}"
    return _svg("deploy", label, "Deployments per week", "".join(parts) + _axis(periods))


def trend(name: str, periods: list[dict[str, Any]], top: float) -> str:
    """Median lead time per week: a line through the weeks that have one (the others are skipped)."""
    points, medians = [], []
    for index, period in enumerate(periods):
        lead = period["lead_time_seconds"]
        medians.append("none" if lead["median"] is None else approx(lead["median"]))
        if lead["median"] is not None:
            points.append((_x(index, len(periods)), _y(lead["median"], top), period, lead))
    if not points:
        return '<p class="note">no lead time measured</p>'
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
    dots = "".join(
        f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="3"><title>week from {p["start"][:10]}: '
        f"median {approx(lead['median'])} ({plural(lead['measured'], 'change')})</title></circle>"
        for x, y, p, lead in points
    )
    scale = f'<line class="base" x1="0" y1="{TOP}" x2="{WIDTH}" y2="{TOP}" stroke-dasharray="2 3"/>'
    scale += f'<text x="0" y="{TOP - 3}">{approx(top)}</text>'
    label = (
        f"{name}: median lead time for changes per week from {periods[0]['start'][:10]}: {', '.join(medians)}"
    )
    body = f'{scale}<polyline class="trend" points="{line}"/>{dots}{_axis(periods)}'
    return _svg("lead", label, "Lead time for changes, median per week", body)
