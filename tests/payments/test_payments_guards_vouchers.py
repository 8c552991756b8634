"""Every refusal of `payments.vouchers`, pinned with its exact error and the value just inside
each limit (issue 10, finding 10), and the mission money invariant enforced by the status
machine itself (finding 7): `reserve`/`redeem` with the mission's terms refuse a voucher for free
work or above the price, and leave no trace. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from payments import checkout, ledger, vouchers
from payments.codes import EligibilityRefusal, Ineligibility
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
    VoucherNotForMission,
    VoucherNotReserved,
    VoucherNotYetValid,
    WrongReservation,
)
from payments.rules import Eligibility, OrganisationFacts
from payments.testing import FakeGateway
from payments.vouchers import MissionTerms

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ORG = OrganisationFacts(id=4, kind="association", commune_insee="13055", siret="73282932000074")
OTHER = OrganisationFacts(id=5, kind="association", commune_insee="13055", siret="35600000000048")


def programme_of(db, *, count=3, face=1_000, funded=True, **values):
    programme = vouchers.create_programme(
        db,
        funder_id=5,
        name="Pass",
        face_value_cents=face,
        voucher_count=count,
        eligibility=Eligibility(departements=["13"]),
        **values,
    )
    if funded:
        vouchers.start_programme_funding(db, FakeGateway(), programme, payment_method="pm_card_visa", confirm=True)
    return programme


def _ledger_rows(db, models):
    return db.query(models.LedgerTransaction).count()


# ---------------------------------------------------------------- codes


@pytest.mark.parametrize(
    "raw, why",
    [
        (None, "not a code"),
        (12, "not a code"),
        ("", "symbols and a check symbol"),
        ("HUB-7K3M-9QZT-4RWD", "symbols and a check symbol"),
        ("HUB-7K3M-9QZT-4RWD-XX", "symbols and a check symbol"),
        ("HUB-7K3M-9QZT-4RWU-X", "is not used in codes"),
        ("HUB-7K3M-9QZT-4RW!-X", "is not used in codes"),
    ],
)
def test_malformed_codes_say_why(raw, why):
    with pytest.raises(InvalidVoucherCode, match=why):
        vouchers.normalise_code(raw)
    assert vouchers.validate_code(raw) is False


def test_a_wrong_check_symbol_is_refused_and_lookalikes_read():
    code = vouchers.format_code("0123456789AB")
    data, check = code.replace("-", "")[3:-1], code[-1]
    wrong = next(c for c in vouchers.CHECK_SYMBOLS if c != check)
    with pytest.raises(InvalidVoucherCode, match="check symbol does not match"):
        vouchers.normalise_code(f"HUB{data}{wrong}")
    assert vouchers.normalise_code(f"  hub {data.lower()} {check.lower()} ") == code
    assert vouchers.normalise_code(data + check) == code  # without the prefix
    assert vouchers.normalise_code(code.replace("0", "O").replace("1", "I")) == code
    assert vouchers.normalise_code(code.replace("1", "L")) == code
    assert (
        vouchers.check_symbol("0") == "0" and vouchers.check_symbol("Z") == "Z" and vouchers.check_symbol("10") == "*"
    )
    assert vouchers.format_code("ABCDEFGHJKMN").startswith("HUB-ABCD-EFGH-JKMN-")


def test_generated_codes_avoid_check_only_symbols():
    draws = iter([0] * 11 + [1] + [0] * 12)  # the first draw "000000000001": check "1"; never "*~$=U"
    code = vouchers.generate_code(lambda _n: next(draws))
    assert code == vouchers.format_code("000000000001") and code[-1] == "1"
    values = iter([31] * 12 + [0] * 12)  # "ZZZ...Z": its check symbol is a check-only one, drawn again
    if vouchers.check_symbol("Z" * 12) not in vouchers.ALPHABET:
        assert vouchers.generate_code(lambda _n: next(values)) == vouchers.format_code("0" * 12)


# ---------------------------------------------------------------- programmes


@pytest.mark.parametrize(
    "values, why",
    [
        ({"face_value_cents": 0, "voucher_count": 1}, "face_value_cents must be a positive integer"),
        ({"face_value_cents": -5, "voucher_count": 1}, "face_value_cents must be a positive integer"),
        ({"face_value_cents": 10.0, "voucher_count": 1}, "face_value_cents must be a positive integer"),
        ({"face_value_cents": 100, "voucher_count": 0}, "voucher_count must be positive"),
        ({"face_value_cents": 100, "voucher_count": -1}, "voucher_count must be positive"),
        ({"face_value_cents": 100, "voucher_count": 2, "budget_cents": 300}, "does not match voucher_count"),
        ({"face_value_cents": 100, "budget_cents": 99}, "must cover at least one voucher"),
        ({"face_value_cents": 100}, "must cover at least one voucher"),
        ({"face_value_cents": 100, "budget_cents": 150.0}, "must cover at least one voucher"),
    ],
)
def test_programme_creation_refusals(db, models, values, why):
    with pytest.raises(ValueError, match=why):
        vouchers.create_programme(db, funder_id=5, name="P", **values)
    assert db.query(models.VoucherProgramme).count() == 0


def test_programme_creation_at_the_limits(db):
    one = vouchers.create_programme(db, funder_id=5, name="P", face_value_cents=100, budget_cents=100)
    assert (one.budget_cents, one.voucher_count, one.status, one.currency) == (100, None, "draft", "EUR")
    two = vouchers.create_programme(db, funder_id=5, name="P", face_value_cents=100, voucher_count=2, budget_cents=200)
    assert two.budget_cents == 200 and two.eligibility["require_siret"] is True
    three = vouchers.create_programme(
        db,
        funder_id=5,
        name="P",
        face_value_cents=1,
        voucher_count=1,
        eligibility={"departements": ["13"], "require_siret": False},
    )
    assert three.budget_cents == 1 and three.eligibility["departements"] == ["13"]
    assert three.eligibility["require_siret"] is False


def test_a_closed_programme_takes_no_payment(db):
    programme = programme_of(db, funded=False)
    vouchers.close_programme(db, programme)
    with pytest.raises(ProgrammeError, match="programme closed"):
        vouchers.start_programme_funding(db, FakeGateway(), programme, payment_method="pm_card_visa", confirm=True)


def test_funding_moves_the_status_once(db):
    programme, gateway = programme_of(db, funded=False), FakeGateway()
    assert programme.status == "draft"
    payment, _info = vouchers.start_programme_funding(
        db, gateway, programme, amount_cents=1_000, payment_method="pm_card_declined", confirm=True
    )
    assert programme.status == "awaiting_payment" and payment.amount_cents == 1_000
    payment, _info = vouchers.start_programme_funding(
        db, gateway, programme, payment_method="pm_card_visa", confirm=True
    )
    assert programme.status == "funded" and programme.funded_at is not None
    assert vouchers.available_cents(db, programme) == 3_000
    funded_at = programme.funded_at
    vouchers.on_programme_funded(db, payment)  # again: no change
    assert programme.status == "funded" and programme.funded_at == funded_at


def test_the_funding_hook_ignores_other_references(db):
    from types import SimpleNamespace

    programme = programme_of(db, funded=False)
    for reference in ("licence:1", None, f"x-programme:{programme.id}"):
        vouchers.on_programme_funded(db, SimpleNamespace(reference=reference))
    assert programme.status == "draft"
    vouchers.on_programme_funded(db, SimpleNamespace(reference=f"programme:{programme.id}"))
    assert programme.status == "funded"


@pytest.mark.parametrize("count", [0, -1])
def test_issuing_zero_or_fewer_is_refused(db, count):
    programme = programme_of(db)
    with pytest.raises(ValueError, match="count must be positive"):
        vouchers.issue_vouchers(db, programme, ORG, count=count, now=NOW)


def test_issuing_refusals_and_limits(db, models):
    unfunded = programme_of(db, funded=False)
    with pytest.raises(ProgrammeNotFunded, match="is draft"):
        vouchers.issue_vouchers(db, unfunded, ORG, now=NOW)
    programme = programme_of(db, count=3)
    with pytest.raises(NotEligible) as info:
        vouchers.issue_vouchers(db, programme, OrganisationFacts(id=9, commune_insee="06088", siret=ORG.siret), now=NOW)
    assert info.value.reasons == [Ineligibility(EligibilityRefusal.TERRITORY)]
    with pytest.raises(ProgrammeError, match="3 voucher\\(s\\) left"):
        vouchers.issue_vouchers(db, programme, ORG, count=4, now=NOW)
    issued = vouchers.issue_vouchers(db, programme, ORG, count=3, now=NOW)  # exactly the count
    assert len(issued) == 3 and vouchers.available_cents(db, programme) == 0
    with pytest.raises(ProgrammeError, match="0 voucher\\(s\\) left"):
        vouchers.issue_vouchers(db, programme, OTHER, now=NOW)
    assert db.query(models.Voucher).count() == 3


def test_the_same_siret_in_two_organisations_is_refused(db):
    programme = programme_of(db)
    vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    twin = OrganisationFacts(id=77, kind="association", commune_insee="13055", siret="732 829 320 00074")
    with pytest.raises(NotEligible) as info:
        vouchers.issue_vouchers(db, programme, twin, now=NOW)
    assert info.value.reasons == [Ineligibility(EligibilityRefusal.SIRET_SHARED)]
    vouchers.issue_vouchers(db, programme, OTHER, now=NOW)  # another SIRET is fine
    vouchers.issue_vouchers(db, programme, ORG, now=NOW)  # and the first organisation again


def test_max_per_organisation_counts_what_it_already_holds(db):
    programme = vouchers.create_programme(
        db,
        funder_id=5,
        name="P",
        face_value_cents=100,
        voucher_count=5,
        eligibility=Eligibility(max_per_organisation=2),
    )
    vouchers.start_programme_funding(db, FakeGateway(), programme, payment_method="pm_card_visa", confirm=True)
    vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    with pytest.raises(NotEligible):
        vouchers.issue_vouchers(db, programme, ORG, count=2, now=NOW)
    vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    vouchers.issue_vouchers(db, programme, OTHER, count=2, now=NOW)


def test_insufficient_funds_for_a_budget_programme(db):
    programme = vouchers.create_programme(db, funder_id=5, name="P", face_value_cents=1_000, budget_cents=2_500)
    vouchers.start_programme_funding(db, FakeGateway(), programme, payment_method="pm_card_visa", confirm=True)
    vouchers.issue_vouchers(db, programme, ORG, count=2, now=NOW)
    with pytest.raises(InsufficientProgrammeFunds, match="500 cents left"):
        vouchers.issue_vouchers(db, programme, OTHER, now=NOW)


def test_a_programme_ending_too_soon_issues_nothing(db, models):
    end = NOW + timedelta(days=15)
    programme = programme_of(db, valid_until=end)
    with pytest.raises(ProgrammeError, match="ends too soon"):
        vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    assert db.query(models.Voucher).count() == 0
    (voucher,) = vouchers.issue_vouchers(db, programme, ORG, now=NOW - timedelta(seconds=1))  # just in time
    assert voucher.status == "issued" and voucher.face_value_cents == 1_000 and voucher.version == 1
    assert voucher.holder_siret == "73282932000074" and voucher.organisation_id == 4


def test_issued_vouchers_carry_their_dates_and_ledger(db):
    programme = programme_of(db, count=2)
    a, b = vouchers.issue_vouchers(db, programme, ORG, count=2, now=NOW)
    assert vouchers.rules.utc(a.expires_at) == NOW + timedelta(days=365)
    assert vouchers.rules.utc(a.blocks_at) == NOW + timedelta(days=350)
    assert ledger.balance(db, f"programme:{programme.id}:issued", natural=True) == 2_000
    assert [t.idempotency_key for t in ledger.transactions_for(db, f"voucher:{a.id}")] == [f"voucher:{a.id}:v1:issue"]
    assert vouchers.find_by_code(db, a.code.lower()).id == a.id
    assert vouchers.find_by_code(db, b.code, lock=True).id == b.id


def test_close_programme_with_nothing_left_posts_nothing(db):
    programme = programme_of(db, count=1)
    vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    assert vouchers.close_programme(db, programme) is None
    assert programme.status == "closed" and ledger.balance(db, "funder:5:credit") == 0


# ---------------------------------------------------------------- the status machine, limit by limit


def test_reserve_between_valid_from_and_blocks_at(db):
    programme = programme_of(db, count=3, valid_from=NOW + timedelta(days=1))
    a, b, c = vouchers.issue_vouchers(db, programme, ORG, count=3, now=NOW)
    with pytest.raises(VoucherNotYetValid):
        vouchers.reserve(db, a, "mission:1", now=NOW + timedelta(days=1) - timedelta(seconds=1))
    vouchers.reserve(db, a, "mission:1", now=NOW + timedelta(days=1))  # the first valid instant
    with pytest.raises(VoucherBlocked):
        vouchers.reserve(db, b, "mission:2", now=b.blocks_at)
    vouchers.reserve(db, b, "mission:2", now=vouchers.rules.utc(b.blocks_at) - timedelta(seconds=1))
    with pytest.raises(VoucherExpired):
        vouchers.reserve(db, c, "mission:3", now=c.expires_at)
    assert (a.status, a.reserved_for, b.status, c.status) == ("reserved", "mission:1", "reserved", "issued")
    assert a.version == 2 and vouchers.rules.utc(a.reserved_at) == NOW + timedelta(days=1)


def test_redeem_release_block_expire_at_their_limits(db):
    programme = programme_of(db, count=3)
    a, b, c = vouchers.issue_vouchers(db, programme, ORG, count=3, now=NOW)
    vouchers.reserve(db, a, "mission:1", now=NOW)
    with pytest.raises(VoucherExpired):
        vouchers.redeem(db, a, 7, "mission:1", now=a.expires_at)
    with pytest.raises(WrongReservation):
        vouchers.release(db, a, "mission:2", now=NOW)
    vouchers.release(db, a, "mission:1", now=NOW)
    assert a.status == "issued" and a.reserved_for is None and a.released_at is not None
    with pytest.raises(IllegalVoucherMove, match="blocks on"):
        vouchers.block(db, b, now=vouchers.rules.utc(b.blocks_at) - timedelta(seconds=1))
    vouchers.block(db, b, now=b.blocks_at)
    assert b.status == "blocked" and ledger.balance(db, f"programme:{programme.id}:blocked", natural=True) == 1_000
    vouchers.block(db, c, now=NOW, force=True)  # a staff decision, earlier
    with pytest.raises(IllegalVoucherMove, match="expires on"):
        vouchers.expire(db, b, now=vouchers.rules.utc(b.expires_at) - timedelta(seconds=1))
    vouchers.expire(db, c, now=NOW, force=True)
    vouchers.expire(db, b, now=b.expires_at)
    assert ledger.balance(db, "funder:5:credit", natural=True) == 2_000
    with pytest.raises(VoucherExpired):
        vouchers.block(db, b, now=b.expires_at, force=True)
    with pytest.raises(VoucherExpired):
        vouchers.redeem(db, b, 7, now=b.expires_at)
    with pytest.raises(VoucherNotReserved):
        vouchers.redeem(db, a, 7, now=NOW)
    vouchers.reserve(db, a, "mission:3", now=NOW)
    with pytest.raises(VoucherAlreadyReserved):
        vouchers.block(db, a, now=NOW, force=True)
    with pytest.raises(VoucherAlreadyReserved):
        vouchers.reserve(db, a, "mission:3", now=NOW)
    vouchers.redeem(db, a, 7, "mission:3", now=NOW)
    assert a.provider_id == 7 and a.status == "redeemed" and a.version == 5
    assert ledger.balance(db, "provider:7:payable", natural=True) == 1_000
    with pytest.raises(VoucherAlreadyRedeemed):
        vouchers.block(db, a, now=NOW, force=True)
    with pytest.raises(VoucherAlreadyRedeemed):
        vouchers.expire(db, a, now=NOW, force=True)
    assert ledger.trial_balance(db).balanced


def test_refusal_mapping_of_every_status_and_move():
    class V:
        id = 1

    expected = {
        ("reserve", "redeemed"): VoucherAlreadyRedeemed,
        ("reserve", "expired"): VoucherExpired,
        ("reserve", "reserved"): VoucherAlreadyReserved,
        ("reserve", "blocked"): VoucherBlocked,
        ("redeem", "issued"): VoucherNotReserved,
        ("redeem", "blocked"): VoucherNotReserved,
        ("release", "issued"): VoucherNotReserved,
        ("release", "blocked"): VoucherNotReserved,
        ("redeem", "reserved"): IllegalVoucherMove,
        ("block", "reserved"): VoucherAlreadyReserved,
        ("block", "blocked"): IllegalVoucherMove,
        ("expire", "expired"): VoucherExpired,
        ("reserve", "odd"): IllegalVoucherMove,
    }
    for (move, status), kind in expected.items():
        error = vouchers._refusal(move, V, status, None)
        assert type(error) is kind, (move, status)
        assert (error.voucher_id, error.status, error.move) == (1, status, move)
    assert type(vouchers._refusal("redeem", V, "reserved", "mission:2")) is WrongReservation
    assert type(vouchers._refusal("release", V, "reserved", "mission:2")) is WrongReservation


# ---------------------------------------------------------------- the mission money invariant in the machine


@pytest.mark.parametrize(
    "terms, reason",
    [
        (MissionTerms("volunteer", None), "mission_offer_free"),
        (MissionTerms("voucher", 0), "mission_offer_free"),
        (MissionTerms("paid", 5_000), "mission_offer_not_voucher"),
        (MissionTerms("voucher", 999), "mission_voucher_over_price"),
    ],
)
def test_reserve_refuses_a_voucher_the_mission_may_not_take(db, models, terms, reason):
    programme = programme_of(db)
    (voucher,) = vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    before = _ledger_rows(db, models)
    with pytest.raises(VoucherNotForMission) as info:
        vouchers.reserve(db, voucher, "mission:1", now=NOW, terms=terms)
    assert info.value.reason == reason and info.value.code == "voucher_not_for_mission"
    assert (info.value.voucher_id, info.value.move) == (voucher.id, "reserve")
    assert isinstance(info.value, IllegalVoucherMove)
    assert voucher.status == "issued" and voucher.version == 1 and _ledger_rows(db, models) == before


def test_reserve_and_redeem_within_the_price(db):
    programme = programme_of(db)
    a, b, c = vouchers.issue_vouchers(db, programme, ORG, count=3, now=NOW)
    terms = MissionTerms("voucher", 2_000)
    vouchers.reserve(db, a, "mission:1", now=NOW, terms=terms)
    vouchers.reserve(db, b, "mission:1", now=NOW, terms=terms, covered_cents=1_000)  # exactly the price
    with pytest.raises(VoucherNotForMission) as info:
        vouchers.reserve(db, c, "mission:1", now=NOW, terms=terms, covered_cents=2_000)
    assert info.value.reason == "mission_voucher_over_price"
    vouchers.redeem(db, a, 7, "mission:1", now=NOW, terms=terms)
    vouchers.redeem(db, b, 7, "mission:1", now=NOW, terms=terms, covered_cents=1_000)
    assert ledger.balance(db, "provider:7:payable", natural=True) == 2_000


def test_redeem_refuses_a_voucher_for_free_work(db, models):
    """Finding 7 at the library's level: reserved earlier, the offer is free at completion."""
    programme = programme_of(db)
    (voucher,) = vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    vouchers.reserve(db, voucher, "mission:1", now=NOW, terms=MissionTerms("voucher", None))
    before = _ledger_rows(db, models)
    with pytest.raises(VoucherNotForMission) as info:
        vouchers.redeem(db, voucher, 7, "mission:1", now=NOW, terms=MissionTerms("volunteer", None))
    assert info.value.reason == "mission_offer_free" and info.value.move == "redeem"
    with pytest.raises(VoucherNotForMission) as info:
        vouchers.redeem(db, voucher, 7, "mission:1", now=NOW, terms=MissionTerms("voucher", None), covered_cents=1)
    assert info.value.reason == "mission_already_covered"
    assert voucher.status == "reserved" and _ledger_rows(db, models) == before
    assert ledger.balance(db, "provider:7:payable") == 0


