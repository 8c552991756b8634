"""Two complementary experts (issue 15): a need asks for them on its form; a run proposes them as a
pair (two linked proposals, one per expert, CP-SAT being the solver that pairs); staff see and
arbitrate the pair as a whole, with what each expert covers and what is left, in the reader's
language; each provider accepts its own mission; the pair stands or falls together until both
have accepted; the need is matched when both have accepted and done when both missions are."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.core.errors import ServiceError
from app.core.jobs import commit
from app.matches import missions as match_missions
from app.matches import runs as match_runs
from app.matches import services as matches
from app.matches.models import MissionStatus, Proposal, ProposalStatus
from app.needs.models import Need, NeedStatus
from tests.conftest import login, page_text, post_form

SKILLS = ["presence.site_web", "gestion.compta_facturation"]


def _pair_setup(factory, funding="volunteer"):
    staff = factory.staff()
    org = factory.organisation(name="Épicerie solidaire", commune="13055")
    need = factory.need(
        organisation=org,
        title="Site et comptabilité",
        skills=SKILLS,
        two_experts=True,
        funding_mode=funding,
    )
    web = factory.provider(name="Toile Phocéenne", commune="13055")
    factory.offer(provider=web, title="Créer votre site", skills=["presence.site_web"], category="atelier")
    compta = factory.provider(name="Compta Clair", commune="13055")
    factory.offer(provider=compta, title="Logiciel de facturation", skills=["gestion.compta_facturation"])
    return staff, need, web, compta


def _run(staff):
    run = match_runs.start_run(staff, {"skills": 1, "distance": 1})
    commit()
    return run


def _pair(run, need) -> tuple[Proposal, Proposal]:
    mine = sorted((p for p in run.proposals if p.need_id == need.id), key=lambda p: p.id)
    assert len(mine) == 2, [p.offer_id for p in mine]
    return mine[0], mine[1]


@pytest.fixture
def paired(factory, db_session):
    staff, need, web, compta = _pair_setup(factory)
    run = _run(staff)
    first, second = _pair(run, need)
    return staff, need, web, compta, run, first, second


def _card(page: str, proposal_id: int) -> str:
    match = re.search(rf'<article class="card proposal" id="proposition-{proposal_id}".*?</article>', page, re.S)
    assert match, f"no card for proposal {proposal_id}"
    return re.sub(r"<[^>]+>", "", match.group(0))


def test_a_pair_is_proposed_linked_explained_and_shown(client, paired):
    staff, need, web, compta, run, first, second = paired
    assert run.figures["two_expert_needs"] == 1 and run.figures["pairs"] == 1
    assert run.figures["solver_used"] == "cpsat" and run.solver == "flow"  # staff's choice is kept on record
    assert first.partner_id == second.id and second.partner_id == first.id
    assert {first.provider_id, second.provider_id} == {web.id, compta.id}
    assert need.status == NeedStatus.PROPOSED
    for p in (first, second):
        codes = [ph["code"] for ph in p.explanation_phrases]
        # CP-SAT pairs cover every wanted skill: nothing is left ("pair.uncovered" only when something is)
        assert codes[:2] == ["pair.head", "pair.partner"], codes
        assert "skills.missing" not in codes  # what is left is the pair's to say, not one expert's
        head = p.explanation_phrases[0]["params"]["skill_codes"]
        assert sorted(head) == ["gestion.compta_facturation", "presence.site_web"]
    web_side = first if first.provider_id == web.id else second
    assert web_side.explanation_phrases[1]["params"]["skill_codes"] == ["gestion.compta_facturation"]
    assert web_side.explanation.startswith(
        "deux experts complémentaires ; couvrent ensemble : logiciels de comptabilité et de facturation, site web ; "
        "l'autre expert couvre : logiciels de comptabilité et de facturation ; même commune ; couvre : site web"
    )

    # staff see both experts in one card, in their language
    login(client, staff)
    french = page_text(client.get(f"/mise-en-relation/runs/{run.id}"))
    assert f'id="proposition-{second.id}"' not in french  # one card for the pair
    card = _card(french, first.id)
    assert "Deux experts complémentaires" in card
    assert "Toile Phocéenne" in card and "Compta Clair" in card
    assert "couvre : site web" in card and "couvre : logiciels de comptabilité et de facturation" in card
    assert "binôme(s) proposé(s)" in french

    post_form(client, "/langue", {"lang": "en"})
    english = page_text(client.get(f"/mise-en-relation/runs/{run.id}"))
    card = _card(english, first.id)
    assert "Two complementary experts" in card
    assert "two complementary experts; together they cover: accounting and invoicing software, website" in card
    assert "same municipality; covers: website" in card
    assert "couvre" not in card and "même commune" not in card
    page = _card(page_text(client.get(f"/mise-en-relation/propositions/{second.id}")), second.id)
    assert "together they cover: accounting and invoicing software, website" in page and "Toile Phocéenne" in page


def test_staff_arbitrate_the_pair_as_a_whole(client, db_session, paired):
    staff, need, _web, _compta, _first_run, first, second = paired
    with pytest.raises(ServiceError):
        matches.replace(staff, first, second.offer_id)
    login(client, staff)
    response = post_form(client, f"/mise-en-relation/propositions/{first.id}", {"decision": "approve"})
    assert response.status_code == 302
    db_session.expire_all()
    assert first.status == second.status == ProposalStatus.APPROVED, page_text(client.get(response.location))
    assert first.deadline_at and second.deadline_at

    # the fixed pair is kept by the next run: nothing proposed again for the need
    again = _run(staff)
    assert [p for p in again.proposals if p.need_id == need.id] == []


def test_a_refusal_refuses_both(paired):
    staff, need, _web, _compta, _first_run, first, second = paired
    matches.reject(staff, second, "Pas pertinent")
    assert first.status == second.status == ProposalStatus.REJECTED
    assert need.status == NeedStatus.OPEN


def _member(user, first, second) -> Proposal:
    return first if first.provider_id in user.provider_ids else second


def test_each_expert_accepts_its_own_mission(client, db_session, paired):
    staff, need, web, compta, _run, first, second = paired
    matches.approve(staff, first)
    web_user, compta_user = web.memberships[0].user, compta.memberships[0].user

    login(client, web_user)
    page = page_text(client.get("/missions/propositions"))
    assert "l'autre expert est Compta Clair" in page
    assert "l'autre expert couvre : logiciels de comptabilité et de facturation" in page

    one = matches.respond(web_user, _member(web_user, first, second), accept=True)
    assert need.status == NeedStatus.PROPOSED  # half a pair does not match the need
    with pytest.raises(ServiceError):
        match_missions.start_mission(web_user, one)  # the work starts once both accepted
    two = matches.respond(compta_user, _member(compta_user, first, second), accept=True)
    assert need.status == NeedStatus.MATCHED
    assert {one.provider_id, two.provider_id} == {web.id, compta.id} and one.id != two.id

    org_user = need.organisation.memberships[0].user
    login(client, org_user)
    page = page_text(client.get(f"/besoins/{need.id}"))
    assert "Toile Phocéenne" in page and "Compta Clair" in page and "binôme d'experts complémentaires" in page

    for mission, provider_user in ((one, web_user), (two, compta_user)):
        match_missions.confirm_completion(org_user, mission)
        match_missions.confirm_completion(provider_user, mission)
        if mission is one:
            assert one.status == MissionStatus.DONE and need.status == NeedStatus.IN_PROGRESS
    assert need.status == NeedStatus.DONE


def test_a_decline_breaks_the_pair(db_session, paired):
    staff, need, web, compta, _run, first, second = paired
    matches.approve(staff, first)
    web_user, compta_user = web.memberships[0].user, compta.memberships[0].user
    accepted = matches.respond(web_user, _member(web_user, first, second), accept=True)
    matches.respond(compta_user, _member(compta_user, first, second), accept=False, reason="Complet ce mois-ci")
    assert accepted.status == MissionStatus.CANCELLED and "l'autre expert" in accepted.cancel_reason.lower()
    assert need.status == NeedStatus.OPEN


def test_an_expiry_withdraws_the_other_expert(db_session, paired):
    from datetime import timedelta

    from app.core.models import utcnow

    staff, need, _web, _compta, _first_run, first, second = paired
    matches.approve(staff, first)
    first.deadline_at = utcnow() - timedelta(hours=1)
    result = matches.sweep()
    assert result["expired"] == 1
    assert first.status == ProposalStatus.EXPIRED and second.status == ProposalStatus.SUPERSEDED
    assert [e.action for e in second.events][-1] == "pair_broken"
    assert need.status == NeedStatus.OPEN


def test_the_need_form_asks_for_two_experts(client, factory, db_session):
    user = factory.user()
    org = factory.organisation(owner=user)
    login(client, user)
    page = page_text(client.get("/besoins/nouveau"))
    assert "Besoin de deux experts complémentaires" in page
    values = {
        "organisation_id": str(org.id),
        "title": "Site et factures",
        "description": "Un site et un logiciel de facturation.",
        "skills": ["presence.site_web"],
        "categories": ["atelier"],
        "two_experts": "y",
        "commune": "Avignon (84000)",
        "modality": "on_site",
        "funding_mode": "volunteer",
        "contact_name": "Sophie Martin",
        "contact_email": "sophie@mistral.example.org",
        "publish": "1",
    }
    refused = post_form(client, "/besoins/nouveau", values)
    assert refused.status_code == 422
    assert "choisissez au moins deux compétences recherchées" in page_text(refused)
    values["skills"] = ["presence.site_web", "gestion.compta_facturation"]
    r = post_form(client, "/besoins/nouveau", values)
    assert r.status_code == 302, page_text(r)
    need = db_session.scalar(select(Need).where(Need.organisation_id == org.id))
    assert need.two_experts is True
    post_form(client, "/langue", {"lang": "en"})
    english = page_text(client.get(f"/besoins/{need.id}"))
    assert "Two complementary experts" in english


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "fr",
            (
                "deux experts complémentaires ; couvrent ensemble : site web ; reste non couvert : conformité RGPD ; "
                "l'autre expert couvre : site web ; à distance"
            ),
        ),
        (
            "en",
            (
                "two complementary experts; together they cover: website; still not covered: GDPR compliance; "
                "the other expert covers: website; remote"
            ),
        ),
    ],
)
def test_what_a_pair_leaves_uncovered_is_said(app, lang, expected):
    """`matching` says what the pair leaves uncovered and what the other expert brings, as codes."""
    from app.matches.explanations import explanation_text, stored_phrases
    from matching.components import Phrase
    from matching.explain import Explanation, pair_member_phrases

    def expert(covered, missing, phrases):
        labels = {1: "site web", 2: "conformité RGPD", 3: "cybersécurité"}
        return Explanation(
            text="",
            parts=(),
            score=0.5,
            components={},
            contributions={},
            mode="remote",
            distance_km=0.0,
            radius_km=0.0,
            same_commune=False,
            covered_skills=tuple(labels[i] for i in covered),
            missing_skills=tuple(labels[i] for i in missing),
            funding="volunteer",
            available_from=None,
            available_until=None,
            rating_mean=None,
            rating_count=0,
            provider_missions=0,
            phrases=phrases,
            covered_skill_ids=covered,
            missing_skill_ids=missing,
        )

    own = expert((), (1, 2), (Phrase("distance.remote", "à distance"), Phrase("skills.missing", "ne couvre pas")))
    partner = expert((1,), (2,), ())
    phrases = pair_member_phrases(own, partner)
    assert [ph.code for ph in phrases] == ["pair.head", "pair.uncovered", "pair.partner", "distance.remote"]
    stored = stored_phrases(phrases, {1: "presence.site_web", 2: "securite.rgpd"}, {})
    with app.test_request_context(headers={"Accept-Language": lang}):
        assert explanation_text(stored) == expected


def test_one_expert_alone_is_never_stored_for_a_pair_need(factory, db_session):
    """A solver answer that gives a two-expert need a single offer (CP-SAT's fallback when it finds
    nothing in time is the flow's, one offer a need) is withheld: the need waits for a pair."""
    import matching
    from app.matches.instance import build_instance
    from app.matches.models import MatchRun

    staff, need, _web, _compta = _pair_setup(factory)
    built = build_instance()
    result = matching.solve_instance(built.instance, {"skills": 1, "distance": 1}, solver="flow", embed=None)
    assert [p.need_id for p in result.proposals] == [need.id]  # the flow gives it one expert
    run = MatchRun(created_by_id=staff.id, solver="flow")
    db_session.add(run)
    db_session.flush()
    match_runs.store_result(run, result, built.vocabulary)
    assert run.figures["pairs_withheld"] == 1
    assert db_session.scalars(select(Proposal).where(Proposal.need_id == need.id)).all() == []
    assert need.status == NeedStatus.OPEN
