"""The codes the library answers with: the statuses of its rows and the reasons it refuses or
fails. The library never words them; the app translates each code into a sentence for the
person paying or using a voucher (``app.billing.messages``, ``app.vouchers.messages``).

Every enum is a `StrEnum`: a member equals its value, so rows (whose columns hold the plain
string) compare with the members directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class VoucherStatus(StrEnum):
    ISSUED = "issued"
    RESERVED = "reserved"
    REDEEMED = "redeemed"
    BLOCKED = "blocked"
    EXPIRED = "expired"


class ProgrammeStatus(StrEnum):
    DRAFT = "draft"
    AWAITING_PAYMENT = "awaiting_payment"
    FUNDED = "funded"
    CLOSED = "closed"


class PaymentStatus(StrEnum):
    """Our payment statuses (a Stripe PaymentIntent status mapped onto these)."""

    CREATED = "created"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class EligibilityRefusal(StrEnum):
    """Why an organisation may not receive a programme's vouchers (`rules.eligibility_problems`)."""

    ORGANISATION_KIND = "organisation_kind"  # the programme is not for this kind of organisation
    TERRITORY = "territory"  # its commune is not covered
    SIRET_INVALID = "siret_invalid"  # the programme wants a valid SIRET
    SIRET_SHARED = "siret_shared"  # another organisation of the programme has the same SIRET
    LIMIT_REACHED = "limit_reached"  # it would hold more than ``max_per_organisation`` vouchers


@dataclass(frozen=True)
class Ineligibility:
    """One refusal and its parameter (``limit``: the programme's maximum per organisation)."""

    code: EligibilityRefusal
    limit: int | None = None


class MissionRefusal(StrEnum):
    """Why a voucher may not pay for a mission (`vouchers.mission_voucher_refusal`)."""

    FREE = "mission_offer_free"  # the offer is free (volunteer, or a zero price)
    NOT_VOUCHER = "mission_offer_not_voucher"  # the offer does not take vouchers
    OVER_PRICE = "mission_voucher_over_price"  # the voucher would take the total above the price
    COVERED = "mission_already_covered"  # an offer without a price takes exactly one voucher


class PaymentFailure(StrEnum):
    """What went wrong with a payment or a voucher operation: Stripe's decline and error codes the
    app words, the PaymentIntent statuses the payer is told about, and ``PaymentsError.code``.
    Stripe may answer other codes too: the app words every unknown code with one generic sentence."""

    # Stripe decline and error codes
    CARD_DECLINED = "card_declined"
    GENERIC_DECLINE = "generic_decline"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    LOST_CARD = "lost_card"
    STOLEN_CARD = "stolen_card"
    EXPIRED_CARD = "expired_card"
    INCORRECT_CVC = "incorrect_cvc"
    INCORRECT_NUMBER = "incorrect_number"
    INVALID_EXPIRY_MONTH = "invalid_expiry_month"
    INVALID_EXPIRY_YEAR = "invalid_expiry_year"
    PROCESSING_ERROR = "processing_error"
    AUTHENTICATION_REQUIRED = "authentication_required"
    AUTHENTICATION_FAILURE = "payment_intent_authentication_failure"
    # PaymentIntent statuses the payer is told about
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    CANCELED = "canceled"
    # our own error codes (`errors.PaymentsError.code`)
    GATEWAY_ERROR = "gateway_error"
    GATEWAY_UNAVAILABLE = "gateway_unavailable"
    REFUND_TOO_LARGE = "refund_too_large"
    VOUCHER_CODE_INVALID = "voucher_code_invalid"
    VOUCHER_NOT_FOUND = "voucher_not_found"
    VOUCHER_ALREADY_REDEEMED = "voucher_already_redeemed"
    VOUCHER_ALREADY_RESERVED = "voucher_already_reserved"
    VOUCHER_NOT_RESERVED = "voucher_not_reserved"
    VOUCHER_BLOCKED = "voucher_blocked"
    VOUCHER_EXPIRED = "voucher_expired"
    VOUCHER_NOT_YET_VALID = "voucher_not_yet_valid"
    VOUCHER_WRONG_RESERVATION = "voucher_wrong_reservation"
    VOUCHER_NOT_FOR_MISSION = "voucher_not_for_mission"
    VOUCHER_ILLEGAL_MOVE = "voucher_illegal_move"
    PROGRAMME_NOT_FUNDED = "programme_not_funded"
    PROGRAMME_INSUFFICIENT_FUNDS = "programme_insufficient_funds"
    PROGRAMME_NOT_ELIGIBLE = "programme_not_eligible"