def test_a_prefix_is_stripped_only_when_it_is_hub():
    code = vouchers.format_code("0123456789AB")
    body = code.replace("-", "")[3:]
    with pytest.raises(InvalidVoucherCode):
        vouchers.normalise_code("ABC" + body)  # 16 symbols not starting with HUB: not a code
    assert vouchers.normalise_code("HUB" + body) == code


def test_lookalikes_in_the_check_symbol():
    code = vouchers.format_code("000000000001")
    assert code.endswith("-1")
    assert vouchers.normalise_code(code[:-1] + "I") == code
    assert vouchers.normalise_code(code[:-1] + "l") == code
    zero = next(vouchers.format_code(d) for d in (f"{i:012d}" for i in range(100)) if vouchers.check_symbol(d) == "0")
    assert vouchers.normalise_code(zero[:-1] + "o") == zero


def test_insufficient_funds_for_several_vouchers_at_once(db):
    programme = vouchers.create_programme(db, funder_id=5, name="P", face_value_cents=1_000, budget_cents=2_500)
    vouchers.start_programme_funding(db, FakeGateway(), programme, payment_method="pm_card_visa", confirm=True)
    with pytest.raises(InsufficientProgrammeFunds):
        vouchers.issue_vouchers(db, programme, ORG, count=3, now=NOW)
    assert len(vouchers.issue_vouchers(db, programme, ORG, count=2, now=NOW)) == 2


