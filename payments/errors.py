"""Every exception the payments package raises, by name, so callers can catch
precisely what they expect. Each carries a stable ``code`` (`codes.PaymentFailure`): the
app words it for the user, the library never does."""

from __future__ import annotations

from .codes import Ineligibility


class PaymentsError(Exception):
    """Base class of every error raised by the payments package."""

    #: A stable machine code (`codes.PaymentFailure`; the app words it).
    code = "payments_error"


# ------------------------------------------------------------------ gateway


class GatewayError(PaymentsError):
    """Stripe could not be reached or answered with an unexpected error."""

    code = "gateway_error"

    def __init__(self, message: str, *, http_status: int | None = None, stripe_code: str | None = None):
        super().__init__(message)
        self.http_status = http_status
        self.stripe_code = stripe_code


class GatewayUnavailable(GatewayError):
    """Network failure or timeout talking to Stripe (after the SDK's retries)."""

    code = "gateway_unavailable"


class NotFound(GatewayError):
    """The Stripe object does not exist (HTTP 404)."""

    code = "not_found"


class CustomerNotFound(NotFound):
    """The saved Stripe customer no longer exists (deleted, or the test data were wiped:
    "No such customer", ``resource_missing``). The caller creates a new customer, stores
    it and tries again."""

    code = "customer_not_found"

    def __init__(
        self,
        message: str,
        *,
        customer: str | None = None,
        http_status: int | None = None,
        stripe_code: str | None = None,
    ):
        super().__init__(message, http_status=http_status, stripe_code=stripe_code)
        self.customer = customer


class InvalidRequest(GatewayError):
    """Stripe refused the request (HTTP 400): a bug on our side, or a parameter the server does not know."""

    code = "invalid_request"


class WebhookSignatureError(PaymentsError):
    """The webhook payload is not signed with our endpoint secret (forged, altered or too old)."""

    code = "webhook_signature"


# ------------------------------------------------------------------ ledger


class LedgerError(PaymentsError):
    code = "ledger_error"


class UnbalancedTransaction(LedgerError):
    """The lines of a ledger transaction do not sum to zero (per currency)."""

    code = "ledger_unbalanced"


class LedgerImmutable(LedgerError):
    """Ledger transactions and lines are append-only: corrections are new reversing transactions."""

    code = "ledger_immutable"


class IdempotencyConflict(LedgerError):
    """The idempotency key was already used for a transaction with different lines."""

    code = "ledger_idempotency_conflict"


class InvalidAccount(LedgerError):
    """Unknown account code pattern, or an account used with another currency."""

    code = "ledger_invalid_account"


class ModelsNotBound(PaymentsError):
    """`payments.models.bind_models(Base)` was not called (or several bindings exist and none was chosen)."""

    code = "models_not_bound"


# ------------------------------------------------------------------ payments


class PaymentStateError(PaymentsError):
    """The payment is not in a state that allows this operation."""

    code = "payment_state"


class RefundTooLarge(PaymentStateError):
    """The refund exceeds what is left to refund on the payment, or what the accounts can give back."""

    code = "refund_too_large"


# ------------------------------------------------------------------ vouchers


class VoucherError(PaymentsError):
    code = "voucher_error"


class InvalidVoucherCode(VoucherError):
    """Malformed code, or the check character does not match (a typo)."""

    code = "voucher_code_invalid"


class VoucherNotFound(VoucherError):
    code = "voucher_not_found"


class IllegalVoucherMove(VoucherError):
    """Generic refusal of a status move; the subclasses say why."""

    code = "voucher_illegal_move"

    def __init__(
        self, message: str = "", *, voucher_id: int | None = None, status: str | None = None, move: str | None = None
    ):
        super().__init__(message or f"{move} refused for voucher {voucher_id} in status {status}")
        self.voucher_id = voucher_id
        self.status = status
        self.move = move


class VoucherAlreadyRedeemed(IllegalVoucherMove):
    code = "voucher_already_redeemed"


class VoucherAlreadyReserved(IllegalVoucherMove):
    code = "voucher_already_reserved"


class VoucherNotReserved(IllegalVoucherMove):
    code = "voucher_not_reserved"


class VoucherBlocked(IllegalVoucherMove):
    code = "voucher_blocked"


class VoucherExpired(IllegalVoucherMove):
    code = "voucher_expired"


class VoucherNotYetValid(IllegalVoucherMove):
    code = "voucher_not_yet_valid"


class WrongReservation(IllegalVoucherMove):
    """Redeem or release for another mission than the one the voucher is reserved for."""

    code = "voucher_wrong_reservation"


class VoucherNotForMission(IllegalVoucherMove):
    """The mission may not be paid with this voucher: its offer is free or takes no voucher,
    or the voucher would take the mission's vouchers above its price. ``code`` is the reason
    (see `payments.vouchers.mission_voucher_refusal`)."""

    code = "voucher_not_for_mission"

    def __init__(
        self, reason: str, *, voucher_id: int | None = None, status: str | None = None, move: str | None = None
    ):
        super().__init__(
            f"{reason}: {move} refused for voucher {voucher_id}", voucher_id=voucher_id, status=status, move=move
        )
        self.reason = reason


class ProgrammeError(VoucherError):
    code = "programme_error"


class ProgrammeNotFunded(ProgrammeError):
    """No voucher circulates unfunded: issuing needs a succeeded funding payment."""

    code = "programme_not_funded"


class InsufficientProgrammeFunds(ProgrammeError):
    code = "programme_insufficient_funds"


class NotEligible(ProgrammeError):
    """The organisation does not meet the programme's eligibility rules; `reasons` lists why (codes)."""

    code = "programme_not_eligible"

    def __init__(self, reasons: list[Ineligibility]):
        super().__init__("; ".join(str(reason.code) for reason in reasons))
        self.reasons = reasons
