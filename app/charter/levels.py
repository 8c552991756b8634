"""The label level, from the answers of an assessment: one pure function, `compute_levels`.

How it counts, for the whole assessment and for each theme separately:
- each answered criterion weighs its weight (1 to 3) in the version assessed;
- "yes" earns its whole weight, "partly" half of it, "no" nothing;
- "not applicable" is left out of the count entirely (neither earned nor possible): it never counts
  against the subject;
- the share earned is `earned / possible`, and the level is the highest whose threshold the share reaches:

      level 5: 90 %   level 4: 75 %   level 3: 60 %   level 2: 45 %   level 1: 30 %

  below 30 %, or when nothing is applicable, the level is 0 (no level: no label can be granted).

The arithmetic is exact (integers, in half-weights), so a share exactly on a threshold reaches it.
Two properties follow, and tests/charter/test_levels.py checks them: meeting more of a criterion
never lowers a level, and answering "not applicable" instead of "no" never lowers it either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.charter.models import Answer

#: (level, minimum share in percent), highest first
THRESHOLDS: tuple[tuple[int, int], ...] = ((5, 90), (4, 75), (3, 60), (2, 45), (1, 30))
#: what each answer earns, in half-weights (None: left out)
HALVES: dict[Answer, int | None] = {Answer.YES: 2, Answer.PARTLY: 1, Answer.NO: 0, Answer.NOT_APPLICABLE: None}


@dataclass(frozen=True)
class Scored:
    """One answered criterion, as the level function sees it."""

    theme: str  # the theme's code
    weight: int
    answer: Answer


def level_of(earned_halves: int, possible_weight: int) -> int:
    """The level for `earned_halves` half-weights out of `possible_weight` applicable weight."""
    if possible_weight <= 0:
        return 0
    for level, percent in THRESHOLDS:
        if 100 * earned_halves >= percent * 2 * possible_weight:
            return level
    return 0


def compute_levels(answers: Iterable[Scored]) -> tuple[int, dict[str, int]]:
    """(overall level, {theme code: level}) for these answers; see the module's docstring."""
    earned: dict[str, int] = {}
    possible: dict[str, int] = {}
    for item in answers:
        halves = HALVES[Answer(item.answer)]
        earned.setdefault(item.theme, 0)
        possible.setdefault(item.theme, 0)
        if halves is None:
            continue
        weight = max(int(item.weight), 0)
        earned[item.theme] += halves * weight
        possible[item.theme] += weight
    overall = level_of(sum(earned.values()), sum(possible.values()))
    return overall, {theme: level_of(earned[theme], possible[theme]) for theme in earned}
