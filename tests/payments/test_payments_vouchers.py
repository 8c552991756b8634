"""Voucher codes, programmes and the status machine (in-memory gateway; SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
import random
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from payments_helpers import new_session

from payments import ledger, rules, vouchers
from payments.codes import EligibilityRefusal
from payments.errors import (
    IllegalVoucherMove,
    InsufficientProgrammeFunds,
    InvalidVoucherCode,
    NotEligible,
    ProgrammeError,
    ProgrammeNotFunded,
    VoucherAlreadyRedeemed,
    VoucherAlreadyReserved,
    VoucherBlocked,
    VoucherExpired,
    VoucherNotFound,
    VoucherNotReserved,
    WrongReservation,
)
from payments.rules import Eligibility, OrganisationFacts
from payments.testing import FakeGateway
from payments.vouchers import ALPHABET, CHECK_SYMBOLS, generate_code, normalise_code, validate_code

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SIRET = "73282932000074"
ORG = OrganisationFacts(id=4, kind="association", commune_insee="13055", siret=SIRET)


# ---------------------------------------------------------------- codes


def test_code_shape_and_alphabet():
    codes = {generate_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in itertools.islice(codes, 200):
        prefix, *groups, check = code.split("-")
        assert prefix == "HUB" and [len(g) for g in groups] == [4, 4, 4] and len(check) == 1
        assert set("".join(groups)) <= set(ALPHABET) and check in ALPHABET  # no * ~ $ = U
        assert validate_code(code) and normalise_code(code) == code


def test_code_reading_is_forgiving():
    code = generate_code()
    sloppy = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert normalise_code(sloppy) == code
    assert normalise_code(code.replace("HUB-", "")) == code


def _data_and_check(code: str) -> tuple[str, str]:
    text = code.replace("-", "")[3:]
    return text[:-1], text[-1]


@pytest.mark.parametrize("seed", range(6))
def test_check_symbol_catches_every_single_typo(seed):
    rng = random.Random(seed)
    code = generate_code(randbelow=rng.randrange)
    data, check = _data_and_check(code)
    for i, original in enumerate(data):
        for replacement in ALPHABET:
            if replacement == original:
                continue
            typo = data[:i] + replacement + data[i + 1 :]
            assert not validate_code(typo + check), (code, typo)
    for wrong in CHECK_SYMBOLS:
        if wrong != check:
            assert not validate_code(data + wrong)


@pytest.mark.parametrize("seed", range(6))
def test_check_symbol_catches_every_adjacent_transposition(seed):
    rng = random.Random(100 + seed)
    code = generate_code(randbelow=rng.randrange)
    data, check = _data_and_check(code)
    text = data + check
    for i in range(len(text) - 1):
        if text[i] == text[i + 1]:
            continue
        swapped = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        assert not validate_code(swapped), (code, swapped)


def test_malformed_codes_refused():
    for raw in ("", "HUB-1234", "HUB-UUUU-UUUU-UUUU-0", "HUB-7K3M-9QZT-4RWD-XX", None, 42):
        assert not validate_code(raw)
    with pytest.raises(InvalidVoucherCode):
        normalise_code("HUB-7K3M-9QZT-4RWD")


# ---------------------------------------------------------------- helpers


def funded_programme(db, gateway=None, *, count=5, face=1_000, eligibility=None, validity_days=365, funder=5):
    gateway = gateway or FakeGateway()
    programme = vouchers.create_programme(
        db,
        funder_id=funder,
        name="Pass Sud",
        face_value_cents=face,
        voucher_count=count,
        validity_days=validity_days,
        eligibility=eligibility or Eligibility(departements=["13", "83"], max_per_organisation=10),
    )
    payment, info = vouchers.start_programme_funding(
        db, gateway, programme, payment_method="pm_card_visa", confirm=True
    )
    assert info.succeeded and payment.status == "succeeded"
    return programme


def status_invariant(db, programme):
    """The programme sub-accounts hold exactly the face value of the vouchers in each status."""
    figures = vouchers.programme_figures(db, programme)
    for status in ("issued", "reserved", "blocked"):
        assert (
            ledger.balance(db, rules.programme_account(programme.id, status), natural=True)
            == figures["vouchers"][status]["cents"]
        )
    assert ledger.trial_balance(db).balanced


# ---------------------------------------------------------------- programmes


def test_no_voucher_before_the_programme_is_paid(db):
    gateway = FakeGateway()
    programme = vouchers.create_programme(db, funder_id=5, name="P", face_value_cents=1_000, voucher_count=3)
    with pytest.raises(ProgrammeNotFunded):
        vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    payment, info = vouchers.start_programme_funding(
        db, gateway, programme, payment_method="pm_card_declined", confirm=True
    )
    assert info.failed and payment.status == "failed" and programme.status == "awaiting_payment"
    assert info.message_code == "card_declined"  # worded by the app (tests/vouchers)
    with pytest.raises(ProgrammeNotFunded):
        vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    assert ledger.balance(db, "stripe:clearing") == 0
    vouchers.start_programme_funding(db, gateway, programme, payment_method="pm_card_visa", confirm=True)
    assert programme.status == "funded"
    assert ledger.balance(db, "stripe:clearing") == 3_000
    assert vouchers.available_cents(db, programme) == 3_000


def test_issue_within_budget_and_eligibility(db):
    programme = funded_programme(
        db,
        count=3,
        eligibility=Eligibility(departements=["13"], max_per_organisation=2, organisation_kinds=["association"]),
    )
    issued = vouchers.issue_vouchers(db, programme, ORG, count=2, now=NOW)
    assert [v.status for v in issued] == ["issued", "issued"]
    assert vouchers.available_cents(db, programme) == 1_000
    v = issued[0]
    assert v.expires_at == NOW + timedelta(days=365) and v.blocks_at == v.expires_at - timedelta(days=15)
    with pytest.raises(NotEligible) as info:
        vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    assert any(r.code == EligibilityRefusal.LIMIT_REACHED and r.limit for r in info.value.reasons)
    with pytest.raises(NotEligible):  # another organisation with the same SIRET
        vouchers.issue_vouchers(
            db, programme, OrganisationFacts(id=99, kind="association", commune_insee="13001", siret=SIRET), now=NOW
        )
    with pytest.raises(NotEligible) as info:
        vouchers.issue_vouchers(
            db, programme, OrganisationFacts(id=7, kind="tpe", commune_insee="06088", siret="35600000000048"), now=NOW
        )
    assert len(info.value.reasons) == 2
    with pytest.raises(ProgrammeError):  # count reached after the third
        other = OrganisationFacts(id=8, kind="association", commune_insee="13201", siret="35600000000048")
        vouchers.issue_vouchers(db, programme, other, now=NOW)
        vouchers.issue_vouchers(db, programme, other, now=NOW)
    status_invariant(db, programme)


def test_insufficient_funds_when_partly_funded(db):
    gateway = FakeGateway()
    programme = vouchers.create_programme(db, funder_id=5, name="P", face_value_cents=1_000, budget_cents=5_000)
    vouchers.start_programme_funding(
        db, gateway, programme, amount_cents=1_500, payment_method="pm_card_visa", confirm=True
    )
    vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    with pytest.raises(InsufficientProgrammeFunds):
        vouchers.issue_vouchers(db, programme, ORG, now=NOW)


# ---------------------------------------------------------------- status machine


def test_full_life_reserve_release_reserve_redeem(db):
    programme = funded_programme(db)
    (v,) = vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    assert vouchers.find_by_code(db, v.code.lower()).id == v.id
    vouchers.reserve(db, v, "mission:1", now=NOW)
    status_invariant(db, programme)
    vouchers.release(db, v, "mission:1", now=NOW)
    assert v.status == "issued" and v.reserved_for is None
    vouchers.reserve(db, v, "mission:2", now=NOW)
    vouchers.redeem(db, v, provider_id=7, mission_ref="mission:2", now=NOW)
    assert v.status == "redeemed" and v.provider_id == 7 and v.version == 5
    assert ledger.balance(db, "provider:7:payable", natural=True) == 1_000
    status_invariant(db, programme)
    assert len(ledger.transactions_for(db, f"voucher:{v.id}")) == 5  # issue, reserve, release, reserve, redeem


def test_illegal_moves_raise_named_errors(db):
    programme = funded_programme(db)
    a, b = vouchers.issue_vouchers(db, programme, ORG, count=2, now=NOW)
    with pytest.raises(VoucherNotReserved):
        vouchers.redeem(db, a, provider_id=7, now=NOW)
    with pytest.raises(VoucherNotReserved):
        vouchers.release(db, a, now=NOW)
    vouchers.reserve(db, a, "mission:1", now=NOW)
    with pytest.raises(VoucherAlreadyReserved):
        vouchers.reserve(db, a, "mission:2", now=NOW)
    with pytest.raises(WrongReservation):
        vouchers.redeem(db, a, provider_id=7, mission_ref="mission:2", now=NOW)
    with pytest.raises(VoucherAlreadyReserved):
        vouchers.block(db, a, now=a.blocks_at)
    vouchers.redeem(db, a, provider_id=7, now=NOW)
    for move in (
        lambda: vouchers.redeem(db, a, provider_id=7, now=NOW),
        lambda: vouchers.reserve(db, a, "m", now=NOW),
        lambda: vouchers.release(db, a, now=NOW),
        lambda: vouchers.expire(db, a, now=a.expires_at),
    ):
        with pytest.raises(VoucherAlreadyRedeemed):
            move()
    with pytest.raises(IllegalVoucherMove):  # too early to block
        vouchers.block(db, b, now=NOW)
    with pytest.raises(VoucherBlocked):  # within the last 15 days
        vouchers.reserve(db, b, "mission:3", now=b.blocks_at + timedelta(hours=1))
    vouchers.block(db, b, now=b.blocks_at)
    with pytest.raises(VoucherBlocked):
        vouchers.reserve(db, b, "mission:3", now=b.blocks_at)
    with pytest.raises(IllegalVoucherMove):
        vouchers.expire(db, b, now=b.blocks_at)
    vouchers.expire(db, b, now=b.expires_at)
    with pytest.raises(VoucherExpired):
        vouchers.reserve(db, b, "mission:3", now=b.expires_at)
    with pytest.raises(VoucherExpired):
        vouchers.expire(db, b, now=b.expires_at)
    with pytest.raises(VoucherNotFound):
        vouchers.find_by_code(db, generate_code())
    status_invariant(db, programme)


def test_stale_object_cannot_double_redeem(db, models):
    programme = funded_programme(db)
    (v,) = vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    vouchers.reserve(db, v, "mission:1", now=NOW)
    vouchers.redeem(db, v, provider_id=7, now=NOW)
    # an out-of-date copy of the row, as another request would hold it
    from sqlalchemy.orm.attributes import set_committed_value

    set_committed_value(v, "status", "reserved")
    set_committed_value(v, "version", 2)
    with pytest.raises(VoucherAlreadyRedeemed):
        vouchers.redeem(db, v, provider_id=8, now=NOW)
    assert ledger.balance(db, "provider:8:payable") == 0


def test_daily_expiry_job(db):
    programme = funded_programme(db, count=4, validity_days=60)
    a, b, c, d = vouchers.issue_vouchers(db, programme, ORG, count=4, now=NOW)
    vouchers.reserve(db, b, "mission:1", now=NOW)
    vouchers.reserve(db, c, "mission:2", now=NOW)
    vouchers.redeem(db, c, provider_id=7, now=NOW)
    report = vouchers.run_expiry(db, now=NOW + timedelta(days=31))
    assert {v.id for v in report.to_warn} == {a.id, b.id, d.id} and not report.blocked and not report.expired
    assert vouchers.run_expiry(db, now=NOW + timedelta(days=32)).to_warn == []  # warned once
    report = vouchers.run_expiry(db, now=NOW + timedelta(days=46))
    assert {v.id for v in report.blocked} == {a.id, d.id}
    status_invariant(db, programme)
    report = vouchers.run_expiry(db, now=NOW + timedelta(days=60))
    assert {v.id for v in report.expired} == {a.id, b.id, d.id}
    assert ledger.balance(db, "funder:5:credit", natural=True) == 3_000
    assert vouchers.run_expiry(db, now=NOW + timedelta(days=61)).expired == []
    figures = vouchers.programme_figures(db, programme)
    assert figures["vouchers"]["expired"] == {"count": 3, "cents": 3_000}
    assert figures["vouchers"]["redeemed"] == {"count": 1, "cents": 1_000}
    status_invariant(db, programme)


def test_close_programme_returns_unissued_value(db):
    programme = funded_programme(db, count=5)
    vouchers.issue_vouchers(db, programme, ORG, count=2, now=NOW)
    vouchers.close_programme(db, programme)
    assert programme.status == "closed"
    assert ledger.balance(db, "funder:5:credit", natural=True) == 3_000
    assert vouchers.available_cents(db, programme) == 0


# ---------------------------------------------------------------- concurrency (real commits)


def test_concurrent_reserve_and_redeem_exactly_once(commit_engine, backend):
    """Many threads race to reserve then redeem the same vouchers; each voucher is redeemed once."""
    gateway = FakeGateway()
    threads_count, voucher_count = (8, 6) if backend == "postgresql" else (4, 3)
    with new_session(commit_engine) as session:
        programme = funded_programme(session, gateway, count=voucher_count, funder=int(time.time() * 1000) % 10**6)
        issued = vouchers.issue_vouchers(session, programme, ORG, count=voucher_count, now=NOW)
        session.commit()
        ids, programme_id = [v.id for v in issued], programme.id
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(threads_count)

    def worker(n):
        barrier.wait()
        for voucher_id in ids:
            for move in ("reserve", "redeem"):
                for _attempt in range(20):
                    try:
                        with new_session(commit_engine) as session:
                            v = session.get(session.info["payments.models"].Voucher, voucher_id)
                            if move == "reserve":
                                vouchers.reserve(session, v, f"mission:{n}", now=NOW)
                            else:
                                vouchers.redeem(session, v, provider_id=100 + n, mission_ref=f"mission:{n}", now=NOW)
                            session.commit()
                        result = f"{move}:ok"
                    except IllegalVoucherMove as exc:
                        result = f"{move}:{exc.code}"
                    except Exception as exc:  # SQLite: database is locked -> try again
                        if "locked" not in str(exc):
                            raise
                        time.sleep(0.01)
                        continue
                    with lock:
                        outcomes[result] = outcomes.get(result, 0) + 1
                    break

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(f"\n{backend}: {threads_count} threads x {voucher_count} vouchers, outcomes {dict(sorted(outcomes.items()))}")
    assert outcomes.get("reserve:ok") == voucher_count
    assert outcomes.get("redeem:ok") == voucher_count
    with new_session(commit_engine) as session:
        m = session.info["payments.models"]
        statuses = [session.get(m.Voucher, i).status for i in ids]
        assert statuses == ["redeemed"] * voucher_count
        payable = sum(
            ledger.balance(session, f"provider:{100 + n}:payable", natural=True) for n in range(threads_count)
        )
        assert payable == voucher_count * 1_000
        assert ledger.balance(session, rules.programme_account(programme_id, "reserved")) == 0
        assert ledger.trial_balance(session).balanced
