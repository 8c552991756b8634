"""A voucher through a mission: reserved when the provider accepts, redeemed when both sides
confirm, released when the mission is cancelled; the ledger balanced at every step."""

from __future__ import annotations

from sqlalchemy import select

from app.matches import missions as match_missions
from app.models import Voucher
from app.vouchers import missions, services
from payments import ledger
from tests.conftest import login, page_text, post_form
from tests.vouchers.vouchers_helpers import funded_programme


def _voucher_need(factory, org, org_user, **values):
    return factory.need(organisation=org, user=org_user, funding_mode="voucher", **values)


def _provider(factory, price_cents=None):
    provider = factory.provider()
    factory.offer(provider=provider, price_mode="voucher", price_cents=price_cents)
    return provider, provider.memberships[0].user


def _balances(session, programme, provider):
    return {
        bucket: ledger.balance(session, f"programme:{programme.id}:{bucket}", natural=True)
        for bucket in ("fund", "issued", "reserved")
    } | {"payable": ledger.balance(session, f"provider:{provider.id}:payable", natural=True)}


def test_reserved_on_accept_redeemed_when_both_confirm(client, db_session, factory, org, org_user):
    programme = funded_programme(factory, voucher_count=3, face_value_cents=4_000)
    voucher = services.request_voucher(org_user, programme, org)
    provider, provider_user = _provider(factory)
    need = _voucher_need(factory, org, org_user)
    assert _balances(db_session, programme, provider) == {"fund": 8_000, "issued": 4_000, "reserved": 0, "payable": 0}

    _run, _proposal, mission = factory.mission(need, provider_user)
    db_session.refresh(voucher)
    assert voucher.status == "reserved" and voucher.reserved_for == f"mission:{mission.id}"
    assert _balances(db_session, programme, provider) == {"fund": 8_000, "issued": 0, "reserved": 4_000, "payable": 0}
    assert ledger.trial_balance(db_session).balanced

    login(client, org_user)
    page = page_text(client.get(f"/missions/{mission.id}"))
    assert "Chèques d'accompagnement numérique" in page and voucher.code in page and "Réservé pour une mission" in page

    match_missions.confirm_completion(org_user, mission)
    db_session.refresh(voucher)
    assert voucher.status == "reserved"  # one side only
    match_missions.confirm_completion(provider_user, mission)
    db_session.refresh(voucher)
    assert voucher.status == "redeemed" and voucher.provider_id == provider.id
    assert _balances(db_session, programme, provider) == {"fund": 8_000, "issued": 0, "reserved": 0, "payable": 4_000}
    assert ledger.trial_balance(db_session).balanced


def test_released_when_the_mission_is_cancelled(client, db_session, factory, org, org_user):
    programme = funded_programme(factory)
    voucher = services.request_voucher(org_user, programme, org)
    provider, provider_user = _provider(factory)
    need = _voucher_need(factory, org, org_user)
    _run, _proposal, mission = factory.mission(need, provider_user)
    db_session.refresh(voucher)
    assert voucher.status == "reserved"
    login(client, provider_user)
    answer = post_form(client, f"/missions/{mission.id}/action", {"action": "cancel", "reason": "Indisponible."})
    assert answer.status_code == 302
    db_session.expire_all()
    assert voucher.status == "issued" and voucher.reserved_for is None and voucher.released_at is not None
    assert _balances(db_session, programme, provider) == {"fund": 45_000, "issued": 5_000, "reserved": 0, "payable": 0}
    assert ledger.trial_balance(db_session).balanced
    # Released, it serves the next mission.
    other_need = _voucher_need(factory, org, org_user, title="Un deuxième besoin")
    _run, _proposal, second = factory.mission(other_need, provider_user)
    db_session.refresh(voucher)
    assert voucher.reserved_for == f"mission:{second.id}"


