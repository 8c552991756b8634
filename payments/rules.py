"""Money rules as pure functions: account codes, fees, the ledger lines of each
business event, refund splits, eligibility, voucher dates and which voucher may pay for which mission. No database, no
Stripe: everything here is tested with plain values.

A *settlement* is what a card payment pays for, fixed at checkout: a list of
``(account_code, cents)`` credits (negative cents) summing to ``-amount``. When
the payment succeeds the ledger gets ``stripe:clearing +amount`` plus those
credits; a refund debits them back proportionally.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from stdnum.fr import siret as stdnum_siret

from .codes import EligibilityRefusal, Ineligibility, MissionRefusal
from .ledger import Line

CLEARING = "stripe:clearing"
BANK = "bank:main"
PLATFORM_FEES = "platform:fees"
REFUNDS = "refunds"

#: What a card payment pays for: ``(account_code, cents)`` credits (lists once read back from JSON).
Settlement = Sequence[Sequence[Any]]

BLOCK_DAYS_BEFORE_EXPIRY = 15
WARN_DAYS_BEFORE_EXPIRY = 30

# The status of a voucher names the programme sub-account that holds its value.
VOUCHER_BUCKETS = {"issued": "issued", "reserved": "reserved", "blocked": "blocked"}


# ---------------------------------------------------------------- account codes


def programme_account(programme_id: int, bucket: str = "fund") -> str:
    if bucket not in ("fund", "issued", "reserved", "blocked"):
        raise ValueError(f"unknown programme bucket {bucket!r}")
    return f"programme:{int(programme_id)}:{bucket}"


def provider_payable(provider_id: int) -> str:
    return f"provider:{int(provider_id)}:payable"


def producer_payable(producer_id: int) -> str:
    return f"producer:{int(producer_id)}:payable"


def funder_credit(funder_id: int) -> str:
    return f"funder:{int(funder_id)}:credit"


def funder_receivable(funder_id: int) -> str:
    return f"funder:{int(funder_id)}:receivable"


# ---------------------------------------------------------------- arithmetic


def _cents(value: int, name: str = "amount") -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be integer cents, got {value!r}")
    return value


def fee_cents(amount_cents: int, rate_bps: int, *, minimum_cents: int = 0) -> int:
    """The platform fee on ``amount_cents`` at ``rate_bps`` basis points (1 % = 100),
    rounded half up to the cent, at least ``minimum_cents``, never above the amount."""
    _cents(amount_cents)
    _cents(rate_bps, "rate_bps")
    if amount_cents < 0 or rate_bps < 0:
        raise ValueError("amount and rate must be non-negative")
    fee = (amount_cents * rate_bps + 5_000) // 10_000
    return min(max(fee, minimum_cents), amount_cents)


def split_proportionally(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` cents in proportion to ``weights`` (largest remainder): the parts
    sum exactly to ``total``; same inputs, same split."""
    _cents(total, "total")
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative and not all zero")
    whole = sum(weights)
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    parts = [magnitude * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(magnitude * weights[i] % whole), i))
    for i in remainders[: magnitude - sum(parts)]:
        parts[i] += 1
    return [sign * p for p in parts]


# ---------------------------------------------------------------- settlements (card payments)


def check_settlement(amount_cents: int, settlement: Iterable[Sequence[Any]]) -> list[tuple[str, int]]:
    """Validate and normalise a settlement: credits (negative) summing to ``-amount``."""
    _cents(amount_cents)
    items = [(str(code), _cents(cents, code)) for code, cents in settlement]
    items = [(code, cents) for code, cents in items if cents != 0]
    if amount_cents <= 0:
        raise ValueError("a payment amount must be positive")
    if not items or any(cents > 0 for _c, cents in items):
        raise ValueError("a settlement is a non-empty list of credits (negative cents)")
    if sum(cents for _c, cents in items) != -amount_cents:
        raise ValueError(f"settlement credits sum to {sum(c for _x, c in items)}, not {-amount_cents}")
    return items


def programme_funding_settlement(programme_id: int, amount_cents: int) -> list[tuple[str, int]]:
    """A funder pays a programme: everything goes to the programme fund."""
    return [(programme_account(programme_id, "fund"), -_cents(amount_cents))]


def licence_sale_settlement(
    producer_id: int, amount_cents: int, *, fee_bps: int = 1_000, minimum_fee_cents: int = 0
) -> list[tuple[str, int]]:
    """A licence or resource sold by a producer: the producer's share and the platform fee."""
    fee = fee_cents(amount_cents, fee_bps, minimum_cents=minimum_fee_cents)
    return [(producer_payable(producer_id), -(amount_cents - fee)), (PLATFORM_FEES, -fee)]


