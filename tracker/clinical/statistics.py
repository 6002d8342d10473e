"""Small statistics for the outcomes dashboard, as plain functions on counts (no Flask, no
database): the Wilson score interval for a proportion and the Kaplan-Meier product-limit
estimate from grouped event and censoring counts.

Sources: Wilson EB (1927) J Am Stat Assoc 22:209; Newcombe RG (1998) Stat Med 17:857 (method 3,
without continuity correction, and its worked examples); Kaplan EL, Meier P (1958) J Am Stat
Assoc 53:457 (events at a time counted before the censorings at that time)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from math import sqrt

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile


def wilson(successes: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval (lower, upper) for `successes` of `total`; None when total is
    0. Unlike the normal approximation it stays inside 0-1 and is sound for small counts."""
    if total <= 0:
        return None
    if not 0 <= successes <= total:
        raise ValueError("successes must lie between 0 and total")
    p = successes / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = z * sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Step:
    """The curve at one time with an event: how many were at risk, how many had the event,
    how many were censored there, and the share still without the event after it."""
    time: int
    at_risk: int
    events: int
    censored: int
    survival: float

    @property
    def cumulative(self) -> float:
        """The share that had the event by this time (1 - survival)."""
        return 1 - self.survival


def kaplan_meier(groups: Iterable[tuple[int, int, int]]) -> list[Step]:
    """Product-limit estimate from (time, events, censored) counts, one or more per time (they
    are summed). At a time with both, the events come first, so a course censored at visit 4
    was at risk of responding at visit 4. Returns one Step per time with an event or a
    censoring, in time order; survival only drops at events."""
    by_time: dict[int, list[int]] = {}
    for time, events, censored in groups:
        counts = by_time.setdefault(int(time), [0, 0])
        counts[0] += int(events)
        counts[1] += int(censored)
    at_risk = sum(e + c for e, c in by_time.values())
    survival = 1.0
    steps = []
    for time in sorted(by_time):
        events, censored = by_time[time]
        if events:
            survival *= 1 - events / at_risk
        steps.append(Step(time, at_risk, events, censored, survival))
        at_risk -= events + censored
    return steps


def survival_at(steps: list[Step], time: int) -> float:
    """The estimate at `time`: the last step at or before it (1 before the first)."""
    found = 1.0
    for step in steps:
        if step.time > time:
            break
        found = step.survival
    return found