def test_cancelling_the_need_releases_the_vouchers(db_session, factory, org, org_user):
    from app.needs.models import NeedStatus
    from app.needs.services import move_need

    programme = funded_programme(factory)
    voucher = services.request_voucher(org_user, programme, org)
    _provider_obj, provider_user = _provider(factory)
    need = _voucher_need(factory, org, org_user)
    factory.mission(need, provider_user)
    move_need(org_user, need, NeedStatus.CANCELLED, reason="Plus besoin.")
    db_session.refresh(voucher)
    assert voucher.status == "issued"
    assert ledger.trial_balance(db_session).balanced


def test_vouchers_cover_the_offer_price_and_never_more(db_session, factory, org, org_user):
    programme = funded_programme(factory, voucher_count=5, face_value_cents=3_000)
    vouchers = [services.request_voucher(org_user, programme, org) for _ in range(3)]
    provider, provider_user = _provider(factory, price_cents=7_000)
    need = _voucher_need(factory, org, org_user, title="Un site payé par chèques")
    _run, _proposal, mission = factory.mission(need, provider_user)
    reserved = missions.vouchers_for(mission)
    assert len(reserved) == 2 and missions.covered_cents(mission) == 6_000  # a third 30 € would pass the 70 €
    assert missions.remainder_cents(mission) == 1_000  # the rest by card
    match_missions.confirm_completion(org_user, mission)
    match_missions.confirm_completion(provider_user, mission)
    db_session.expire_all()
    assert sorted(v.status for v in vouchers) == ["issued", "redeemed", "redeemed"]
    assert ledger.balance(db_session, f"provider:{provider.id}:payable", natural=True) == 6_000
    assert ledger.trial_balance(db_session).balanced


def test_an_organisation_without_vouchers_reserves_later_from_the_mission_page(
    client, db_session, factory, org, org_user
):
    programme = funded_programme(factory)
    _provider_obj, provider_user = _provider(factory)
    need = _voucher_need(factory, org, org_user)
    _run, _proposal, mission = factory.mission(need, provider_user)
    assert missions.vouchers_for(mission) == []
    login(client, org_user)
    assert "Aucun chèque réservé pour cette mission." in page_text(client.get(f"/missions/{mission.id}"))
    voucher = services.request_voucher(org_user, programme, org)
    page = page_text(client.get(f"/missions/{mission.id}"))
    assert "Réserver mes chèques disponibles pour cette mission" in page
    answer = post_form(client, f"/cheques/missions/{mission.id}/reserver")
    assert answer.status_code == 302
    db_session.refresh(voucher)
    assert voucher.status == "reserved" and voucher.reserved_for == f"mission:{mission.id}"
    # The provider sees the voucher of the mission, not the organisation's page of it.
    login(client, provider_user)
    assert voucher.code in page_text(client.get(f"/missions/{mission.id}"))
    assert client.post(f"/cheques/missions/{mission.id}/reserver").status_code == 403


def test_a_voucher_is_redeemed_once_even_if_completion_is_replayed(db_session, factory, org, org_user):
    programme = funded_programme(factory)
    voucher = services.request_voucher(org_user, programme, org)
    provider, provider_user = _provider(factory)
    need = _voucher_need(factory, org, org_user)
    _run, _proposal, mission = factory.mission(need, provider_user)
    match_missions.confirm_completion(org_user, mission)
    match_missions.confirm_completion(provider_user, mission)
    assert missions.on_mission_done(mission) == []  # a replay redeems nothing more
    assert missions.on_mission_cancelled(mission) == []
    db_session.refresh(voucher)
    assert voucher.status == "redeemed"
    assert ledger.balance(db_session, f"provider:{provider.id}:payable", natural=True) == 5_000
    assert db_session.scalar(select(Voucher.status).where(Voucher.id == voucher.id)) == "redeemed"


