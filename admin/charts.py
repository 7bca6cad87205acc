"""Server-rendered SVG charts for the dashboard: no script, no network fetch, crisp at any size.

Two shapes: a daily line of a rate (gaps where nothing was measured) and daily bars of a
count. Every point carries a <title> so hovering shows the day and the exact figures.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 420, 170
LEFT, RIGHT, TOP, BOTTOM = 42, 10, 12, 26
FONT = 12
GRID = "#e9ecef"
INK = "#6c757d"
PALETTE = {"blue": "#2563eb", "green": "#059669", "amber": "#d97706", "slate": "#475569"}


@dataclass(frozen=True, slots=True)
class Point:
    """One day: a value (None = not measured) and the tooltip text."""

    day: dt.date
    value: float | None
    tip: str = ""


def _empty_note(text: str, height: float) -> str:
    """The centred grey line a chart shows instead of marks it does not have."""
    return (
        f'<text x="{WIDTH / 2}" y="{height / 2}" text-anchor="middle" font-size="13" '
        f'fill="{INK}">{escape(text)}</text>'
    )


def _nice_ceiling(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value:
            return float(candidate)
    return float(10 ** (exponent + 1))


def _x(i: int, n: int) -> float:
    inner = WIDTH - LEFT - RIGHT
    return LEFT + (inner * i / (n - 1) if n > 1 else inner / 2)


def _y(value: float, top: float) -> float:
    inner = HEIGHT - TOP - BOTTOM
    return TOP + inner * (1 - value / top)


def _frame(
    title: str,
    ticks: Sequence[tuple[float, str]],
    top: float,
    days: list[dt.date],
    xpos: Callable[[int, int], float] | None = None,
) -> str:
    xpos = xpos or _x
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for value, label in ticks:
        y = _y(value, top)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="{FONT}" '
            f'fill="{INK}">{escape(label)}</text>'
        )
    n = len(days)
    step = max(1, math.ceil(n / 6))
    for i in range(n - 1, -1, -step):  # counted back from today, which is always labelled
        anchor = "end" if i == n - 1 else "start" if i == 0 else "middle"
        parts.append(
            f'<text x="{xpos(i, n):.1f}" y="{HEIGHT - 7}" text-anchor="{anchor}" '
            f'font-size="{FONT}" fill="{INK}">{days[i]:%b %d}</text>'
        )
    return "".join(parts)


def _count_top(value: float) -> float:
    """A count axis: four whole-number steps (0, 1, 2, 3, 4 at the least)."""
    return 4 * max(1.0, _nice_ceiling(value / 4))


def _ticks(top: float, percent: bool) -> list[tuple[float, str]]:
    values = [top * i / 4 for i in range(5)]
    if percent:
        digits = 0 if top >= 0.2 else 1 if top >= 0.02 else 2
        return [(v, f"{v * 100:.{digits}f}%") for v in values]
    return [(v, f"{v:,.0f}") for v in values]


def line_chart(
    title: str, points: Sequence[Point], *, color: str = "blue", percent: bool = True
) -> Markup:
    """A daily line with a soft area under it; days without a value break the line."""
    days = [p.day for p in points]
    measured = [p.value for p in points if p.value is not None]
    top = (
        1.0
        if percent and measured and max(measured) > 0.5
        else _nice_ceiling(max(measured, default=0))
    )
    stroke = PALETTE.get(color, color)
    svg = [_frame(title, _ticks(top, percent), top, days)]
    n = len(points)
    runs: list[list[tuple[float, float]]] = [[]]
    for i, p in enumerate(points):
        if p.value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((_x(i, n), _y(p.value, top)))
    base = _y(0, top)
    for run in (r for r in runs if r):
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
        if len(run) > 1:
            area = f"{run[0][0]:.1f},{base:.1f} {coords} {run[-1][0]:.1f},{base:.1f}"
            svg.append(f'<polygon points="{area}" fill="{stroke}" fill-opacity="0.08"/>')
            svg.append(
                f'<polyline points="{coords}" fill="none" stroke="{stroke}" stroke-width="2.2" '
                'stroke-linejoin="round" stroke-linecap="round"/>'
            )
    for i, p in enumerate(points):
        if p.value is None:
            continue
        svg.append(
            f'<circle cx="{_x(i, n):.1f}" cy="{_y(p.value, top):.1f}" r="3" fill="#fff" '
            f'stroke="{stroke}" stroke-width="1.6"><title>{escape(p.tip)}</title></circle>'
        )
    if not measured:
        svg.append(_empty_note("No data in this period yet", HEIGHT))
    svg.append("</svg>")
    return Markup("".join(svg))  # noqa: S704 - every interpolated text is escaped above


def bar_chart(title: str, points: Sequence[Point], *, color: str = "slate") -> Markup:
    """Daily bars of a count."""
    days = [p.day for p in points]
    top = _count_top(max((p.value or 0 for p in points), default=0))
    fill = PALETTE.get(color, color)
    n = len(points)
    slot = (WIDTH - LEFT - RIGHT) / max(n, 1)

    def center(i: int, _n: int) -> float:
        return LEFT + slot * (i + 0.5)

    svg = [_frame(title, _ticks(top, percent=False), top, days, center)]
    width = max(2.0, slot * 0.7)
    base = _y(0, top)
    for i, p in enumerate(points):
        value = p.value or 0
        if value <= 0:
            continue
        x = LEFT + slot * i + (slot - width) / 2
        y = _y(value, top)
        svg.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{base - y:.1f}" '
            f'rx="2" fill="{fill}"><title>{escape(p.tip)}</title></rect>'
        )
    if not any((p.value or 0) > 0 for p in points):
        svg.append(_empty_note("Nothing in this period yet", HEIGHT))
    svg.append("</svg>")
    return Markup("".join(svg))  # noqa: S704 - every interpolated text is escaped above


def phase_chart(title: str, phases: Sequence[tuple[str, float]], *, color: str = "slate") -> Markup:
    """Horizontal bars of seconds per named phase (where an import spent its time), widest
    scale = the slowest phase; each bar says its seconds and share of the total."""
    rows = [(str(name), max(0.0, float(seconds))) for name, seconds in phases]
    total = sum(seconds for _, seconds in rows)
    top = _nice_ceiling(max((seconds for _, seconds in rows), default=0.0))
    label_w, row_h, pad = 150, 22, 6
    height = TOP + FONT + pad + row_h * max(len(rows), 1) + pad
    fill = PALETTE.get(color, color)
    inner = WIDTH - label_w - RIGHT - 60
    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'class="chart" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        f'<text x="0" y="{TOP}" font-size="{FONT + 1}" font-weight="600" fill="#212529">'
        f"{escape(title)}</text>"
    ]
    for i, (name, seconds) in enumerate(rows):
        y = TOP + FONT + pad + row_h * i
        width = inner * seconds / top if top else 0.0
        share = seconds / total if total else 0.0
        tip = f"{name}: {seconds:.1f} s ({share:.0%} of {total:.1f} s)"
        svg.append(
            f"<g><title>{escape(tip)}</title>"
            f'<text x="{label_w - 6}" y="{y + row_h * 0.65:.1f}" text-anchor="end" '
            f'font-size="{FONT}" fill="{INK}">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{max(width, 1.0):.1f}" '
            f'height="{row_h - 8}" rx="2" fill="{fill}"/>'
            f'<text x="{label_w + max(width, 1.0) + 4:.1f}" y="{y + row_h * 0.65:.1f}" '
            f'font-size="{FONT}" fill="{INK}">{seconds:.1f} s</text></g>'
        )
    if not rows:
        svg.append(_empty_note("Not measured", height))
    svg.append("</svg>")
    return Markup("".join(svg))  # noqa: S704 - every interpolated text is escaped above
