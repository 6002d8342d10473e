"""Where a follow-up visit's record starts: the last signed visit of the course (its points with
their sides and per-point settings, its needling defaults, its other treatments), with the
changes the plan made since then merged in, and the difference, to be shown beside the points.

Pure functions on plain values (no Flask, no database); sessions.services reads the rows."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from ..clinical import acupoints

# Needling defaults carried from the last visit (the record's own columns).
DEFAULTS = ("style", "depth", "response_sought", "stimulation", "manual_technique",
            "retention_minutes", "needle_type", "setting")
# A first visit of a course: typical retention (STRICTA 3b; the practitioner changes it).
FIRST_VISIT_RETENTION = 20


@dataclass(frozen=True)
class Point:
    """A point as a plan or a record names it, with the record's per-point settings."""
    code: str | None
    location: str = ""
    side: str = "bilateral"
    depth: str = ""
    stimulation: str = ""
    retention_minutes: int | None = None

    def __post_init__(self) -> None:
        # A midline point is midline however the plan or the last visit stored it (rows saved
        # before the rule said "bilateral"): the start never brings bilateral back for it, and
        # such a row is not taken for a side the plan changed.
        object.__setattr__(self, "side", acupoints.side_for(self.code, self.side))

    @property
    def key(self) -> str:
        """The same point whatever its side: the WHO code, or the place as typed."""
        return self.code or " ".join(self.location.casefold().split())

    @property
    def label(self) -> str:
        return f"{self.code or self.location} {self.side}".strip()


@dataclass(frozen=True)
class Visit:
    """What the last signed visit recorded."""
    on: date
    points: list[Point]
    defaults: dict
    adjuncts: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Start:
    """The record's starting points, defaults and other treatments, and where each point came
    from: `last_on` is None when the record starts from the plan (a course's first visit)."""
    points: list[Point]
    defaults: dict
    adjuncts: list[dict]
    last_on: date | None = None
    carried: list[Point] = field(default_factory=list)   # from the last visit, as recorded
    added: list[Point] = field(default_factory=list)     # added to the plan since
    removed: list[Point] = field(default_factory=list)   # taken off the plan since
    resided: list[Point] = field(default_factory=list)   # side changed by the plan since (new)

    @property
    def from_last_visit(self) -> bool:
        return self.last_on is not None


def merge(last: Visit | None, plan_then: list[Point] | None, plan_now: list[Point],
          plan_style: str | None = None) -> Start:
    """The start of a visit's record.

    Without a signed visit of this course before it, the record starts from the plan (points,
    style) and a typical retention. Otherwise it starts from that visit: every point it recorded
    (a point the practitioner added or a side they changed is kept), except the points the plan
    dropped since; a side the plan changed since is taken; points the plan added since are
    appended. `plan_then` is the plan as it stood at that visit (None when unknown, e.g. a visit
    outside a plan or a plan without versions: then nothing counts as changed)."""
    if last is None:
        defaults = {"retention_minutes": FIRST_VISIT_RETENTION}
        if plan_style:
            defaults["style"] = plan_style
        return Start(points=[replace(p) for p in plan_now], defaults=defaults, adjuncts=[])
    then = {p.key: p for p in (plan_now if plan_then is None else plan_then)}
    now = {p.key: p for p in plan_now}
    dropped = then.keys() - now.keys()
    sided = {k: now[k].side for k in then.keys() & now.keys() if then[k].side != now[k].side}
    points: list[Point] = []
    carried, removed, resided, added = [], [], [], []
    seen: set[tuple[str, str]] = set()

    def keep(point: Point) -> bool:
        if (point.key, point.side) in seen:
            return False
        seen.add((point.key, point.side))
        points.append(point)
        return True

    for point in last.points:
        if point.key in dropped:
            removed.append(point)
        elif point.key in sided and point.side != sided[point.key]:
            moved = replace(point, side=sided[point.key])
            if keep(moved):
                resided.append(moved)
        elif keep(point):
            carried.append(point)
    had = {p.key for p in last.points}
    for point in plan_now:
        if point.key not in then and point.key not in had and keep(replace(point)):
            added.append(point)
    return Start(points=points, defaults={k: last.defaults.get(k) for k in DEFAULTS
                                          if k in last.defaults},
                 adjuncts=[dict(a) for a in last.adjuncts], last_on=last.on, carried=carried,
                 added=added, removed=removed, resided=resided)
