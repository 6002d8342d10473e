"""The time-to-first-response curve (Kaplan-Meier) as server-side SVG, in the manner of
chart.py: no script, a title and description, and the page shows the same numbers as a table."""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from ..clinical.outcome_rule import percent_text
from .chart import BEFORE, REEVAL

WIDTH, HEIGHT = 480, 260
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 16, 48


def step_chart(points: Sequence[tuple[int, float]], within: int, title: str,
               chart_id: str = "step-chart") -> Markup:
    """A rising step line of (visit, cumulative percent) from 0 at visit 0, with a dashed mark
    at visit `within`."""
    last = max([within, *(t for t, _ in points)]) if points or within else 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return round(LEFT + plot_w * t / last, 1)

    def y(pct: float) -> float:
        return round(TOP + plot_h * (1 - pct / 100), 1)

    desc = ("; ".join(f"by visit {t}: {percent_text(pct)}" for t, pct in points)
            or "No courses yet.")
    out = [f'<svg class="chart step-chart" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT}" '
           f'width="100%" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
           f'xmlns="http://www.w3.org/2000/svg" font-family="DejaVu Sans, sans-serif" '
           f'font-size="15">', f'<title id="{chart_id}-t">{escape(title)}</title>',
           f'<desc id="{chart_id}-d">{escape(desc)}</desc>']
    for pct in range(0, 101, 25):
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(pct)}" '
                   f'y2="{y(pct)}" stroke="#e3e7eb" stroke-width="1"/>'
                   f'<text class="axis" x="{LEFT - 6}" y="{y(pct) + 4}" text-anchor="end" '
                   f'fill="#444">{pct} %</text>')
    step = max(1, last // 10)
    for t in range(0, last + 1, step):
        out.append(f'<text class="axis" x="{x(t)}" y="{TOP + plot_h + 18}" '
                   f'text-anchor="middle" fill="#444">{t}</text>')
    out.append(f'<text class="axis-title" x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" '
               f'text-anchor="middle" fill="#444">Visit</text>')
    out.append(f'<line class="within" x1="{x(within)}" x2="{x(within)}" y1="{TOP}" '
               f'y2="{TOP + plot_h}" stroke="{REEVAL}" stroke-width="1.5" '
               f'stroke-dasharray="4 3"/>')
    path, level = [f"M{x(0)},{y(0)}"], 0.0
    for t, pct in points:
        path.append(f"H{x(t)}V{y(pct)}")
        level = pct
    path.append(f"H{x(last)}")
    out.append(f'<path class="km" data-final="{level:g}" d="{"".join(path)}" fill="none" '
               f'stroke="{BEFORE}" stroke-width="2"/>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704  (every value above is a number or escaped)
