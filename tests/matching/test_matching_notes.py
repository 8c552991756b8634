"""The engine's notes are codes with parameters (`matching.notes.Note`), never sentences: the app words
them in its reader's language. One small instance per kind of note, each solved in milliseconds."""

from __future__ import annotations

import datetime as dt

from matching_helpers import random_instance
from test_matching_cpsat_honest import repro_instance, run

from matching import (
    COMPONENTS,
    Instance,
    Need,
    Note,
    Offer,
    Provider,
    build_candidates,
    score_candidates,
    solve_instance,
)
from matching.notes import NOTE_TEXTS, note_text
from matching.solvers import SideConstraints, solve_cpsat
from matching.solvers.priced import solve_priced

MRS = (43.2965, 5.3698)
TODAY = dt.date(2026, 1, 1)


def _codes(notes) -> list[str]:
    assert all(isinstance(n, Note) for n in notes), notes  # no plain sentence left
    return [n.code for n in notes]


def _one_need_one_offer() -> Instance:
    need = Need(1, MRS[0], MRS[1], skills=(1,), dep_code="13")
    return Instance.from_records([need], [Offer(10, 1, MRS[0], MRS[1], 30, skills=(1,))], [Provider(1)], today=TODAY)


def test_zero_weights():
    r = solve_instance(_one_need_one_offer(), dict.fromkeys(COMPONENTS, 0), embed=None)
    assert _codes(r.notes) == ["scores.zero_weights"]


def test_semantic_off_without_texts():
    r = solve_instance(_one_need_one_offer(), embed="auto")
    assert r.semantic_note == Note("semantic.no_texts") and r.notes == ()


def test_side_flow_exact():
    r = run(repro_instance(), SideConstraints(territory_share=0.25))
    assert _codes(r.notes) == ["side.flow_exact"]


def test_side_flow_relaxed():
    inst = random_instance(1566581935, 12, 4)  # a provider with two offers: the side flow is a relaxation
    cand = build_candidates(inst)
    r = solve_cpsat(inst, cand, score_candidates(inst, cand), SideConstraints(territory_share=0.3, top_k=None))
    assert _codes(r.notes) == ["side.flow_relaxed"]
    assert r.notes[0].params["bound"] >= r.objective - 1e-9


def test_cpsat_without_an_answer_in_time():
    r = run(repro_instance(), SideConstraints(territory_share=0.25, top_k=None, flow=False), time_limit=1e-4)
    if r.status == "UNKNOWN":  # CP-SAT found nothing in 0.1 ms (else it found the optimum at once)
        assert _codes(r.notes)[:2] == ["fallback.unknown", "unmet.territory_share"]
        assert r.notes[0].params == {"seconds": 1e-4}


def test_unmet_minimum_per_department():
    """One offer of capacity 1 for two départements that each want one proposal: impossible."""
    needs = [
        Need(1, MRS[0], MRS[1], skills=(1,), dep_code="13"),
        Need(2, MRS[0] + 0.05, MRS[1], skills=(1,), dep_code="83"),
    ]
    offers = [Offer(10, 1, MRS[0], MRS[1], 30, skills=(1,), capacity=1)]
    inst = Instance.from_records(needs, offers, [Provider(1)], today=TODAY)
    r = run(inst, SideConstraints(min_per_department=1, top_k=None))
    assert _codes(r.notes) == ["fallback.infeasible", "unmet.min_per_department"]
    assert r.notes[1].params == {"department": "83", "count": 0, "wanted": 1}


def test_unmet_two_experts():
    """A two-expert need and another need, two providers, one proposal per provider: impossible."""
    needs = [
        Need(1, MRS[0], MRS[1], skills=(1, 2), experts_required=2, dep_code="13"),
        Need(2, MRS[0], MRS[1], skills=(1,), dep_code="13"),
    ]
    offers = [
        Offer(10, 1, MRS[0], MRS[1], 30, skills=(1, 2), capacity=2),
        Offer(20, 2, MRS[0], MRS[1], 30, skills=(1, 2), capacity=2),
    ]
    inst = Instance.from_records(needs, offers, [Provider(1), Provider(2)], today=TODAY)
    r = run(inst, SideConstraints(territory_share=0.01, min_per_department={"13": 2}, top_k=None))
    assert _codes(r.notes)[0] == "fallback.infeasible"
    assert [n.params for n in r.notes if n.code == "unmet.two_experts"] == [{"count": 1}]


def test_unmet_constraints_beyond_twelve_are_counted():
    """14 départements, each with two needs only its own provider serves, one proposal per provider."""
    needs = [Need(10 * d + i, MRS[0], MRS[1], skills=(d,), dep_code=f"{d:02d}") for d in range(1, 15) for i in range(2)]
    offers = [Offer(100 + d, d, MRS[0], MRS[1], 30, skills=(d,), capacity=2) for d in range(1, 15)]
    inst = Instance.from_records(needs, offers, [Provider(d) for d in range(1, 15)], today=TODAY)
    r = run(inst, SideConstraints(territory_share=0.01, min_per_department=2, top_k=None))
    codes = _codes(r.notes)
    assert codes == ["fallback.infeasible", *["unmet.territory_share"] * 12, "unmet.more"]
    assert r.notes[-1].params == {"count": 2}
    assert r.notes[1].params == {"provider_id": 1, "department": "01", "count": 2, "cap": 1}


def test_priced_stopped():
    inst = random_instance(0, 300, 60)
    cand = build_candidates(inst)
    r = solve_priced(cand, score_candidates(inst, cand), max_rounds=1, k_need=1, k_offer=0.2, add_per_need=1)
    assert r.status == "FEASIBLE" and _codes(r.notes) == ["priced.stopped"]
    assert r.notes[0].params["rounds"] == 1 and r.notes[0].params["gap"] > 0


def test_every_code_has_a_french_wording_and_an_unknown_one_shows_its_code():
    for code, template in NOTE_TEXTS.items():
        fields = {f.split("}")[0].split(":")[0] for f in template.split("{")[1:]}
        assert "{" not in note_text(code, dict.fromkeys(fields, 1)), code
    assert note_text("later.kind", {"n": 2}) == "later.kind n=2"
    assert str(Note("side.min_clipped", {"department": "04", "wanted": 5, "available": 2})) == (
        "minimum du département 04 ramené de 5 à 2 (besoins ayant des offres candidates)"
    )
