"""The level function: documented thresholds, and its two properties (hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.charter.levels import Scored, compute_levels, level_of
from app.charter.models import Answer

ORDER = [Answer.NO, Answer.PARTLY, Answer.YES]
items = st.lists(
    st.tuples(st.sampled_from(["libre", "donnees", "env"]), st.integers(1, 3), st.sampled_from(list(Answer))),
    min_size=1,
    max_size=25,
)


def _levels(rows):
    return compute_levels(Scored(theme=t, weight=w, answer=a) for t, w, a in rows)


def test_thresholds_and_no_level():
    assert level_of(0, 0) == 0  # nothing applicable: no level
    assert level_of(2 * 9, 10) == 5  # 90 %
    assert level_of(2 * 9 - 1, 10) == 4
    assert level_of(2 * 3, 10) == 1  # 30 %
    assert level_of(2 * 3 - 1, 10) == 0
    rows = [("libre", 1, Answer.YES), ("libre", 1, Answer.PARTLY), ("donnees", 2, Answer.NO)]
    # libre: 1.5 of 2 = 75 % -> 4; données: 0 -> 0; overall: 1.5 of 4 = 37.5 % -> 1
    assert _levels(rows) == (1, {"libre": 4, "donnees": 0})


@given(items, st.data())
def test_meeting_more_never_lowers_a_level(rows, data):
    index = data.draw(st.integers(0, len(rows) - 1))
    theme, weight, answer = rows[index]
    if answer == Answer.NOT_APPLICABLE or answer == Answer.YES:
        return
    better = ORDER[ORDER.index(answer) + 1]
    improved = [*rows[:index], (theme, weight, better), *rows[index + 1 :]]
    before, after = _levels(rows), _levels(improved)
    assert after[0] >= before[0]
    assert all(after[1][t] >= before[1][t] for t in before[1])


@given(items, st.data())
def test_not_applicable_never_counts_against(rows, data):
    index = data.draw(st.integers(0, len(rows) - 1))
    theme, weight, _answer = rows[index]
    as_no = [*rows[:index], (theme, weight, Answer.NO), *rows[index + 1 :]]
    as_na = [*rows[:index], (theme, weight, Answer.NOT_APPLICABLE), *rows[index + 1 :]]
    no, na = _levels(as_no), _levels(as_na)
    assert na[0] >= no[0]
    assert all(na[1][t] >= no[1][t] for t in no[1])


@given(items)
def test_levels_stay_between_0_and_5(rows):
    overall, themes = _levels(rows)
    assert 0 <= overall <= 5 and all(0 <= v <= 5 for v in themes.values())
