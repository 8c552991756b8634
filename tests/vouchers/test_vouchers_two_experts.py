"""Vouchers for two complementary experts: each expert's mission reserves, redeems or releases its own
vouchers (up to its own offer's price), so each provider is paid for its own part and the ledger
balances; a pair that breaks before both accepted gives the reserved vouchers back."""

from __future__ import annotations

from app.core.jobs import commit
from app.matches import missions as match_missions
from app.matches import runs as match_runs
from app.matches import services as matches
from app.vouchers import missions, services
from payments import ledger
from tests.vouchers.vouchers_helpers import funded_programme


def _pair(factory, org, org_user):
    staff = factory.staff()
    need = factory.need(
        organisation=org,
        user=org_user,
        funding_mode="voucher",
        title="Site et facturation",
        skills=["presence.site_web", "gestion.compta_facturation"],
        two_experts=True,
    )
    experts = []
    for name, skill in (("Toile Phocéenne", "presence.site_web"), ("Compta Clair", "gestion.compta_facturation")):
        provider = factory.provider(name=name)
        factory.offer(provider=provider, skills=[skill], price_mode="voucher", price_cents=3_000)
        experts.append(provider)
    run = match_runs.start_run(staff, {"skills": 1, "distance": 1})
    commit()
    pair = sorted((p for p in run.proposals if p.need_id == need.id), key=lambda p: p.id)
    assert len(pair) == 2 and pair[0].partner_id == pair[1].id
    matches.approve(staff, pair[0])
    by_provider = {p.provider_id: p for p in pair}
    return need, [(provider, provider.memberships[0].user, by_provider[provider.id]) for provider in experts]


def test_each_expert_is_paid_its_own_part(db_session, factory, org, org_user):
    programme = funded_programme(factory, voucher_count=3, face_value_cents=3_000)
    vouchers = [services.request_voucher(org_user, programme, org) for _ in range(2)]
    _need, experts = _pair(factory, org, org_user)
    accepted = [(provider, user, matches.respond(user, proposal, accept=True)) for provider, user, proposal in experts]
    refs = {v.reserved_for for v in vouchers}
    assert refs == {f"mission:{mission.id}" for _p, _u, mission in accepted}  # one voucher each
    for _provider, user, mission in accepted:
        assert missions.covered_cents(mission) == 3_000 and missions.remainder_cents(mission) == 0
        match_missions.confirm_completion(org_user, mission)
        match_missions.confirm_completion(user, mission)
    db_session.expire_all()
    assert [v.status for v in vouchers] == ["redeemed", "redeemed"]
    for provider, _user, _mission in accepted:
        assert ledger.balance(db_session, f"provider:{provider.id}:payable", natural=True) == 3_000
    assert ledger.trial_balance(db_session).balanced


def test_a_broken_pair_gives_the_vouchers_back(db_session, factory, org, org_user):
    programme = funded_programme(factory, voucher_count=2, face_value_cents=3_000)
    voucher = services.request_voucher(org_user, programme, org)
    _need, [(_p1, user1, proposal1), (_p2, user2, proposal2)] = _pair(factory, org, org_user)
    mission = matches.respond(user1, proposal1, accept=True)
    db_session.refresh(voucher)
    assert voucher.reserved_for == f"mission:{mission.id}"
    matches.respond(user2, proposal2, accept=False, reason="Pas disponible ce mois-ci.")
    db_session.expire_all()
    assert mission.status.value == "cancelled"
    assert voucher.status == "issued" and voucher.reserved_for is None
    assert ledger.trial_balance(db_session).balanced