def mission_payment_settlement(provider_id: int, amount_cents: int, *, fee_bps: int = 0) -> list[tuple[str, int]]:
    """The card part of a mission (what the vouchers do not cover): owed to the provider, minus any fee."""
    fee = fee_cents(amount_cents, fee_bps)
    return [(provider_payable(provider_id), -(amount_cents - fee)), (PLATFORM_FEES, -fee)]


def settlement_lines(amount_cents: int, settlement: Iterable[Sequence[Any]], currency: str = "EUR") -> list[Line]:
    """Ledger lines of a succeeded payment: clearing debited, the settlement credited."""
    items = check_settlement(amount_cents, settlement)
    return [Line(CLEARING, amount_cents, currency)] + [Line(code, cents, currency) for code, cents in items]


def refund_lines(
    settlement: Iterable[Sequence[Any]],
    amount_cents: int,
    *,
    already_refunded: int = 0,
    refund_cents: int,
    absorbed: bool = False,
    currency: str = "EUR",
) -> list[Line]:
    """Ledger lines of a refund of ``refund_cents`` after ``already_refunded``.

    Not absorbed: each credited account gives back its share — the split of the
    cumulative refund minus the split of the previous ones, so a series of
    partial refunds ends, at the full amount, exactly on the original credits.
    Absorbed: the platform bears it (``refunds`` expense), e.g. when the provider
    was already paid out."""
    items = check_settlement(amount_cents, settlement)
    _cents(refund_cents, "refund_cents")
    if refund_cents <= 0 or already_refunded < 0 or already_refunded + refund_cents > amount_cents:
        raise ValueError("refund out of range")
    if absorbed:
        return [Line(REFUNDS, refund_cents, currency), Line(CLEARING, -refund_cents, currency)]
    weights = [-cents for _code, cents in items]
    before = split_proportionally(already_refunded, weights) if already_refunded else [0] * len(items)
    after = split_proportionally(already_refunded + refund_cents, weights)
    lines = [Line(code, a - b, currency) for (code, _c), a, b in zip(items, after, before, strict=True)]
    return [*lines, Line(CLEARING, -refund_cents, currency)]


def payout_lines(provider_id: int, cents: int, *, source: str = BANK, currency: str = "EUR") -> list[Line]:
    """The treasurer confirmed a payout (SEPA transfer, or a Stripe Connect transfer in
    production): the provider's payable is settled from ``source``."""
    return [Line(provider_payable(provider_id), _cents(cents), currency), Line(source, -cents, currency)]


def stripe_payout_lines(cents: int, *, bank: str = BANK, currency: str = "EUR") -> list[Line]:
    """Stripe paid our balance out to our bank account."""
    return [Line(bank, _cents(cents), currency), Line(CLEARING, -cents, currency)]


# ---------------------------------------------------------------- vouchers


def voucher_move_lines(
    programme_id: int, from_status: str, to_account: str, cents: int, currency: str = "EUR"
) -> list[Line]:
    """Move a voucher's value out of the programme sub-account of its status."""
    source = programme_account(programme_id, VOUCHER_BUCKETS[from_status])
    return [Line(source, _cents(cents), currency), Line(to_account, -cents, currency)]


def issue_lines(programme_id: int, cents: int, currency: str = "EUR") -> list[Line]:
    """Issuing takes the value out of the programme fund: no unfunded voucher circulates."""
    return [
        Line(programme_account(programme_id, "fund"), _cents(cents), currency),
        Line(programme_account(programme_id, "issued"), -cents, currency),
    ]


