"""The registry of score components: scoring and explanations derive from it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import matching
from matching import components as registry
from matching import solve_instance
from matching.components import Component, EdgeContext, EdgeFacts, Phrase
from matching.model import Instance
from matching.records import Need, Offer, Provider
from matching.scoring import merge_weights

MRS = (43.2965, 5.3698)


def instance() -> Instance:
    needs = [Need(1, MRS[0], MRS[1], skills=(0,), commune="13055"), Need(2, MRS[0], MRS[1], skills=(1,))]
    offers = [
        Offer(10, 100, MRS[0], MRS[1], 20, skills=(0,), commune="13055"),
        Offer(20, 200, MRS[0] + 0.05, MRS[1], 20, skills=(1,)),
    ]
    providers = [Provider(100), Provider(200, current_missions=5)]
    return Instance.from_records(needs, offers, providers, today=dt.date(2026, 1, 15))


def test_registry_gives_names_order_and_default_weights():
    assert matching.COMPONENTS == ("skills", "distance", "semantic", "waiting", "load", "feedback", "charter")
    assert tuple(matching.REGISTRY) == matching.COMPONENTS
    assert {c.name: c.default_weight for c in matching.REGISTRY.values()} == matching.DEFAULT_WEIGHTS
    assert abs(sum(matching.DEFAULT_WEIGHTS.values()) - 1.0) < 1e-9
    assert all(c.label for c in matching.REGISTRY.values())


def test_register_refuses_duplicates_and_bad_weights():
    with pytest.raises(ValueError, match="already registered"):
        registry.register(Component("skills", 0.1, "x", compute=lambda ctx: None))
    with pytest.raises(ValueError, match="default weight"):
        registry.register(Component("new", -1.0, "x", compute=lambda ctx: None))
    assert "new" not in registry.REGISTRY


def test_scores_are_addressed_by_name():
    inst = instance()
    r = solve_instance(inst, embed=None)
    scores = r.scores
    assert scores is not None and scores.names == matching.COMPONENTS
    assert np.array_equal(scores.component("distance"), scores.components[:, 1])
    e = int(r.solve.selected[0]) if r.solve is not None else 0
    assert scores.edge_components(e) == r.proposals[0].components


def test_explanation_phrases_carry_codes_and_the_french_text():
    r = solve_instance(instance(), embed=None, skill_labels={0: "site web", 1: "tableur"})
    details = {p.need_id: p.details[0] for p in r.proposals}
    d = details[1]
    assert tuple(ph.text for ph in d.phrases) == d.parts
    codes = [ph.code for ph in d.phrases]
    assert codes[:4] == ["distance.same_commune", "skills.covered", "time.window", "funding.volunteer"]
    assert d.phrases[1].params == {"skills": ("site web",), "skill_ids": (0,)}  # labels for the text, ids for a UI
    assert {p.need_id: p.phrases for p in r.proposals}[1] == d.phrases  # the proposal carries them too


def test_adding_a_criterion_is_one_component(monkeypatch):
    """A new criterion = one Component (values, default weight, label, phrase): scoring,
    weights and explanations take it up with no other change."""

    def same_commune(ctx: EdgeContext) -> np.ndarray:
        inst, cand = ctx.inst, ctx.cand
        same = inst.need_commune[cand.need_idx] == inst.offer_commune[cand.offer_idx]
        return (same & (inst.need_commune[cand.need_idx] != "")).astype(np.float64)

    def explain(f: EdgeFacts) -> list[Phrase]:
        return [Phrase("local.yes", "acteur local")] if f.components["local"] == 1.0 else []

    monkeypatch.setattr(registry, "REGISTRY", dict(registry.REGISTRY))
    registry.register(Component("local", 0.5, "Acteur local", compute=same_commune, explain=explain, phrase_rank=15))

    assert merge_weights(None)["local"] == 0.5
    r = solve_instance(instance(), {"local": 1.0}, embed=None)
    assert r.weights["local"] == 1.0
    by_need = {p.need_id: p for p in r.proposals}
    assert by_need[1].components["local"] == 1.0 and by_need[2].components["local"] == 0.0
    assert by_need[1].explanation.startswith("même commune ; acteur local ; couvre")
    assert "acteur local" not in by_need[2].explanation
    with pytest.raises(ValueError, match="unknown score components"):
        solve_instance(instance(), {"nope": 1.0}, embed=None)