def test_a_need_not_funded_by_vouchers_reserves_none(db_session, factory, org, org_user):
    programme = funded_programme(factory)
    voucher = services.request_voucher(org_user, programme, org)
    _provider_obj, provider_user = _provider(factory)
    need = factory.need(organisation=org, user=org_user, funding_mode="paid")
    _run, _proposal, mission = factory.mission(need, provider_user)
    assert missions.vouchers_for(mission) == []
    match_missions.confirm_completion(org_user, mission)
    match_missions.confirm_completion(provider_user, mission)
    db_session.refresh(voucher)
    assert voucher.status == "issued"


def test_the_rest_of_the_price_is_paid_by_card(client, db_session, factory, org, org_user, fake_gateway):
    programme = funded_programme(factory, face_value_cents=5_000)
    voucher = services.request_voucher(org_user, programme, org)
    provider, provider_user = _provider(factory, price_cents=12_000)
    need = _voucher_need(factory, org, org_user)
    _run, _proposal, mission = factory.mission(need, provider_user)
    assert missions.remainder_cents(mission) == 7_000
    login(client, org_user)
    page = page_text(client.get(f"/missions/{mission.id}"))
    assert "Reste à payer : 70 €." in page and "Payer le reste par carte" in page
    pay_page = client.get(f"/cheques/missions/{mission.id}/paiement")
    assert pay_page.status_code == 200 and "Payer 70 €" in page_text(pay_page)
    declined = post_form(client, f"/cheques/missions/{mission.id}/paiement", {"payment_method": "pm_card_declined"})
    assert declined.status_code == 402 and "refusée" in declined.get_json()["message"]
    assert missions.remainder_cents(mission) == 7_000
    three_ds = post_form(
        client, f"/cheques/missions/{mission.id}/paiement", {"payment_method": "pm_card_authenticationRequired"}
    ).get_json()
    assert three_ds["status"] == "requires_action"
    state = client.get(f"/cheques/missions/{mission.id}/paiement/etat").get_json()
    assert state["done"] is False and state["payment"] == "requires_action"
    # The 3-D Secure is abandoned; another card pays (the first intent is cancelled).
    ok = post_form(client, f"/cheques/missions/{mission.id}/paiement", {"payment_method": "pm_card_visa"})
    assert ok.get_json()["status"] == "succeeded"
    db_session.expire_all()
    assert missions.remainder_cents(mission) == 0 and missions.card_paid_cents(mission) == 7_000
    assert sorted(p.status for p in missions.card_payments(mission)) == ["canceled", "failed", "succeeded"]
    state = client.get(f"/cheques/missions/{mission.id}/paiement/etat").get_json()
    assert state["done"] is True and state["redirect"].endswith(f"/missions/{mission.id}")
    again = post_form(client, f"/cheques/missions/{mission.id}/paiement", {"payment_method": "pm_card_visa"})
    assert again.status_code == 409
    # The provider is owed the card part now and the voucher at completion: the whole price.
    assert ledger.balance(db_session, f"provider:{provider.id}:payable", natural=True) == 7_000
    match_missions.confirm_completion(org_user, mission)
    match_missions.confirm_completion(provider_user, mission)
    db_session.refresh(voucher)
    assert voucher.status == "redeemed"
    assert ledger.balance(db_session, f"provider:{provider.id}:payable", natural=True) == 12_000
    assert ledger.trial_balance(db_session).balanced
    # Nobody else pays for, or looks at, this mission's payment.
    stranger = factory.user()
    factory.organisation(owner=stranger, name="Autre association")
    login(client, stranger)
    assert client.get(f"/cheques/missions/{mission.id}/paiement").status_code == 404
    login(client, provider_user)
    assert client.get(f"/cheques/missions/{mission.id}/paiement").status_code == 403


# ------------------------------------------------------------------ issue 10, finding 7: no voucher for free work


def _free_provider(factory):
    provider = factory.provider()
    factory.offer(provider=provider, price_mode="volunteer", price_cents=None)  # « Bénévole (gratuit) »
    return provider, provider.memberships[0].user