def utc(value: datetime) -> datetime:
    """Aware UTC datetime (SQLite hands back naive ones, meant as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class VoucherDates:
    valid_from: datetime
    blocks_at: datetime
    expires_at: datetime
    warns_at: datetime


def voucher_dates(
    issued_at: datetime,
    *,
    validity_days: int = 365,
    programme_valid_from: datetime | None = None,
    programme_valid_until: datetime | None = None,
) -> VoucherDates:
    """Valid one year (``validity_days``) from issue, within the programme's dates;
    blocked 15 days before expiry; holders warned 30 days before."""
    issued_at = utc(issued_at)
    valid_from = max(issued_at, utc(programme_valid_from)) if programme_valid_from else issued_at
    expires_at = valid_from + timedelta(days=validity_days)
    if programme_valid_until is not None:
        expires_at = min(expires_at, utc(programme_valid_until))
    return VoucherDates(
        valid_from=valid_from,
        blocks_at=expires_at - timedelta(days=BLOCK_DAYS_BEFORE_EXPIRY),
        expires_at=expires_at,
        warns_at=expires_at - timedelta(days=WARN_DAYS_BEFORE_EXPIRY),
    )


@dataclass(frozen=True)
class OrganisationFacts:
    """What eligibility needs to know of an organisation (the app fills it from its models)."""

    id: int
    kind: str | None = None  # "association", "tpe", ...
    commune_insee: str | None = None
    departement: str | None = None  # "13", "2A"; derived from the commune when absent
    siret: str | None = None

    @property
    def departement_code(self) -> str | None:
        if self.departement:
            return self.departement
        if self.commune_insee:
            code = self.commune_insee
            return code[:3] if code.startswith("97") else code[:2]
        return None


@dataclass(frozen=True)
class Eligibility:
    """A programme's rules (stored as JSON on the programme). Empty lists mean "any"."""

    organisation_kinds: list[str] = field(default_factory=list)
    departements: list[str] = field(default_factory=list)
    communes: list[str] = field(default_factory=list)
    max_per_organisation: int | None = None
    require_siret: bool = True

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Eligibility:
        data = dict(data or {})
        return cls(
            organisation_kinds=list(data.get("organisation_kinds") or []),
            departements=[str(d) for d in data.get("departements") or []],
            communes=[str(c) for c in data.get("communes") or []],
            max_per_organisation=data.get("max_per_organisation"),
            require_siret=bool(data.get("require_siret", True)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "organisation_kinds": self.organisation_kinds,
            "departements": self.departements,
            "communes": self.communes,
            "max_per_organisation": self.max_per_organisation,
            "require_siret": self.require_siret,
        }


def valid_siret(value: str | None) -> bool:
    """14 digits with a valid Luhn key (python-stdnum's check)."""
    siret = (value or "").replace(" ", "")
    if not (len(siret) == 14 and siret.isdigit()):
        return False
    return bool(stdnum_siret.is_valid(siret))


def eligibility_problems(
    rules: Eligibility,
    organisation: OrganisationFacts,
    *,
    requested: int = 1,
    already_held: int = 0,
    siret_used_by_other: bool = False,
) -> list[Ineligibility]:
    """Why ``organisation`` may not receive ``requested`` more vouchers (codes, worded by the
    app; empty list = eligible). ``already_held``: vouchers of this programme it already holds
    (and asked for); ``siret_used_by_other``: another organisation of the programme has the same
    SIRET (one organisation per SIRET)."""
    problems = []
    if rules.organisation_kinds and organisation.kind not in rules.organisation_kinds:
        problems.append(Ineligibility(EligibilityRefusal.ORGANISATION_KIND))
    if rules.communes or rules.departements:
        in_commune = organisation.commune_insee in rules.communes if rules.communes else False
        in_departement = organisation.departement_code in rules.departements if rules.departements else False
        if not (in_commune or in_departement):
            problems.append(Ineligibility(EligibilityRefusal.TERRITORY))
    if rules.require_siret and not valid_siret(organisation.siret):
        problems.append(Ineligibility(EligibilityRefusal.SIRET_INVALID))
    if siret_used_by_other:
        problems.append(Ineligibility(EligibilityRefusal.SIRET_SHARED))
    if rules.max_per_organisation is not None and already_held + requested > rules.max_per_organisation:
        problems.append(Ineligibility(EligibilityRefusal.LIMIT_REACHED, limit=rules.max_per_organisation))
    return problems


# ---------------------------------------------------------------- vouchers in missions

#: The offer price modes a voucher pays for: "volunteer" offers are free, "paid" ones are paid by card.
VOUCHER_PRICE_MODES = frozenset({"voucher"})

#: Why a voucher may not pay for a mission (`codes.MissionRefusal`; the app words them).
MISSION_FREE = MissionRefusal.FREE
MISSION_NOT_VOUCHER = MissionRefusal.NOT_VOUCHER
MISSION_OVER_PRICE = MissionRefusal.OVER_PRICE
MISSION_COVERED = MissionRefusal.COVERED


@dataclass(frozen=True)
class MissionTerms:
    """What a mission's offer says about its price: ``price_mode`` ("volunteer", "voucher",
    "paid") and ``price_cents`` (None: a voucher offer without a price takes one voucher)."""

    price_mode: str | None
    price_cents: int | None = None


def mission_voucher_refusal(
    terms: MissionTerms, face_value_cents: int, covered_cents: int = 0
) -> MissionRefusal | None:
    """Why a voucher of ``face_value_cents`` may not be reserved or redeemed for a mission
    on these terms, when ``covered_cents`` of vouchers are already reserved or redeemed
    for it; None when it may. The invariant: no voucher pays for free work or for an
    offer that does not take vouchers, and the vouchers of a mission never exceed its price."""
    _cents(face_value_cents, "face_value_cents")
    _cents(covered_cents, "covered_cents")
    if face_value_cents <= 0 or covered_cents < 0:
        raise ValueError("face value must be positive and covered cents non-negative")
    price = terms.price_cents
    if terms.price_mode == "volunteer" or (price is not None and price <= 0):
        return MISSION_FREE
    if terms.price_mode not in VOUCHER_PRICE_MODES:
        return MISSION_NOT_VOUCHER
    if price is None:
        return MISSION_COVERED if covered_cents > 0 else None
    if covered_cents + face_value_cents > price:
        return MISSION_OVER_PRICE
    return None
