"""Charts drawn on the server as SVG: no script, so they print, embed in the PDF and pass the CSP.

Colours are presentation attributes (WeasyPrint and printers see them without CSS); classes let
the page stylesheet restyle them. Every chart carries a title and description; the page shows the
same numbers as a table."""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from ..clinical.outcome_rule import percent_text
from ..clinical.outcomes import SessionPain

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 44
BEFORE, AFTER, BASELINE, TARGET, REEVAL = "#1f5f8b", "#c0612b", "#555555", "#2e7d4f", "#8a6bb0"
CHECKIN = "#6b4f1d"


def _fmt(value: float) -> str:
    return f"{value:g}"


def pain_chart(sessions: Sequence[SessionPain], baseline: float | None, target: float | None,
               chart_id: str = "pain-chart", compact: bool = False,
               checkins: Sequence[tuple[int, float]] = ()) -> Markup:
    """Pain (NRS 0-10) before and after each session, with baseline, goal and re-evaluations;
    `checkins` are weekly check-ins' average pain, each with how many sessions came before it,
    drawn as diamonds between those sessions.

    `compact` (the PDF) draws the same marks as one path per kind instead of one element per
    session: WeasyPrint parses and draws each SVG node in Python, which made a 300-session
    chart most of the PDF's time. The page keeps one element per point (data attributes)."""
    n = len(sessions)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return round(LEFT + (plot_w * (i + 0.5) / n if n else plot_w / 2), 1)

    def y(v: float) -> float:
        return round(TOP + plot_h * (1 - v / 10), 1)

    desc = describe(sessions, baseline, target, checkins)
    out = [f'<svg class="chart pain-chart" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT}" '
           f'width="100%" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
           f'xmlns="http://www.w3.org/2000/svg" font-family="DejaVu Sans, sans-serif" '
           f'font-size="11">',
           f'<title id="{chart_id}-t">Pain before and after each session (0-10)</title>',
           f'<desc id="{chart_id}-d">{escape(desc)}</desc>']
    for v in range(0, 11, 2):
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(v)}" '
                   f'y2="{y(v)}" stroke="#e3e7eb" stroke-width="1"/>'
                   f'<text class="axis" x="{LEFT - 6}" y="{y(v) + 4}" text-anchor="end" '
                   f'fill="#444">{v}</text>')
    step = max(1, n // 12)  # keep session numbers legible with 100 sessions
    if compact:
        marks = "".join(f"M{x(i)},{TOP}V{TOP + plot_h}" for i, s in enumerate(sessions)
                        if s.reevaluation)
        if marks:
            out.append(f'<path class="reeval" d="{marks}" stroke="{REEVAL}" stroke-width="1.5" '
                       f'stroke-dasharray="2 3" fill="none"/>')
    for i, s in enumerate(sessions):
        if s.reevaluation and not compact:
            out.append(f'<line class="reeval" data-session="{s.number}" x1="{x(i)}" x2="{x(i)}" '
                       f'y1="{TOP}" y2="{TOP + plot_h}" stroke="{REEVAL}" stroke-width="1.5" '
                       f'stroke-dasharray="2 3"/>')
        if i % step == 0 or i == n - 1:
            out.append(f'<text class="axis" x="{x(i)}" y="{TOP + plot_h + 16}" '
                       f'text-anchor="middle" fill="#444">{escape(s.number or i + 1)}</text>')
    out.append(f'<text class="axis-title" x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" '
               f'text-anchor="middle" fill="#444">Session</text>')
    if baseline is not None:
        out.append(f'<line class="baseline" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(baseline)}" '
                   f'y2="{y(baseline)}" stroke="{BASELINE}" stroke-width="1.5" '
                   f'stroke-dasharray="6 4"/><text class="label" x="{WIDTH - RIGHT}" '
                   f'y="{y(baseline) - 4}" text-anchor="end" fill="{BASELINE}">'
                   f'Baseline {_fmt(baseline)}</text>')
    if target is not None:
        out.append(f'<line class="target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(target)}" '
                   f'y2="{y(target)}" stroke="{TARGET}" stroke-width="1.5" '
                   f'stroke-dasharray="1 3"/><text class="label" x="{LEFT + 4}" '
                   f'y="{y(target) - 4}" fill="{TARGET}">Goal {_fmt(target)}</text>')
    for series, colour, cls in (("before", BEFORE, "before"), ("after", AFTER, "after")):
        pts = [(x(i), y(getattr(s, series))) for i, s in enumerate(sessions)
               if getattr(s, series) is not None]
        if len(pts) > 1:
            path = " ".join(f"{px},{py}" for px, py in pts)
            out.append(f'<polyline class="series-{cls}" points="{path}" fill="none" '
                       f'stroke="{colour}" stroke-width="2"/>')
        radius = 3.5 if n <= 30 else 2
        if compact:  # each point a round-capped dot, all in one path (arcs parse slowly);
            # none once dots would overlap (over ~100 sessions): the line alone shows them
            dots = "".join(f"M{px},{py}h0.01" for px, py in pts) if pts and \
                plot_w / n >= 3 * radius else ""
            if dots:
                out.append(f'<path class="points-{cls}" d="{dots}" fill="none" '
                           f'stroke="{colour}" stroke-width="{2 * radius + 1.5}" '
                           f'stroke-linecap="round"/>')
                if series == "after":  # hollow: a white dot inside the coloured one
                    out.append(f'<path class="points-{cls}-inner" d="{dots}" fill="none" '
                               f'stroke="#ffffff" stroke-width="{2 * radius - 1.5}" '
                               f'stroke-linecap="round"/>')
            continue
        for i, s in enumerate(sessions):
            value = getattr(s, series)
            if value is None:
                continue
            fill = colour if series == "before" else "#ffffff"
            out.append(f'<circle class="point-{cls}" data-session="{s.number}" '
                       f'data-value="{_fmt(value)}" cx="{x(i)}" cy="{y(value)}" r="{radius}" '
                       f'fill="{fill}" stroke="{colour}" stroke-width="1.5"/>')
    between: dict[int, list[float]] = {}
    for after, value in checkins:
        between.setdefault(after, []).append(value)
    for after, values in between.items():
        for k, value in enumerate(values):  # spread evenly between the two sessions
            pos = after - 1 + (k + 1) / (len(values) + 1)
            cx = round(min(max(LEFT + (plot_w * (pos + 0.5) / n if n else plot_w / 2), LEFT),
                           WIDTH - RIGHT), 1)
            cy = y(value)
            out.append(f'<path class="point-checkin" data-after-session="{after}" '
                       f'data-value="{_fmt(value)}" d="M{cx},{cy - 5}l5,5l-5,5l-5,-5z" '
                       f'fill="{CHECKIN}" stroke="{CHECKIN}"/>')
    if not n:
        out.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="#444">'
                   f'No sessions recorded yet</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704  (every value above is a number or escaped)


def describe(sessions: Sequence[SessionPain], baseline: float | None,
             target: float | None, checkins: Sequence[tuple[int, float]] = ()) -> str:
    """The chart in one sentence, for screen readers and the PDF's text layer."""
    parts = [f"{len(sessions)} sessions."]
    if baseline is not None:
        parts.append(f"Baseline pain {_fmt(baseline)}.")
    befores = [s.before for s in sessions if s.before is not None]
    if befores:
        parts.append(f"Pain before needling went from {_fmt(befores[0])} at the first session "
                     f"to {_fmt(befores[-1])} at the latest.")
    if target is not None:
        parts.append(f"Goal {_fmt(target)}.")
    reevals = [str(s.number) for s in sessions if s.reevaluation and s.number]
    if reevals:
        parts.append(f"Re-evaluations at sessions {', '.join(reevals)}.")
    if checkins:
        parts.append("Average pain at weekly check-ins: "
                     f"{', '.join(_fmt(value) for _, value in checkins)}.")
    return " ".join(parts)


def bar_chart(bars: Sequence[tuple[str, float | None, str]], title: str,
              chart_id: str = "bar-chart") -> Markup:
    """Horizontal bars of percentages (label, percent or None, caption such as '4 of 9')."""
    row_h, left, width = 34, 150, 560
    height = row_h * len(bars) + 30
    plot_w = width - left - 60
    desc = "; ".join(f"{label}: {'no data' if pct is None else percent_text(pct)} ({caption})"
                     for label, pct, caption in bars)
    out = [f'<svg class="chart bar-chart" id="{chart_id}" viewBox="0 0 {width} {height}" '
           f'width="100%" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
           f'xmlns="http://www.w3.org/2000/svg" font-family="DejaVu Sans, sans-serif" '
           f'font-size="12">', f'<title id="{chart_id}-t">{escape(title)}</title>',
           f'<desc id="{chart_id}-d">{escape(desc)}</desc>']
    for i, (label, pct, _caption) in enumerate(bars):
        top = 10 + i * row_h
        out.append(f'<text x="{left - 8}" y="{top + 17}" text-anchor="end" fill="#222">'
                   f'{escape(label)}</text>')
        out.append(f'<rect class="track" x="{left}" y="{top + 4}" width="{plot_w}" height="18" '
                   f'fill="#eef2f5"/>')
        if pct is not None:
            w = round(plot_w * min(max(pct, 0), 100) / 100, 1)
            out.append(f'<rect class="bar" data-value="{pct:g}" x="{left}" y="{top + 4}" '
                       f'width="{w}" height="18" fill="{BEFORE}"/>')
        text = "no data" if pct is None else percent_text(pct)  # as the table beside it
        out.append(f'<text x="{left + plot_w + 6}" y="{top + 17}" fill="#222">'
                   f'{escape(text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704  (every value above is a number or escaped)


def progress_chart(values: Sequence[tuple[str, float]], maximum: float, title: str,
                   chart_id: str = "progress-chart") -> Markup:
    """A patient's own measure over time for their page: one dot per answer (labelled with its
    date), joined by a line; 0 at the bottom, `maximum` at the top, whole-number ticks for a
    whole-number maximum. Narrow enough for a phone."""
    width, height, left, right, top, bottom = 340, 180, 28, 10, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(values)

    def x(i: int) -> float:
        return round(left + (plot_w * (i + 0.5) / n if n else plot_w / 2), 1)

    def y(v: float) -> float:
        return round(top + plot_h * (1 - v / maximum), 1) if maximum else top + plot_h

    desc = "; ".join(f"{label}: {_fmt(v)} out of {_fmt(maximum)}" for label, v in values)
    out = [f'<svg class="chart progress-chart" id="{chart_id}" viewBox="0 0 {width} {height}" '
           f'width="100%" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
           f'xmlns="http://www.w3.org/2000/svg" font-family="DejaVu Sans, sans-serif" '
           f'font-size="11">', f'<title id="{chart_id}-t">{escape(title)}</title>',
           f'<desc id="{chart_id}-d">{escape(desc)}</desc>']
    # A scale of whole numbers (days, points) is labelled in whole numbers: 0, 3, 7 for days.
    middle = maximum // 2 if float(maximum).is_integer() else maximum / 2
    for v in (0, middle, maximum):
        out.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(v)}" '
                   f'y2="{y(v)}" stroke="#e3e7eb" stroke-width="1"/>'
                   f'<text class="axis" x="{left - 4}" y="{y(v) + 4}" text-anchor="end" '
                   f'fill="#444">{_fmt(round(v, 1))}</text>')
    if n > 1:
        path = " ".join(f"{x(i)},{y(v)}" for i, (_, v) in enumerate(values))
        out.append(f'<polyline points="{path}" fill="none" stroke="{BEFORE}" stroke-width="2"/>')
    step = max(1, n // 5)
    for i, (label, v) in enumerate(values):
        out.append(f'<circle class="point-progress" data-value="{_fmt(v)}" cx="{x(i)}" '
                   f'cy="{y(v)}" r="4" fill="{BEFORE}"/>')
        if i % step == 0 or i == n - 1:
            out.append(f'<text class="axis" x="{x(i)}" y="{height - 12}" text-anchor="middle" '
                       f'fill="#444">{escape(label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704  (every value above is a number or escaped)
