"""Every refusal of `payments.rules` and of the pure part of `payments.vouchers`, pinned: each
test names the exact error (type and message) and checks the value just inside the limit, so that
deleting or loosening a guard fails a test (issue 10, finding 10; `make mutation` measures it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from payments import rules, vouchers
from payments.codes import EligibilityRefusal, Ineligibility
from payments.ledger import Line
from payments.rules import Eligibility, OrganisationFacts
from payments.vouchers import MissionTerms, mission_voucher_refusal

SIRET = "73282932000074"  # a valid Luhn key


# ---------------------------------------------------------------- account codes


@pytest.mark.parametrize("bucket", ["fund", "issued", "reserved", "blocked"])
def test_programme_buckets(bucket):
    assert rules.programme_account(7, bucket) == f"programme:7:{bucket}"


@pytest.mark.parametrize("bucket", ["redeemed", "expired", "", "FUND", "fund "])
def test_an_unknown_programme_bucket_is_refused(bucket):
    with pytest.raises(ValueError, match="unknown programme bucket"):
        rules.programme_account(7, bucket)


def test_account_codes():
    assert rules.programme_account(3) == "programme:3:fund"
    assert rules.provider_payable("4") == "provider:4:payable"
    assert rules.producer_payable(5) == "producer:5:payable"
    assert rules.funder_credit(6) == "funder:6:credit"
    assert rules.funder_receivable(8) == "funder:8:receivable"
    with pytest.raises(ValueError):
        rules.provider_payable("x")


# ---------------------------------------------------------------- arithmetic


@pytest.mark.parametrize("value", [1.0, 1.5, True, False, "100", None])
def test_amounts_are_integer_cents(value):
    with pytest.raises(TypeError, match="must be integer cents"):
        rules.fee_cents(value, 100)
    with pytest.raises(TypeError, match="rate_bps must be integer cents"):
        rules.fee_cents(1_000, value)
    with pytest.raises(TypeError, match="total must be integer cents"):
        rules.split_proportionally(value, [1])
    with pytest.raises(TypeError):
        rules.check_settlement(value, [("provider:1:payable", -100)])
    with pytest.raises(TypeError):
        rules.payout_lines(1, value)
    with pytest.raises(TypeError):
        rules.stripe_payout_lines(value)
    with pytest.raises(TypeError):
        rules.issue_lines(1, value)
    with pytest.raises(TypeError):
        rules.voucher_move_lines(1, "issued", "provider:1:payable", value)


def test_negative_fees_or_rates_are_refused():
    with pytest.raises(ValueError, match="non-negative"):
        rules.fee_cents(-1, 100)
    with pytest.raises(ValueError, match="non-negative"):
        rules.fee_cents(1_000, -1)
    assert rules.fee_cents(0, 0) == 0  # the limits themselves are fine
    assert rules.fee_cents(0, 1_000) == 0


def test_fee_rounding_minimum_and_cap():
    assert rules.fee_cents(1_000, 1_000) == 100
    assert rules.fee_cents(5, 1_000) == 1  # 0.5 rounds half up
    assert rules.fee_cents(4, 1_000) == 0  # 0.4 rounds down
    assert rules.fee_cents(15, 1_000) == 2  # 1.5 rounds up
    assert rules.fee_cents(14, 1_000) == 1
    assert rules.fee_cents(1_000, 1_000, minimum_cents=150) == 150  # the minimum
    assert rules.fee_cents(1_000, 1_000, minimum_cents=100) == 100
    assert rules.fee_cents(100, 1_000, minimum_cents=500) == 100  # never above the amount
    assert rules.fee_cents(100, 20_000) == 100
    assert rules.fee_cents(100, 10_000) == 100
    assert rules.fee_cents(10_000, 1) == 1


@pytest.mark.parametrize("weights", [[], [0], [0, 0, 0], [1, -1], [-1], [3, -2, 5]])
def test_empty_all_zero_or_negative_split_weights_are_refused(weights):
    with pytest.raises(ValueError, match="weights must be non-negative and not all zero"):
        rules.split_proportionally(100, weights)


def test_splits_are_exact_signed_and_largest_remainder():
    assert rules.split_proportionally(100, [1, 0]) == [100, 0]  # a zero weight beside a positive one is fine
    assert rules.split_proportionally(100, [0, 1]) == [0, 100]
    assert rules.split_proportionally(100, [1, 1, 1]) == [34, 33, 33]  # ties: the first index
    assert rules.split_proportionally(-100, [1, 1, 1]) == [-34, -33, -33]
    assert rules.split_proportionally(10, [1, 2]) == [3, 7]  # remainders 1/3 and 2/3: the larger gets the cent
    assert rules.split_proportionally(11, [1, 1, 2]) == [3, 3, 5]
    assert rules.split_proportionally(0, [2, 3]) == [0, 0]
    assert rules.split_proportionally(7, [7]) == [7]
    assert rules.split_proportionally(1, [1, 1]) == [1, 0]
    assert rules.split_proportionally(2, [1, 1, 1]) == [1, 1, 0]
    assert rules.split_proportionally(-1, [1, 3]) == [0, -1]


# ---------------------------------------------------------------- settlements


def test_a_settlement_is_valid_and_normalised():
    assert rules.check_settlement(1_000, [("provider:1:payable", -900), ("platform:fees", -100)]) == [
        ("provider:1:payable", -900),
        ("platform:fees", -100),
    ]
    # zero credits are dropped (a zero fee)
    assert rules.check_settlement(1_000, [("provider:1:payable", -1_000), ("platform:fees", 0)]) == [
        ("provider:1:payable", -1_000)
    ]
    assert rules.check_settlement(1, [("platform:fees", -1)]) == [("platform:fees", -1)]


@pytest.mark.parametrize("amount", [0, -1, -1_000])
def test_a_settlement_of_a_zero_or_negative_amount_is_refused(amount):
    with pytest.raises(ValueError, match="a payment amount must be positive"):
        rules.check_settlement(amount, [("provider:1:payable", -amount or -1)])


def test_a_settlement_with_a_debit_item_is_refused():
    with pytest.raises(ValueError, match="non-empty list of credits"):
        rules.check_settlement(1_000, [("provider:1:payable", -1_100), ("platform:fees", 100)])
    with pytest.raises(ValueError, match="non-empty list of credits"):
        rules.check_settlement(1_000, [("provider:1:payable", 1_000)])
    with pytest.raises(ValueError, match="non-empty list of credits"):  # a one-cent debit hidden in the sum
        rules.check_settlement(1_000, [("provider:1:payable", -1_001), ("platform:fees", 1)])


def test_an_empty_settlement_is_refused():
    with pytest.raises(ValueError, match="non-empty list of credits"):
        rules.check_settlement(1_000, [])
    with pytest.raises(ValueError, match="non-empty list of credits"):
        rules.check_settlement(1_000, [("platform:fees", 0)])  # only zero credits: empty


@pytest.mark.parametrize("credits", [[-999], [-1_001], [-500, -499], [-500, -501]])
def test_a_settlement_that_does_not_sum_to_the_amount_is_refused(credits):
    with pytest.raises(ValueError, match="settlement credits sum to"):
        rules.check_settlement(1_000, [("provider:1:payable", c) for c in credits])


def test_settlement_builders():
    assert rules.programme_funding_settlement(2, 5_000) == [("programme:2:fund", -5_000)]
    with pytest.raises(TypeError):
        rules.programme_funding_settlement(2, 50.0)
    assert rules.licence_sale_settlement(3, 10_000) == [("producer:3:payable", -9_000), ("platform:fees", -1_000)]
    assert rules.licence_sale_settlement(3, 1_000, fee_bps=0, minimum_fee_cents=50) == [
        ("producer:3:payable", -950),
        ("platform:fees", -50),
    ]
    assert rules.mission_payment_settlement(4, 7_000) == [("provider:4:payable", -7_000), ("platform:fees", 0)]
    assert rules.mission_payment_settlement(4, 7_000, fee_bps=500) == [
        ("provider:4:payable", -6_650),
        ("platform:fees", -350),
    ]


def test_settlement_lines_debit_the_clearing_account():
    assert rules.settlement_lines(1_000, [("provider:1:payable", -900), ("platform:fees", -100)], "USD") == [
        Line("stripe:clearing", 1_000, "USD"),
        Line("provider:1:payable", -900, "USD"),
        Line("platform:fees", -100, "USD"),
    ]
    assert rules.settlement_lines(1_000, [("provider:1:payable", -1_000), ("platform:fees", 0)]) == [
        Line("stripe:clearing", 1_000, "EUR"),
        Line("provider:1:payable", -1_000, "EUR"),
    ]
    with pytest.raises(ValueError):
        rules.settlement_lines(1_000, [("provider:1:payable", -900)])


# ---------------------------------------------------------------- refunds

SETTLEMENT = [("provider:1:payable", -900), ("platform:fees", -100)]


@pytest.mark.parametrize("refund", [0, -1, -1_000])
def test_a_zero_or_negative_refund_is_refused(refund):
    with pytest.raises(ValueError, match="refund out of range"):
        rules.refund_lines(SETTLEMENT, 1_000, refund_cents=refund)


@pytest.mark.parametrize("already, refund", [(0, 1_001), (500, 501), (1_000, 1), (999, 2)])
def test_an_over_refund_is_refused(already, refund):
    with pytest.raises(ValueError, match="refund out of range"):
        rules.refund_lines(SETTLEMENT, 1_000, already_refunded=already, refund_cents=refund)
    with pytest.raises(ValueError, match="refund out of range"):
        rules.refund_lines(SETTLEMENT, 1_000, already_refunded=already, refund_cents=refund, absorbed=True)


def test_a_negative_already_refunded_is_refused():
    with pytest.raises(ValueError, match="refund out of range"):
        rules.refund_lines(SETTLEMENT, 1_000, already_refunded=-1, refund_cents=10)


def test_refunds_up_to_the_limit():
    assert rules.refund_lines(SETTLEMENT, 1_000, refund_cents=1_000) == [
        Line("provider:1:payable", 900),
        Line("platform:fees", 100),
        Line("stripe:clearing", -1_000),
    ]
    assert rules.refund_lines(SETTLEMENT, 1_000, already_refunded=999, refund_cents=1) == [
        Line("provider:1:payable", 1),
        Line("platform:fees", 0),
        Line("stripe:clearing", -1),
    ]
    assert rules.refund_lines(SETTLEMENT, 1_000, refund_cents=1) == [
        Line("provider:1:payable", 1),
        Line("platform:fees", 0),
        Line("stripe:clearing", -1),
    ]
    assert rules.refund_lines(SETTLEMENT, 1_000, already_refunded=300, refund_cents=700, currency="USD") == [
        Line("provider:1:payable", 630, "USD"),
        Line("platform:fees", 70, "USD"),
        Line("stripe:clearing", -700, "USD"),
    ]
    assert rules.refund_lines(SETTLEMENT, 1_000, refund_cents=400, absorbed=True, currency="USD") == [
        Line("refunds", 400, "USD"),
        Line("stripe:clearing", -400, "USD"),
    ]
    with pytest.raises(TypeError, match=r"^refund_cents must be integer cents"):
        rules.refund_lines(SETTLEMENT, 1_000, refund_cents=1.0)
    with pytest.raises(ValueError):  # the settlement itself is checked
        rules.refund_lines([("provider:1:payable", -900)], 1_000, refund_cents=10)


def test_payout_and_voucher_lines():
    assert rules.payout_lines(3, 2_500) == [Line("provider:3:payable", 2_500), Line("bank:main", -2_500)]
    assert rules.payout_lines(3, 2_500, source="bank:other", currency="USD") == [
        Line("provider:3:payable", 2_500, "USD"),
        Line("bank:other", -2_500, "USD"),
    ]
    assert rules.stripe_payout_lines(700) == [Line("bank:main", 700), Line("stripe:clearing", -700)]
    assert rules.stripe_payout_lines(700, bank="bank:b", currency="USD") == [
        Line("bank:b", 700, "USD"),
        Line("stripe:clearing", -700, "USD"),
    ]
    assert rules.issue_lines(2, 500, "USD") == [
        Line("programme:2:fund", 500, "USD"),
        Line("programme:2:issued", -500, "USD"),
    ]
    assert rules.voucher_move_lines(2, "reserved", "provider:1:payable", 500, "USD") == [
        Line("programme:2:reserved", 500, "USD"),
        Line("provider:1:payable", -500, "USD"),
    ]
    for status in ("issued", "blocked"):
        assert rules.voucher_move_lines(2, status, "funder:1:credit", 5)[0] == Line(f"programme:2:{status}", 5)
    with pytest.raises(KeyError):  # a redeemed or expired voucher's value is no longer in the programme
        rules.voucher_move_lines(2, "redeemed", "provider:1:payable", 500)


# ---------------------------------------------------------------- dates


def test_utc_and_dates():
    naive = datetime(2026, 1, 10, 12, 0)
    assert rules.utc(naive) == datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    paris = datetime(2026, 1, 10, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    assert rules.utc(paris) == datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    assert rules.utc(paris).tzinfo == UTC
    dates = rules.voucher_dates(naive, validity_days=100)
    assert dates.valid_from == rules.utc(naive) and dates.expires_at == rules.utc(naive) + timedelta(days=100)
    assert dates.blocks_at == dates.expires_at - timedelta(days=15)
    assert dates.warns_at == dates.expires_at - timedelta(days=30)
    earlier = rules.voucher_dates(naive, programme_valid_from=datetime(2025, 1, 1))  # already open: issue date
    assert earlier.valid_from == rules.utc(naive)
    long_end = rules.voucher_dates(naive, programme_valid_until=datetime(2030, 1, 1))  # later end: one year
    assert long_end.expires_at == rules.utc(naive) + timedelta(days=365)
    assert rules.BLOCK_DAYS_BEFORE_EXPIRY == 15 and rules.WARN_DAYS_BEFORE_EXPIRY == 30


# ---------------------------------------------------------------- eligibility

SIRET_PROBLEM = Ineligibility(EligibilityRefusal.SIRET_INVALID)  # worded by the app (tests/vouchers)


@pytest.mark.parametrize("siret", [None, "", "7328293200007", "732829320000744", "7328293200007A", "73282932000075"])
def test_siret_required_is_guarded_by_the_rules(siret):
    org = OrganisationFacts(id=1, kind="association", commune_insee="13055", siret=siret)
    assert rules.eligibility_problems(Eligibility(), org) == [SIRET_PROBLEM]
    assert rules.eligibility_problems(Eligibility(require_siret=True), org) == [SIRET_PROBLEM]
    assert rules.eligibility_problems(Eligibility(require_siret=False), org) == []


def test_a_valid_siret_passes_spaces_or_not():
    for siret in (SIRET, "732 829 320 00074"):
        assert rules.valid_siret(siret)
        assert rules.eligibility_problems(Eligibility(), OrganisationFacts(id=1, siret=siret)) == []
    assert not rules.valid_siret(None) and not rules.valid_siret("") and not rules.valid_siret("1" * 14)


def test_each_eligibility_refusal_has_its_code():
    org = OrganisationFacts(id=1, kind="association", commune_insee="13055", siret=SIRET)
    assert rules.eligibility_problems(Eligibility(organisation_kinds=["tpe"]), org) == [
        Ineligibility(EligibilityRefusal.ORGANISATION_KIND)
    ]
    assert rules.eligibility_problems(Eligibility(organisation_kinds=["association", "tpe"]), org) == []
    place = Ineligibility(EligibilityRefusal.TERRITORY)
    assert rules.eligibility_problems(Eligibility(departements=["06"]), org) == [place]
    assert rules.eligibility_problems(Eligibility(communes=["06088"]), org) == [place]
    assert rules.eligibility_problems(Eligibility(communes=["06088"], departements=["06"]), org) == [place]
    assert rules.eligibility_problems(Eligibility(communes=["06088"], departements=["13"]), org) == []
    assert rules.eligibility_problems(Eligibility(communes=["13055"], departements=["06"]), org) == []
    assert rules.eligibility_problems(Eligibility(communes=["13055"]), org) == []
    assert rules.eligibility_problems(Eligibility(departements=["13"]), org) == []
    assert rules.eligibility_problems(Eligibility(), org, siret_used_by_other=True) == [
        Ineligibility(EligibilityRefusal.SIRET_SHARED)
    ]
    limit = Eligibility(max_per_organisation=3)
    assert rules.eligibility_problems(limit, org, requested=1, already_held=2) == []  # exactly the limit
    assert rules.eligibility_problems(limit, org, requested=3) == []
    assert rules.eligibility_problems(limit, org, requested=2, already_held=2) == [
        Ineligibility(EligibilityRefusal.LIMIT_REACHED, limit=3)
    ]
    assert rules.eligibility_problems(limit, org, requested=4) != []
    assert rules.eligibility_problems(Eligibility(max_per_organisation=0), org) != []
    nowhere = OrganisationFacts(id=2, kind=None)
    assert len(rules.eligibility_problems(Eligibility(organisation_kinds=["tpe"], departements=["13"]), nowhere)) == 3


def test_departement_codes():
    assert OrganisationFacts(id=1, commune_insee="13055").departement_code == "13"
    assert OrganisationFacts(id=1, commune_insee="2A004").departement_code == "2A"
    assert OrganisationFacts(id=1, commune_insee="97411").departement_code == "974"
    assert OrganisationFacts(id=1, commune_insee="13055", departement="84").departement_code == "84"
    assert OrganisationFacts(id=1).departement_code is None


def test_eligibility_json_defaults_and_round_trip():
    default = Eligibility.from_json(None)
    assert default == Eligibility() and default.require_siret is True and default.max_per_organisation is None
    assert Eligibility.from_json({}).require_siret is True
    assert Eligibility.from_json({"require_siret": False}).require_siret is False
    loaded = Eligibility.from_json(
        {"departements": [13], "communes": [13055], "organisation_kinds": ["tpe"], "max_per_organisation": 2}
    )
    assert loaded.departements == ["13"] and loaded.communes == ["13055"] and loaded.organisation_kinds == ["tpe"]
    assert loaded.to_json() == {
        "organisation_kinds": ["tpe"],
        "departements": ["13"],
        "communes": ["13055"],
        "max_per_organisation": 2,
        "require_siret": True,
    }
    assert Eligibility.from_json(loaded.to_json()) == loaded


# ---------------------------------------------------------------- vouchers in missions (the money invariant)


@pytest.mark.parametrize(
    "terms",
    [
        MissionTerms("volunteer"),
        MissionTerms("volunteer", 5_000),
        MissionTerms("voucher", 0),
        MissionTerms("paid", 0),
        MissionTerms("voucher", -1),
    ],
)
def test_no_voucher_for_a_free_mission(terms):
    assert mission_voucher_refusal(terms, 5_000) == vouchers.MISSION_FREE == "mission_offer_free"


@pytest.mark.parametrize(
    "terms", [MissionTerms("paid", 5_000), MissionTerms(None), MissionTerms("troc", 5_000), MissionTerms("paid")]
)
def test_no_voucher_for_an_offer_that_does_not_take_them(terms):
    assert mission_voucher_refusal(terms, 5_000) == vouchers.MISSION_NOT_VOUCHER == "mission_offer_not_voucher"


def test_vouchers_up_to_the_price_never_above():
    terms = MissionTerms("voucher", 7_000)
    assert mission_voucher_refusal(terms, 3_000) is None
    assert mission_voucher_refusal(terms, 7_000) is None  # exactly the price
    assert mission_voucher_refusal(terms, 3_000, 4_000) is None
    assert mission_voucher_refusal(terms, 7_001) == vouchers.MISSION_OVER_PRICE == "mission_voucher_over_price"
    assert mission_voucher_refusal(terms, 3_000, 4_001) == vouchers.MISSION_OVER_PRICE
    assert mission_voucher_refusal(terms, 1, 7_000) == vouchers.MISSION_OVER_PRICE


def test_an_offer_without_price_takes_one_voucher():
    terms = MissionTerms("voucher", None)
    assert mission_voucher_refusal(terms, 5_000) is None
    assert mission_voucher_refusal(terms, 5_000, 1) == vouchers.MISSION_COVERED == "mission_already_covered"


@pytest.mark.parametrize("face, covered", [(0, 0), (-100, 0), (100, -1)])
def test_the_rule_refuses_nonsense(face, covered):
    with pytest.raises(ValueError, match="face value must be positive"):
        mission_voucher_refusal(MissionTerms("voucher", 5_000), face, covered)


@pytest.mark.parametrize("face, covered", [(1.0, 0), (100, 0.5), (True, 0)])
def test_the_rule_takes_integer_cents(face, covered):
    with pytest.raises(TypeError):
        mission_voucher_refusal(MissionTerms("voucher", 5_000), face, covered)


def test_fee_rounding_at_the_exact_half_and_scale():
    assert rules.fee_cents(4_999, 1) == 0  # 0.4999 cent
    assert rules.fee_cents(5_000, 1) == 1  # 0.5 cent: half up
    assert rules.fee_cents(1_000_000, 5_000) == 500_000
    assert rules.fee_cents(1_000, 1_000) == 100 and rules.fee_cents(999, 1_000) == 100  # 99.9 rounds to 100


def test_lines_and_results_are_immutable():
    import dataclasses

    line = Line("stripe:clearing", 100)
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.amount_cents = 5
    assert hash(line) == hash(Line("stripe:clearing", 100, "EUR"))
    dates = rules.voucher_dates(datetime(2026, 1, 10))
    with pytest.raises(dataclasses.FrozenInstanceError):
        dates.expires_at = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        Eligibility().require_siret = False
    with pytest.raises(dataclasses.FrozenInstanceError):
        OrganisationFacts(id=1).siret = SIRET
    with pytest.raises(dataclasses.FrozenInstanceError):
        MissionTerms("voucher").price_cents = 1
    from payments.ledger import TrialBalance

    with pytest.raises(dataclasses.FrozenInstanceError):
        TrialBalance(rows=[], totals={}).totals = {"EUR": 1}


def test_defaults_of_the_rules():
    with pytest.raises(TypeError, match=r"^amount must be integer cents"):
        rules.fee_cents(1.0, 100)
    assert rules.licence_sale_settlement(3, 4) == [("producer:3:payable", -4), ("platform:fees", 0)]  # no minimum fee
    assert rules.issue_lines(2, 500)[0] == Line("programme:2:fund", 500, "EUR")
    assert rules.voucher_move_lines(2, "issued", "funder:1:credit", 5)[1].currency == "EUR"
    assert rules.payout_lines(3, 1)[0].currency == "EUR" and rules.stripe_payout_lines(1)[0].currency == "EUR"
    assert rules.valid_siret("123") is False and rules.valid_siret(SIRET) is True
    org = OrganisationFacts(id=1, kind="association", commune_insee="13055", siret=SIRET)
    assert rules.eligibility_problems(Eligibility(max_per_organisation=1), org) == []  # one requested by default
    assert rules.eligibility_problems(Eligibility(max_per_organisation=1), org, already_held=1) != []
