"""Kaplan–Meier survival of placements: the share still in post after t days.

A placement made last month cannot say whether its candidate will still be there at a
year; counting it as "stayed" flatters the figure and leaving it out biases it towards
old placements. Kaplan–Meier uses each placement for as long as it has been watched
(it is *censored* today, or when its contract ended) and no longer.

Time is whole calendar days from the start date. A placement that ended on day T was
in post at every t < T, so "in post at 30 days" means T > 30. At a day where some left
and others were last seen, those leaving count first (the usual convention): someone
last seen on day t was still in post on day t.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

HORIZONS = (30, 90, 180, 365)
# Follow-up beyond the last horizon changes nothing: durations are capped here as censored.
CAP = max(HORIZONS) + 1


@dataclass(frozen=True)
class Step:
    day: int
    at_risk: int
    left: int
    survival: float  # just after `day`


@dataclass
class Curve:
    steps: list[Step]
    placements: int
    left: int  # placements that ended within the first CAP days
    longest: int  # the longest time any placement has been watched (capped)
    watched: dict[int, int]  # days watched -> placements

    def at(self, day: int) -> float | None:
        """The share still in post after `day` days, or None when too recent to know."""
        if self.placements == 0:
            return None
        survival = 1.0
        for step in self.steps:
            if step.day > day:
                break
            survival = step.survival
        if survival == 0.0:
            return 0.0
        return survival if self.longest >= day else None

    def at_risk(self, day: int) -> int:
        """Placements watched for at least `day` days: what the figure at `day` rests on."""
        return sum(n for watched, n in self.watched.items() if watched >= day)


def kaplan_meier(observations: Iterable[tuple[int, bool, int]]) -> Curve:
    """The curve from (days, ended, how many) triples; days are capped at CAP."""
    left_at: dict[int, int] = defaultdict(int)
    seen_until: dict[int, int] = defaultdict(int)  # every observation, event or not
    total = 0
    longest = 0
    left_total = 0
    for days, ended, count in observations:
        if count <= 0:
            continue
        days = max(0, days)
        if days >= CAP:
            days, ended = CAP, False
        total += count
        seen_until[days] += count
        longest = max(longest, days)
        if ended:
            left_at[days] += count
            left_total += count
    steps: list[Step] = []
    at_risk = total
    survival = 1.0
    for day in sorted(seen_until):
        left = left_at.get(day, 0)
        if left:
            survival *= 1 - left / at_risk
            steps.append(Step(day=day, at_risk=at_risk, left=left, survival=survival))
        at_risk -= seen_until[day]
    return Curve(
        steps=steps, placements=total, left=left_total, longest=longest, watched=dict(seen_until)
    )
