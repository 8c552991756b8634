"""Property: erasing a person changes no figure. Over small generated histories (needs left in every state,
requests answered or not, missions done with feedback, money moved in the ledger, in an organisation the
person runs alone and in one shared with a colleague), the ledger's trial balance and the observatory's
report tables are the same before and after the erasure."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.accounts.services import add_membership
from app.core.jobs import PENDING
from app.core.models import utcnow
from app.extensions import db
from app.matches.missions import confirm_completion, give_feedback
from app.matches.requests import request_with_need
from app.matches.services import respond
from app.needs.models import NeedStatus as NS
from app.needs.services import move_need
from app.observatory import facts as fx
from app.observatory import report
from app.observatory.figures import Period
from app.privacy.erasure import erase_account
from payments import ledger

FATES = ("draft", "open", "cancelled", "requested", "declined", "accepted", "done", "done_feedback")

need_step = st.tuples(st.just("need"), st.integers(0, 1), st.sampled_from(FATES), st.booleans())
money_step = st.tuples(st.just("money"), st.integers(0, 1), st.integers(1, 50_000))
histories = st.lists(st.one_of(need_step, money_step), min_size=1, max_size=6)


def _figures() -> tuple:
    today = utcnow().date()
    period = Period(date(today.year - 1, 1, 1), date(today.year + 1, 1, 1))
    tables = report.build(fx.load(), period, "staff")
    return (
        ledger.trial_balance(db.session).rows,
        [(t.title and str(t.title), [[str(c) for c in row] for row in t.rows]) for t in tables],
    )


def _play(world, history) -> None:
    person, colleague, provider_user, offer, orgs = world
    for step in history:
        if step[0] == "money":  # a voucher paid for work in the organisation: funder -> provider
            _kind, org_index, cents = step
            org = orgs[org_index]
            ledger.post(
                db.session,
                "redemption",
                [("funder:1:credit", cents), (f"provider:{offer.provider_id}:payable", -cents)],
                f"test-{org.id}-{cents}-{utcnow().timestamp()}",
                memo=f"voucher redeemed by organisation {org.id}",
                reference=f"organisation:{org.id}",
            )
            continue
        _kind, org_index, fate, by_colleague = step
        org = orgs[org_index]
        actor = colleague if (by_colleague and org_index == 1) else person  # only the shared one has both
        need = _new_need(actor, org, publish=fate != "draft")
        if fate == "cancelled":
            move_need(actor, need, NS.CANCELLED)
        if fate in ("requested", "declined", "accepted", "done", "done_feedback"):
            if any(p.status.value == "approved" for p in _pending(org, offer)):
                continue  # one pending request per organisation and offer
            proposal = request_with_need(actor, offer, need)
            if fate == "declined":
                respond(provider_user, proposal, accept=False, reason="Pas disponible ce mois-ci.")
            elif fate != "requested":
                mission = respond(provider_user, proposal, accept=True)
                if fate.startswith("done"):
                    confirm_completion(actor, mission)
                    confirm_completion(provider_user, mission)
                if fate == "done_feedback":
                    give_feedback(actor, mission, 4, f"Merci, signé {actor.full_name}")
                    give_feedback(provider_user, mission, 5, "Très bon accueil.")
    db.session.flush()


def _pending(org, offer):
    from sqlalchemy import select

    from app.matches.models import Proposal

    return db.session.scalars(
        select(Proposal)
        .join(Proposal.need)
        .where(Proposal.offer_id == offer.id, Proposal.need.has(organisation_id=org.id))
    ).all()


_counter = iter(range(10**6))


def _new_need(author, org, publish: bool):
    from app.needs.services import create_need

    return create_need(
        author,
        org,
        {
            "title": f"Besoin {next(_counter)}",
            "description": "Un site pour présenter nos activités.",
            "skills": ["presence.site_web"],
            "categories": ["atelier"],
            "commune_insee": org.commune_insee,
            "modality": "both",
            "funding_mode": "volunteer",
            "contact_name": author.full_name,
            "contact_email": author.email,
        },
        publish=publish,
    )


def test_erasure_keeps_the_trial_balance_and_every_report_figure(factory):
    person = factory.user(email="propriete@exemple.fr", name="Prudence Propriété")
    colleague = factory.user(name="Colin Collègue")
    alone = factory.organisation(owner=person, name="Seule Asso")
    shared = factory.organisation(owner=colleague, name="Asso Partagée")
    add_membership(person, organisation=shared)
    provider_user = factory.user(intent="provider", name="Pia Prestataire")
    offer = factory.offer(provider=factory.provider(owner=provider_user))
    ledger.ensure_accounts(db.session, {"funder:1:credit": "EUR", f"provider:{offer.provider_id}:payable": "EUR"})
    world = (person, colleague, provider_user, offer, (alone, shared))

    @settings(
        max_examples=5,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(histories)
    def check(history):
        savepoint = db.session.begin_nested()
        try:
            _play(world, history)
            before = _figures()
            assert erase_account(person.id)
            db.session.flush()
            assert _figures() == before
        finally:
            savepoint.rollback()
            db.session.info.pop(PENDING, None)
            db.session.expire_all()

    check()