def test_a_free_mission_on_a_voucher_need_reserves_and_redeems_no_voucher(client, db_session, factory, org, org_user):
    """The finding: a €50 voucher was redeemed and 5,000 cents owed to the provider for a volunteer offer."""
    programme = funded_programme(factory)
    voucher = services.request_voucher(org_user, programme, org)
    provider, provider_user = _free_provider(factory)
    need = _voucher_need(factory, org, org_user)
    _run, _proposal, mission = factory.mission(need, provider_user)
    db_session.refresh(voucher)
    assert voucher.status == "issued" and missions.vouchers_for(mission) == []
    assert not missions.takes_vouchers(mission) and missions.offer_refusal(mission) == "mission_offer_free"
    # The organisation cannot reserve one later from the mission page either.
    login(client, org_user)
    assert "Réserver mes chèques disponibles" not in page_text(client.get(f"/missions/{mission.id}"))
    answer = post_form(client, f"/cheques/missions/{mission.id}/reserver")
    assert answer.status_code == 302
    assert "offre gratuite" in page_text(client.get(f"/missions/{mission.id}"))
    db_session.expire_all()
    assert voucher.status == "issued"
    assert missions.reserve_for_mission(mission) == []  # the service refuses too
    match_missions.confirm_completion(org_user, mission)
    match_missions.confirm_completion(provider_user, mission)
    db_session.expire_all()
    assert voucher.status == "issued" and voucher.provider_id is None
    assert ledger.balance(db_session, f"provider:{provider.id}:payable", natural=True) == 0
    assert _balances(db_session, programme, provider)["issued"] == 5_000
    assert ledger.trial_balance(db_session).balanced


def test_a_voucher_reserved_before_the_offer_became_free_is_released_not_redeemed(db_session, factory, org, org_user):
    programme = funded_programme(factory)
    voucher = services.request_voucher(org_user, programme, org)
    provider, provider_user = _provider(factory, price_cents=5_000)
    need = _voucher_need(factory, org, org_user)
    _run, _proposal, mission = factory.mission(need, provider_user)
    db_session.refresh(voucher)
    assert voucher.status == "reserved"
    mission.offer.price_mode, mission.offer.price_cents = "volunteer", None  # the provider made it free meanwhile
    db_session.flush()
    match_missions.confirm_completion(org_user, mission)
    match_missions.confirm_completion(provider_user, mission)
    db_session.expire_all()
    assert voucher.status == "issued" and voucher.reserved_for is None  # back to the organisation
    assert ledger.balance(db_session, f"provider:{provider.id}:payable", natural=True) == 0
    assert ledger.trial_balance(db_session).balanced


def test_a_voucher_above_the_offer_price_is_not_used(db_session, factory, org, org_user):
    programme = funded_programme(factory, face_value_cents=5_000)
    voucher = services.request_voucher(org_user, programme, org)
    provider, provider_user = _provider(factory, price_cents=4_000)
    need = _voucher_need(factory, org, org_user)
    _run, _proposal, mission = factory.mission(need, provider_user)
    db_session.refresh(voucher)
    assert voucher.status == "issued" and missions.remainder_cents(mission) == 4_000
    match_missions.confirm_completion(org_user, mission)
    match_missions.confirm_completion(provider_user, mission)
    assert ledger.balance(db_session, f"provider:{provider.id}:payable", natural=True) == 0


def test_an_offer_without_price_takes_exactly_one_voucher(db_session, factory, org, org_user):
    programme = funded_programme(factory, voucher_count=3, face_value_cents=2_000)
    vouchers = [services.request_voucher(org_user, programme, org) for _ in range(2)]
    provider, provider_user = _provider(factory)
    need = _voucher_need(factory, org, org_user)
    _run, _proposal, mission = factory.mission(need, provider_user)
    assert [v.id for v in missions.vouchers_for(mission)] == [vouchers[0].id]
    assert missions.reserve_for_mission(mission) == []  # the second is not taken later either
    match_missions.confirm_completion(org_user, mission)
    match_missions.confirm_completion(provider_user, mission)
    assert ledger.balance(db_session, f"provider:{provider.id}:payable", natural=True) == 2_000
