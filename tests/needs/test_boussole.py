"""The boussole: a decision tree in data, at most six questions, answers → need draft."""

from __future__ import annotations

import pytest

from app.directory.skills import valid_codes
from app.needs.boussole import MAX_QUESTIONS, InvalidAnswers, load_tree, parse_tree, walk


def _paths(tree, qid=None, prefix=()):
    question = tree.questions[qid or tree.start]
    for choice in question.choices:
        path = (*prefix, choice.id)
        if choice.next:
            yield from _paths(tree, choice.next, path)
        else:
            yield path


def test_every_path_is_short_and_ends_in_a_complete_need():
    tree = load_tree()
    paths = list(_paths(tree))
    assert len(paths) > 20
    for path in paths:
        assert len(path) <= MAX_QUESTIONS
        outcome = walk(tree, list(path))
        assert outcome.finished
        assert outcome.skills and set(outcome.skills) <= valid_codes()
        assert outcome.title and outcome.modality and outcome.funding


def test_walk_fills_skills_title_modality_and_funding():
    outcome = walk(load_tree(), ["visibilite", "vendre", "distance", "cheque"])
    assert outcome.finished
    assert outcome.skills == ["presence.boutique", "gestion.paiement"]
    assert outcome.title == "Ouvrir une boutique en ligne"
    assert outcome.modality == "remote" and outcome.funding == "voucher"


def test_partial_answers_give_the_next_question():
    outcome = walk(load_tree(), ["securite"])
    assert not outcome.finished
    assert outcome.next_question.id == "securite"
    assert outcome.step == 2


def test_answers_off_the_tree_are_refused():
    with pytest.raises(InvalidAnswers):
        walk(load_tree(), ["visibilite", "rgpd"])
    with pytest.raises(InvalidAnswers):
        walk(load_tree(), ["visibilite", "rien", "sur_place", "cheque", "encore"])


def test_a_tree_that_is_too_deep_or_cyclic_is_refused():
    deep = {
        "start": "q0",
        "questions": {
            f"q{i}": {"fr": f"Q{i}", "choices": [{"id": "a", "fr": "A", **({"next": f"q{i + 1}"} if i < 6 else {})}]}
            for i in range(7)
        },
    }
    with pytest.raises(ValueError, match="at most 6"):
        parse_tree(deep)
    cyclic = {
        "start": "a",
        "questions": {
            "a": {"fr": "A", "choices": [{"id": "x", "fr": "X", "next": "b"}]},
            "b": {"fr": "B", "choices": [{"id": "y", "fr": "Y", "next": "a"}]},
        },
    }
    with pytest.raises(ValueError, match="cycle"):
        parse_tree(cyclic)
    unknown_skill = {
        "start": "a",
        "questions": {"a": {"fr": "A", "choices": [{"id": "x", "fr": "X", "skills": ["nope"]}]}},
    }
    with pytest.raises(ValueError, match="unknown skills"):
        parse_tree(unknown_skill)