def test_a_code_collision_is_drawn_again_five_times_at_most(db, monkeypatch):
    programme = programme_of(db, count=3)
    (first,) = vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    calls = []

    def same_code():
        calls.append(1)
        return first.code

    monkeypatch.setattr(vouchers, "generate_code", same_code)
    with pytest.raises(ProgrammeError, match="could not draw a unique code"):
        vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    assert len(calls) == 5


def test_expiry_job_limits_and_boundaries(db):
    programme = programme_of(db, count=3, validity_days=60)
    a, b, c = vouchers.issue_vouchers(db, programme, ORG, count=3, now=NOW)
    warn_at = vouchers.rules.utc(a.expires_at) - timedelta(days=30)
    report = vouchers.run_expiry(db, now=warn_at - timedelta(seconds=1))
    assert report.to_warn == [] and report.blocked == [] and report.expired == []
    assert {v.id for v in vouchers.run_expiry(db, now=warn_at).to_warn} == {a.id, b.id, c.id}  # exactly 30 days
    blocks_at = vouchers.rules.utc(a.blocks_at)
    assert vouchers.run_expiry(db, now=blocks_at - timedelta(seconds=1)).blocked == []
    assert {v.id for v in vouchers.run_expiry(db, now=blocks_at).blocked} == {a.id, b.id, c.id}  # exactly then
    expires_at = vouchers.rules.utc(a.expires_at)
    assert vouchers.run_expiry(db, now=expires_at - timedelta(seconds=1)).expired == []
    first = vouchers.run_expiry(db, now=expires_at, limit=1)  # at most one per run when limited
    assert [v.id for v in first.expired] == [a.id]
    assert {v.id for v in vouchers.run_expiry(db, now=expires_at).expired} == {b.id, c.id}


