"""Property-based: random sequences of funding, issue, reserve, redeem, release, block,
expire, refund; after each step the trial balance is zero, no voucher's value is
counted twice, and no mission gets vouchers it may not take: none for a free offer or
one that takes no voucher, never more than the offer's price, one voucher when the
offer has no price (on each database backend)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payments_helpers import MODELS
from sqlalchemy.orm import Session

from payments import checkout, ledger, rules, vouchers
from payments.errors import PaymentsError
from payments.models import use_models
from payments.rules import Eligibility, OrganisationFacts
from payments.testing import FakeGateway
from payments.vouchers import MissionTerms, mission_voucher_refusal

ORGS = [
    OrganisationFacts(id=i, kind="association", commune_insee="13055", siret=siret)
    for i, siret in enumerate(["73282932000074", "35600000000048", "44306184100047"], start=1)
]

#: The missions of the game, by number: the terms of their offer.
MISSIONS = [
    MissionTerms("volunteer", None),
    MissionTerms("voucher", 2_500),
    MissionTerms("paid", 5_000),
    MissionTerms("voucher", None),
    MissionTerms("voucher", 0),
    MissionTerms("voucher", 1_000),
]

operation = st.one_of(
    st.tuples(st.just("fund"), st.integers(0, 1), st.sampled_from([1_000, 2_500, 4_000]), st.booleans()),
    st.tuples(st.just("issue"), st.integers(0, 1), st.integers(0, 2), st.integers(1, 3)),
    st.tuples(st.just("reserve"), st.integers(0, 30), st.integers(0, len(MISSIONS) - 1)),
    st.tuples(st.just("redeem"), st.integers(0, 30), st.integers(0, 3)),
    st.tuples(st.just("release"), st.integers(0, 30)),
    st.tuples(st.just("block"), st.integers(0, 30)),
    st.tuples(st.just("expire"), st.integers(0, 30)),
    st.tuples(st.just("refund"), st.integers(0, 10), st.integers(1, 4_000), st.booleans()),
)


def check_invariants(session, programmes, payments):
    assert ledger.trial_balance(session).balanced
    m = MODELS
    all_vouchers = session.query(m.Voucher).all()
    refunds = session.query(m.PaymentRefund).all()
    by_status: dict[str, int] = {}
    for v in all_vouchers:
        by_status[v.status] = by_status.get(v.status, 0) + v.face_value_cents
    for programme in programmes:
        own = [v for v in all_vouchers if v.programme_id == programme.id]
        for status in ("issued", "reserved", "blocked"):
            assert ledger.balance(session, rules.programme_account(programme.id, status), natural=True) == sum(
                v.face_value_cents for v in own if v.status == status
            )
        funded = sum(
            p.amount_cents for p in payments if p.reference == f"programme:{programme.id}" and p.status == "succeeded"
        )
        ids = {p.id for p in payments if p.reference == f"programme:{programme.id}"}
        refunded_from_fund = sum(r.amount_cents for r in refunds if r.payment_id in ids and not r.absorbed)
        # every funded cent is in exactly one place: the fund, or one voucher
        assert (
            vouchers.available_cents(session, programme) + sum(v.face_value_cents for v in own)
            == funded - refunded_from_fund
        )
    payables = sum(b for code, b in ledger.balances(session, "provider:").items())
    assert -payables == by_status.get("redeemed", 0)
    credits = sum(b for code, b in ledger.balances(session, "funder:").items())
    assert -credits == by_status.get("expired", 0)
    for number, terms in enumerate(MISSIONS):  # the money invariant of missions
        held = [
            v.face_value_cents
            for v in all_vouchers
            if v.reserved_for == f"mission:{number}" and v.status in ("reserved", "redeemed")
        ]
        if terms.price_mode != "voucher" or terms.price_cents == 0:
            assert held == []  # free work, or an offer paid otherwise: no voucher at all
        elif terms.price_cents is None:
            assert len(held) <= 1
        else:
            assert sum(held) <= terms.price_cents


def _covered(session, ref: str, statuses=("reserved", "redeemed")) -> int:
    m = MODELS
    return sum(
        v.face_value_cents
        for v in session.query(m.Voucher).filter(m.Voucher.reserved_for == ref)
        if v.status in statuses
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(operation, min_size=1, max_size=18))
def test_random_sequences_keep_the_books_balanced(engine, steps):
    connection = engine.connect()
    outer = connection.begin()
    session = use_models(Session(bind=connection, join_transaction_mode="create_savepoint"), MODELS)
    gateway = FakeGateway()
    try:
        programmes = [
            vouchers.create_programme(
                session,
                funder_id=10 + i,
                name=f"P{i}",
                face_value_cents=500 * (i + 1),
                budget_cents=20_000,
                eligibility=Eligibility(departements=["13"]),
            )
            for i in range(2)
        ]
        payments, issued = [], []
        for programme in programmes:  # a first funding each, so that most sequences get vouchers going
            payments.append(
                vouchers.start_programme_funding(
                    session, gateway, programme, amount_cents=3_000, payment_method="pm_card_visa", confirm=True
                )[0]
            )
        check_invariants(session, programmes, payments)
        for step in steps:
            kind = step[0]
            try:
                if kind == "fund":
                    _, p, amount, declined = step
                    payment, _ = vouchers.start_programme_funding(
                        session,
                        gateway,
                        programmes[p],
                        amount_cents=amount,
                        payment_method="pm_card_declined" if declined else "pm_card_visa",
                        confirm=True,
                    )
                    payments.append(payment)
                elif kind == "issue":
                    _, p, org, n = step
                    issued += vouchers.issue_vouchers(session, programmes[p], ORGS[org], count=n)
                elif kind in ("reserve", "redeem", "release", "block", "expire") and issued:
                    voucher = issued[step[1] % len(issued)]
                    if kind == "reserve":
                        ref = f"mission:{step[2]}"
                        vouchers.reserve(
                            session, voucher, ref, terms=MISSIONS[step[2]], covered_cents=_covered(session, ref)
                        )
                    elif kind == "redeem":
                        ref = voucher.reserved_for
                        terms = MISSIONS[int(ref.split(":")[1])] if voucher.status == "reserved" else None
                        vouchers.redeem(
                            session,
                            voucher,
                            provider_id=step[2] % 4,
                            mission_ref=ref,
                            terms=terms,
                            covered_cents=_covered(session, ref, ("redeemed",)) if ref else 0,
                        )
                    elif kind == "release":
                        vouchers.release(session, voucher)
                    elif kind == "block":
                        vouchers.block(session, voucher, force=True)
                    else:
                        vouchers.expire(session, voucher, force=True)
                elif kind == "refund" and payments:
                    _, i, amount, absorb = step
                    checkout.refund_payment(session, gateway, payments[i % len(payments)], amount, absorb=absorb)
            except PaymentsError:
                pass  # refused moves are part of the game; they must leave no trace
            check_invariants(session, programmes, payments)
    finally:
        session.close()
        outer.rollback()
        connection.close()


@given(
    terms=st.sampled_from(MISSIONS)
    | st.builds(
        MissionTerms, st.sampled_from(["volunteer", "voucher", "paid", None]), st.none() | st.integers(-100, 20_000)
    ),
    faces=st.lists(st.integers(1, 10_000), max_size=12),
)
def test_vouchers_taken_by_the_rule_never_pay_free_work_nor_more_than_the_price(terms, faces):
    """Pure: whatever vouchers come, those `mission_voucher_refusal` lets through never pay a
    free or non-voucher offer, never exceed its price, and are one when it has no price."""
    taken = []
    for face in faces:
        if mission_voucher_refusal(terms, face, sum(taken)) is None:
            taken.append(face)
    if terms.price_mode != "voucher" or (terms.price_cents is not None and terms.price_cents <= 0):
        assert taken == []
    elif terms.price_cents is None:
        assert len(taken) == min(1, len(faces))
    else:
        assert sum(taken) <= terms.price_cents
        # greedy and exact: a voucher is refused only when it would pass the price
        for face in faces:
            if face not in taken:
                assert mission_voucher_refusal(terms, face, sum(taken)) is not None
