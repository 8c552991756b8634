"""Fixtures of the matching tests (the helpers live in ``matching_helpers.py``)."""

from __future__ import annotations

import pytest

from matching.synthetic import SKILL_LABELS


@pytest.fixture
def skill_labels():
    return dict(SKILL_LABELS)