def test_programme_figures_count_every_status_and_the_money(db):
    gateway = FakeGateway()
    programme = vouchers.create_programme(db, funder_id=5, name="P", face_value_cents=1_000, voucher_count=4)
    payment, _ = vouchers.start_programme_funding(db, gateway, programme, payment_method="pm_card_visa", confirm=True)
    a, _b = vouchers.issue_vouchers(db, programme, ORG, count=2, now=NOW)
    vouchers.reserve(db, a, "mission:1", now=NOW)
    checkout.refund_payment(db, gateway, payment, 500)
    figures = vouchers.programme_figures(db, programme)
    assert figures == {
        "vouchers": {
            "issued": {"count": 1, "cents": 1_000},
            "reserved": {"count": 1, "cents": 1_000},
            "redeemed": {"count": 0, "cents": 0},
            "blocked": {"count": 0, "cents": 0},
            "expired": {"count": 0, "cents": 0},
        },
        "funded_cents": 3_500,
        "available_cents": 1_500,
    }


def test_close_programme_returns_the_transaction_of_the_unissued_value(db):
    programme = programme_of(db, count=3)
    vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    tx = vouchers.close_programme(db, programme)
    assert tx is not None and ledger.lines_of(db, tx) == [
        ledger.Line(f"programme:{programme.id}:fund", 2_000),
        ledger.Line("funder:5:credit", -2_000),
    ]
    assert tx.idempotency_key == f"programme:{programme.id}:close" and tx.kind == "programme:close"


