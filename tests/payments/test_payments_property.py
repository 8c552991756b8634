"""Property-based: random sequences of funding, issue, reserve, redeem, release, block,
expire, refund; after each step the trial balance is zero and no voucher's value is
counted twice (on each database backend)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from payments import checkout, ledger, rules, vouchers
from payments.errors import PaymentsError
from payments.models import use_models
from payments.rules import Eligibility, OrganisationFacts
from payments.testing import FakeGateway

from payments_helpers import MODELS

ORGS = [OrganisationFacts(id=i, kind="association", commune_insee="13055", siret=siret)
        for i, siret in enumerate(["73282932000074", "35600000000048", "44306184100047"], start=1)]

operation = st.one_of(
    st.tuples(st.just("fund"), st.integers(0, 1), st.sampled_from([1_000, 2_500, 4_000]), st.booleans()),
    st.tuples(st.just("issue"), st.integers(0, 1), st.integers(0, 2), st.integers(1, 3)),
    st.tuples(st.just("reserve"), st.integers(0, 30), st.integers(0, 3)),
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
            assert ledger.balance(session, rules.programme_account(programme.id, status), natural=True) == \
                sum(v.face_value_cents for v in own if v.status == status)
        funded = sum(p.amount_cents for p in payments if p.reference == f"programme:{programme.id}" and p.status == "succeeded")
        ids = {p.id for p in payments if p.reference == f"programme:{programme.id}"}
        refunded_from_fund = sum(r.amount_cents for r in refunds if r.payment_id in ids and not r.absorbed)
        # every funded cent is in exactly one place: the fund, or one voucher
        assert vouchers.available_cents(session, programme) + sum(v.face_value_cents for v in own) == funded - refunded_from_fund
    payables = sum(b for code, b in ledger.balances(session, "provider:").items())
    assert -payables == by_status.get("redeemed", 0)
    credits = sum(b for code, b in ledger.balances(session, "funder:").items())
    assert -credits == by_status.get("expired", 0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(operation, min_size=1, max_size=18))
def test_random_sequences_keep_the_books_balanced(engine, steps):
    connection = engine.connect()
    outer = connection.begin()
    session = use_models(Session(bind=connection, join_transaction_mode="create_savepoint"), MODELS)
    gateway = FakeGateway()
    try:
        programmes = [vouchers.create_programme(session, funder_id=10 + i, name=f"P{i}", face_value_cents=500 * (i + 1),
                                                budget_cents=20_000, eligibility=Eligibility(departements=["13"]))
                      for i in range(2)]
        payments, issued = [], []
        for programme in programmes:  # a first funding each, so that most sequences get vouchers going
            payments.append(vouchers.start_programme_funding(session, gateway, programme, amount_cents=3_000,
                                                             payment_method="pm_card_visa", confirm=True)[0])
        check_invariants(session, programmes, payments)
        for step in steps:
            kind = step[0]
            try:
                if kind == "fund":
                    _, p, amount, declined = step
                    payment, _ = vouchers.start_programme_funding(
                        session, gateway, programmes[p], amount_cents=amount,
                        payment_method="pm_card_declined" if declined else "pm_card_visa", confirm=True)
                    payments.append(payment)
                elif kind == "issue":
                    _, p, org, n = step
                    issued += vouchers.issue_vouchers(session, programmes[p], ORGS[org], count=n)
                elif kind in ("reserve", "redeem", "release", "block", "expire") and issued:
                    voucher = issued[step[1] % len(issued)]
                    if kind == "reserve":
                        vouchers.reserve(session, voucher, f"mission:{step[2]}")
                    elif kind == "redeem":
                        vouchers.redeem(session, voucher, provider_id=step[2], mission_ref=voucher.reserved_for)
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
