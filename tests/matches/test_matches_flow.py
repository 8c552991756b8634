"""Match runs over the database, staff arbitration with an audit trail, provider
acceptance with a deadline, missions confirmed by both sides, feedback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.errors import Forbidden, ServiceError
from app.core.mail import OutboxEmail
from app.core.models import utcnow
from app.core.states import IllegalTransition
from app.matches import missions as match_missions
from app.matches import runs as match_runs
from app.matches import services
from app.matches.instance import build_instance
from app.matches.models import MissionStatus, RunStatus
from app.matches.models import ProposalStatus as P
from app.needs.models import NeedStatus as NS
from matching import check_assignments

WEIGHTS = {"skills": 0.4, "distance": 0.3, "waiting": 0.1, "load": 0.1, "feedback": 0.1}


@pytest.fixture
def marketplace(factory):
    """Two organisations near Marseille, two providers with one offer each."""
    staff = factory.staff()
    asso = factory.need(
        title="Un site pour l'association",
        skills=["presence.site_web"],
        funding_mode="volunteer",
        organisation=factory.organisation(name="Asso du Panier", commune="13055"),
    )
    shop = factory.need(
        title="Vendre nos savons en ligne",
        skills=["presence.boutique"],
        funding_mode="paid",
        organisation=factory.organisation(name="Savonnerie", commune="13005", kind="artisan"),
    )
    web = factory.offer(
        provider=factory.provider(name="Web Solidaire", commune="13001", radius_km=50),
        title="Créer votre site",
        skills=["presence.site_web", "presence.boutique"],
        price_mode="volunteer",
        capacity_per_month=1,
    )
    shop_offer = factory.offer(
        provider=factory.provider(name="Boutiques du Sud", commune="13055", radius_km=20),
        title="Ouvrir une boutique en ligne",
        skills=["presence.boutique"],
        price_mode="paid",
        price_cents=60000,
        capacity_per_month=3,
    )
    return {"staff": staff, "asso": asso, "shop": shop, "web": web, "shop_offer": shop_offer}


def _run(staff, **kwargs):
    from app.core.jobs import commit

    run = match_runs.start_run(staff, WEIGHTS, **kwargs)
    commit()  # in-process: the job runs right after the commit
    return run


def test_a_run_proposes_optimal_explained_matches(marketplace, db_session):
    m = marketplace
    run = _run(m["staff"])
    assert run.status == RunStatus.DONE, run.error
    pairs = {(p.need_id, p.offer_id) for p in run.proposals}
    # Volunteer need ← volunteer offer; the paid need goes to the paid shop offer (the volunteer
    # offer has capacity for one need only, and the optimum gives it to the need only it can serve).
    assert pairs == {(m["asso"].id, m["web"].id), (m["shop"].id, m["shop_offer"].id)}
    by_need = {p.need_id: p for p in run.proposals}
    assert "couvre : site web" in by_need[m["asso"].id].explanation
    assert "bénévole" in by_need[m["asso"].id].explanation
    assert m["asso"].status == NS.PROPOSED and m["shop"].status == NS.PROPOSED
    assert run.n_candidates >= 2 and run.objective > 0 and run.figures["proposals"] == 2
    events = by_need[m["asso"].id].events
    assert [e.action for e in events] == ["proposed"]

    built = build_instance()
    assert check_assignments(built.instance, {p.need_id: p.offer_id for p in run.proposals}) == []


def test_a_priced_run_proves_the_same_optimum(marketplace, db_session):
    """The priced solver (working set + pricing, for very large volumes) gives the flow's optimum and
    says what it proved on the run page."""
    m = marketplace
    run = _run(m["staff"], solver="priced")
    assert run.status == RunStatus.DONE, run.error
    pairs = {(p.need_id, p.offer_id) for p in run.proposals}
    assert pairs == {(m["asso"].id, m["web"].id), (m["shop"].id, m["shop_offer"].id)}
    assert run.figures["status"] == "OPTIMAL" and run.bound == run.objective
    assert any(n["code"] == "priced.optimal" for n in run.figures["notes"])


def test_weights_are_validated_and_only_staff_start_runs(marketplace, factory):
    with pytest.raises(ServiceError):
        match_runs.start_run(marketplace["staff"], {"skills": -1})
    with pytest.raises(ServiceError):
        match_runs.start_run(marketplace["staff"], {"nope": 1})
    with pytest.raises(Forbidden):
        match_runs.start_run(factory.user(), WEIGHTS)


def test_approve_accept_confirm_and_feedback(marketplace, db_session):
    m = marketplace
    run = _run(m["staff"])
    proposal = next(p for p in run.proposals if p.need_id == m["asso"].id)
    services.approve(m["staff"], proposal)
    assert proposal.status == P.APPROVED and proposal.deadline_at > utcnow() + timedelta(days=4)
    provider_user = m["web"].provider.memberships[0].user
    mail = db_session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == provider_user.email)).all()
    assert any("Nouvelle proposition de mission" in x.subject for x in mail)

    with pytest.raises(Forbidden):  # someone else's proposal
        services.respond(m["shop_offer"].provider.memberships[0].user, proposal, accept=True)
    mission = services.respond(provider_user, proposal, accept=True)
    assert proposal.status == P.ACCEPTED and mission.status == MissionStatus.PLANNED
    assert m["asso"].status == NS.MATCHED

    org_user = m["asso"].organisation.memberships[0].user
    with pytest.raises(ServiceError):
        match_missions.give_feedback(org_user, mission, 5)  # not done yet
    match_missions.confirm_completion(org_user, mission)
    assert mission.status == MissionStatus.IN_PROGRESS and m["asso"].status == NS.IN_PROGRESS
    with pytest.raises(Forbidden):
        match_missions.confirm_completion(m["staff"], mission)  # staff are neither side
    match_missions.confirm_completion(provider_user, mission)
    assert mission.status == MissionStatus.DONE and m["asso"].status == NS.DONE

    match_missions.give_feedback(org_user, mission, 5, "Très clair, merci !")
    with pytest.raises(ServiceError):
        match_missions.give_feedback(org_user, mission, 4)  # once per side
    with pytest.raises(ServiceError):
        match_missions.give_feedback(provider_user, mission, 9)
    db_session.flush()
    # The feedback now counts in the provider's score for the next runs.
    built = build_instance()
    index = list(built.instance.provider_ids).index(m["web"].provider_id)
    assert built.instance.provider_rating_mean[index] == pytest.approx(5.0)
    assert built.instance.provider_rating_count[index] == 1


def test_rejection_sends_the_need_back_and_the_pair_is_never_proposed_again(marketplace):
    m = marketplace
    run = _run(m["staff"])
    proposal = next(p for p in run.proposals if p.need_id == m["asso"].id)
    with pytest.raises(ServiceError):
        services.reject(m["staff"], proposal, "  ")
    services.reject(m["staff"], proposal, "Le prestataire est en congé.")
    assert m["asso"].status == NS.OPEN
    assert proposal.events[-1].reason == "Le prestataire est en congé."
    assert proposal.events[-1].actor_id == m["staff"].id
    second = _run(m["staff"])
    assert (m["asso"].id, m["web"].id) not in {(p.need_id, p.offer_id) for p in second.proposals}
    with pytest.raises(IllegalTransition):
        services.approve(m["staff"], proposal)


def test_incremental_run_keeps_approved_proposals_and_their_capacity(marketplace, factory):
    m = marketplace
    run = _run(m["staff"])
    asso_proposal = next(p for p in run.proposals if p.need_id == m["asso"].id)
    services.approve(m["staff"], asso_proposal)
    # A new volunteer need that only the web offer (capacity 1, now taken) could serve.
    newcomer = factory.need(
        title="Un site pour le club",
        skills=["presence.site_web"],
        funding_mode="volunteer",
        organisation=factory.organisation(name="Club de pétanque", commune="13055"),
    )
    second = _run(m["staff"])
    assert asso_proposal.status == P.APPROVED  # kept, not superseded
    assert newcomer.id not in {p.need_id for p in second.proposals}
    assert second.figures["fixed"] == 1
    # The shop need's undecided proposal is superseded by the new run's.
    first_shop = next(p for p in run.proposals if p.need_id == m["shop"].id)
    assert first_shop.status == P.SUPERSEDED


def test_decline_and_expiry_put_the_need_back_into_matching(marketplace, db_session):
    m = marketplace
    run = _run(m["staff"])
    asso = next(p for p in run.proposals if p.need_id == m["asso"].id)
    shop = next(p for p in run.proposals if p.need_id == m["shop"].id)
    now = utcnow()
    services.bulk_approve(m["staff"], [asso, shop])
    assert asso.status == shop.status == P.APPROVED

    with pytest.raises(ServiceError):  # a reason is required to decline
        services.respond(m["web"].provider.memberships[0].user, asso, accept=False, reason="")
    services.respond(m["web"].provider.memberships[0].user, asso, accept=False, reason="Pas disponible en janvier")
    assert asso.status == P.DECLINED and m["asso"].status == NS.OPEN

    halfway = services.sweep(now + timedelta(days=3))
    assert halfway == {"reminded": 1, "expired": 0}
    assert services.sweep(now + timedelta(days=3, hours=1)) == {"reminded": 0, "expired": 0}  # once
    assert services.sweep(now + timedelta(days=6)) == {"reminded": 0, "expired": 1}
    assert shop.status == P.EXPIRED and m["shop"].status == NS.OPEN
    reminders = db_session.scalars(select(OutboxEmail).where(OutboxEmail.subject.like("Rappel%"))).all()
    assert len(reminders) >= 1


def test_replace_by_an_alternative(factory):
    staff = factory.staff()
    need = factory.need(skills=["securite.rgpd"], funding_mode="paid")
    first = factory.offer(
        provider=factory.provider(name="RGPD Conseil", commune="13055"),
        skills=["securite.rgpd"],
        price_mode="paid",
        price_cents=50000,
        title="Audit RGPD",
    )
    second = factory.offer(
        provider=factory.provider(name="Données Claires", commune="13055"),
        skills=["securite.rgpd"],
        price_mode="volunteer",
        title="Atelier RGPD",
    )
    run = _run(staff)
    proposal = run.proposals[0]
    alternative = proposal.alternatives[0]["offer_id"]
    assert {proposal.offer_id, alternative} == {first.id, second.id}
    new = services.replace(staff, proposal, alternative, reason="La structure préfère un atelier")
    assert proposal.status == P.REPLACED and new.status == P.APPROVED and new.offer_id == alternative
    assert new.replaces_id == proposal.id and need.status == NS.PROPOSED
    with pytest.raises(ServiceError):
        services.replace(staff, new, 999999)


def test_cancelled_mission_and_cancelled_need(marketplace):
    m = marketplace
    run = _run(m["staff"])
    proposal = next(p for p in run.proposals if p.need_id == m["asso"].id)
    services.approve(m["staff"], proposal)
    mission = services.respond(m["web"].provider.memberships[0].user, proposal, accept=True)
    with pytest.raises(ServiceError):
        match_missions.cancel_mission(m["web"].provider.memberships[0].user, mission, "")
    match_missions.cancel_mission(m["web"].provider.memberships[0].user, mission, "Empêchement")
    assert mission.status == MissionStatus.CANCELLED and m["asso"].status == NS.OPEN

    shop_proposal = next(p for p in run.proposals if p.need_id == m["shop"].id)
    from app.needs.services import move_need

    move_need(m["shop"].organisation.memberships[0].user, m["shop"], NS.CANCELLED, reason="Plus besoin")
    assert shop_proposal.status == P.SUPERSEDED


def test_cpsat_run_with_a_territory_share_reports_its_gap(factory):
    from app.core.jobs import commit

    staff = factory.staff()
    provider = factory.provider(name="Seul en ville", commune="13055", radius_km=30)
    factory.offer(provider=provider, skills=["presence.site_web"], capacity_per_month=3)
    for name in ("Asso A", "Asso B"):
        factory.need(skills=["presence.site_web"], organisation=factory.organisation(name=name, commune="13055"))
    with pytest.raises(ServiceError):  # side constraints need CP-SAT
        match_runs.start_run(staff, WEIGHTS, solver="flow", side_constraints={"territory_share": 0.5})
    run = match_runs.start_run(
        staff, WEIGHTS, solver="cpsat", dep_codes=["13"], side_constraints={"territory_share": 0.5}, time_limit=5
    )
    commit()
    assert run.status == RunStatus.DONE, run.error
    assert len(run.proposals) == 1  # at most half of the département's needs to one provider
    assert run.figures["gap_to_flow"] > 0.3  # the flow optimum (both needs) bounds it from above


def test_sweep_command(app, marketplace, db_session):
    from app.core.jobs import commit

    run = _run(marketplace["staff"])
    services.approve(marketplace["staff"], run.proposals[0])
    commit()
    result = app.test_cli_runner().invoke(args=["hub", "sweep"])
    assert result.exit_code == 0 and "0 rappel(s), 0 expiration(s)" in result.output