def test_a_voucher_that_keeps_changing_is_refused_after_five_looks(db, monkeypatch):
    """Each compare-and-set that loses re-reads the voucher and tries again, five times at most:
    here every UPDATE loses (as under a storm of concurrent moves)."""
    from sqlalchemy import false

    programme = programme_of(db)
    (voucher,) = vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    real_update, tries = vouchers.update, []
    monkeypatch.setattr(vouchers, "update", lambda table: tries.append(1) or real_update(table).where(false()))
    with pytest.raises(IllegalVoucherMove, match="keeps changing") as info:
        vouchers.reserve(db, voucher, "mission:1", now=NOW)
    assert len(tries) == 5
    assert type(info.value) is IllegalVoucherMove and info.value.move == "reserve"
    assert voucher.status == "issued" and ledger.balance(db, f"programme:{programme.id}:reserved") == 0


def test_an_organisation_without_siret_where_none_is_required(db):
    programme = vouchers.create_programme(
        db, funder_id=5, name="P", face_value_cents=100, voucher_count=2, eligibility=Eligibility(require_siret=False)
    )
    vouchers.start_programme_funding(db, FakeGateway(), programme, payment_method="pm_card_visa", confirm=True)
    (voucher,) = vouchers.issue_vouchers(db, programme, OrganisationFacts(id=8, commune_insee="13055"), now=NOW)
    assert voucher.holder_siret is None and voucher.status == "issued"


def test_the_last_cent_of_a_fund_goes_back_at_closing(db):
    programme = vouchers.create_programme(db, funder_id=5, name="P", face_value_cents=1_000, budget_cents=2_001)
    vouchers.start_programme_funding(db, FakeGateway(), programme, payment_method="pm_card_visa", confirm=True)
    vouchers.issue_vouchers(db, programme, ORG, count=2, now=NOW)
    assert vouchers.close_programme(db, programme) is not None
    assert ledger.balance(db, "funder:5:credit", natural=True) == 1 and vouchers.available_cents(db, programme) == 0


def test_mission_terms_default_to_nothing_covered_yet(db):
    programme = programme_of(db)
    (voucher,) = vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    exact = MissionTerms("voucher", 1_000)  # the voucher is exactly the price
    vouchers.reserve(db, voucher, "mission:1", now=NOW, terms=exact)
    vouchers.redeem(db, voucher, 7, "mission:1", now=NOW, terms=exact)
    assert voucher.status == "redeemed"
    (other,) = vouchers.issue_vouchers(db, programme, ORG, now=NOW)
    vouchers.reserve(db, other, "mission:2", now=NOW, terms=MissionTerms("voucher", None))  # one voucher, none yet
    assert other.status == "reserved"


def test_the_mission_rule_names_its_wrong_arguments():
    with pytest.raises(TypeError, match=r"^face_value_cents must be integer cents"):
        vouchers.mission_voucher_refusal(MissionTerms("voucher", 5_000), 1.0)
    with pytest.raises(TypeError, match=r"^covered_cents must be integer cents"):
        vouchers.mission_voucher_refusal(MissionTerms("voucher", 5_000), 100, 1.0)


def test_an_issued_or_reserved_voucher_expires_at_its_date_not_before(db):
    programme = programme_of(db, count=2)
    a, b = vouchers.issue_vouchers(db, programme, ORG, count=2, now=NOW)
    vouchers.reserve(db, b, "mission:1", now=NOW)
    for voucher in (a, b):
        with pytest.raises(IllegalVoucherMove, match="expires on"):
            vouchers.expire(db, voucher, now=vouchers.rules.utc(voucher.expires_at) - timedelta(seconds=1))
    vouchers.expire(db, a, now=a.expires_at)  # issued, at its date
    vouchers.expire(db, b, now=b.expires_at)  # reserved, at its date
    assert (a.status, b.status) == ("expired", "expired")
    assert ledger.balance(db, "funder:5:credit", natural=True) == 2_000
    assert [t.kind for t in ledger.transactions_for(db, f"voucher:{a.id}")] == ["voucher:issue", "voucher:expire"]
    assert [t.kind for t in ledger.transactions_for(db, f"voucher:{b.id}")] == [
        "voucher:issue",
        "voucher:reserve",
        "voucher:expire",
    ]


def test_the_kind_of_a_closing_and_a_one_cent_offer():
    assert vouchers.mission_voucher_refusal(MissionTerms("voucher", 1), 1) is None  # one cent is not free
    assert vouchers.mission_voucher_refusal(MissionTerms("voucher", 1), 2) == vouchers.MISSION_OVER_PRICE


def test_a_limited_expiry_run_neither_blocks_nor_warns_what_it_left_due(db):
    programme = programme_of(db, count=2, validity_days=60)
    a, b = vouchers.issue_vouchers(db, programme, ORG, count=2, now=NOW)
    report = vouchers.run_expiry(db, now=a.expires_at, limit=1)
    assert [v.id for v in report.expired] == [a.id]
    assert report.blocked == [] and report.to_warn == [] and b.status == "issued"  # due: the next run expires it
    assert [v.id for v in vouchers.run_expiry(db, now=a.expires_at).expired] == [b.id]
