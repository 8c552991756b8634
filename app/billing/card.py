"""One user intent = one card payment: the server side of every card payment of the app
(a licence purchase, a programme's funding, the rest of a mission's price).

Card first (see payments/README.md): the page saves the card on a SetupIntent
(`setup_card`), then posts its PaymentMethod; `pay_by_card` confirms a
PaymentIntent with it. The rule, the same for the three kinds:

- **Serialised on what is bought.** Every payment of one buyer for one item goes
  through one `CardIntent` row, unique per (buyer, item): concurrent requests
  meet on it. It is locked with ``SELECT ... FOR UPDATE NOWAIT`` on PostgreSQL;
  a click that finds it locked is answered at once "un paiement est déjà en
  cours" (`PaymentInProgress`, 409) and charges nothing. (The very first click
  inserts the row; a concurrent first click waits on the unique index until the
  first one commits, then sees its outcome.) SQLite has no row locks: there the
  unique row still guarantees one intent, and SQLite runs one writer at a time.
- **The pending attempt is reused.** If the latest PaymentIntent is still
  pending, its state is first read again from Stripe and applied (it may have
  succeeded meanwhile). Still waiting for 3-D Secure with the same card: the
  same PaymentIntent is answered again (its ``client_secret``), nothing new is
  created. Another card: the unfinished attempt is cancelled, then a new one
  starts. Still processing: "en cours".
- **Nothing is paid twice.** ``charge()`` is called under the lock, after the
  pending attempt is brought up to date: it says what is left to pay or raises
  `Conflict` (licence already held, programme already paid, nothing left to pay
  for the mission). A declined card leaves nothing paid: the next click is a new
  attempt.
- **The idempotency key is the intent's**: (purpose, buyer, item, attempt),
  never a fresh id, so a request retried by the SDK or replayed after a crash
  before our commit gets the same PaymentIntent from Stripe. (localstripe ignores
  idempotency keys: the lock above is what makes it hold there too.)
- **A customer Stripe lost is created again** (`payments.errors.CustomerNotFound`):
  ``customer(fresh=True)`` creates and stores a new one, and the attempt is made
  again once, with the next attempt number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from app.billing.messages import payment_message
from app.billing.models import CardIntent
from app.core.errors import Conflict, ServiceError
from app.extensions import db
from app.ledger import Payment
from payments import checkout
from payments.codes import PaymentStatus
from payments.errors import CustomerNotFound, GatewayError, NotFound

log = logging.getLogger(__name__)

#: Our payment statuses that may still become a charge.
PENDING = (PaymentStatus.CREATED, PaymentStatus.REQUIRES_ACTION, PaymentStatus.PROCESSING)

CustomerSource = Callable[[bool], "str | None"]


@dataclass(frozen=True)
class Charge:
    """What a new attempt charges (decided under the lock by the caller's ``charge()``)."""

    amount_cents: int
    settlement: list
    reference: str
    currency: str = "eur"
    metadata: Mapping[str, str] | None = None


@dataclass(frozen=True)
class CardResult:
    payment: object  # payments' Payment row
    info: object  # payments.interface.PaymentIntentInfo
    reused: bool = False  # the pending PaymentIntent of an earlier click, answered again


def _keeping(error: ServiceError) -> ServiceError:
    """Mark a refusal made after the pending payment was brought up to date from Stripe: the
    view commits that state (e.g. a success the webhook has not brought yet) before answering."""
    error.commit = True
    return error


class PaymentInProgress(Conflict):
    """Another request of the same buyer for the same item is paying right now."""


def in_progress_message() -> str:
    return _("Un paiement est déjà en cours pour cet achat : attendez sa confirmation avant de réessayer.")


def idempotency_key(intent: CardIntent) -> str:
    """Stripe's idempotency key of the intent's current attempt: never a fresh id."""
    return f"card:{intent.purpose}:{intent.buyer_ref}:{intent.item_ref}:{intent.attempt}"


def gateway_refusal(error) -> ServiceError:
    """A gateway error as the payer sees it: 503 when Stripe cannot be reached, 402 otherwise."""
    code = getattr(error, "stripe_code", None) or getattr(error, "code", None)
    failure = ServiceError(payment_message(code))
    failure.status = 503 if getattr(error, "code", "") == "gateway_unavailable" else 402
    return failure


# ------------------------------------------------------------------ the lock


def _busy(error: OperationalError) -> bool:
    sqlstate = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return sqlstate == "55P03" or "database is locked" in str(error.orig)  # lock_not_available / SQLite


def _select_locked(buyer_ref: str, item_ref: str) -> CardIntent | None:
    query = (
        select(CardIntent)
        .where(CardIntent.buyer_ref == buyer_ref, CardIntent.item_ref == item_ref)
        .with_for_update(nowait=True)
        .execution_options(populate_existing=True)
    )
    try:
        with db.session.begin_nested():
            return db.session.execute(query).scalar_one_or_none()
    except OperationalError as error:
        if _busy(error):
            raise PaymentInProgress(in_progress_message()) from None
        raise


def lock_intent(purpose: str, buyer_ref: str, item_ref: str) -> CardIntent:
    """The buyer's intent for the item, created if needed, locked until the transaction ends;
    `PaymentInProgress` when another request holds it."""
    intent = _select_locked(buyer_ref, item_ref)
    if intent is None:
        try:
            with db.session.begin_nested():
                db.session.add(CardIntent(purpose=purpose, buyer_ref=buyer_ref, item_ref=item_ref, attempt=0))
        except IntegrityError:
            pass  # a concurrent first click created it (the insert waited for its commit)
        except OperationalError as error:
            if _busy(error):
                raise PaymentInProgress(in_progress_message()) from None
            raise
        intent = _select_locked(buyer_ref, item_ref)
    return intent


# ------------------------------------------------------------------ the pending attempt


def _payment(stripe_id: str):
    return db.session.execute(
        select(Payment).where(Payment.stripe_id == stripe_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()


def refresh(gateway, payment):
    """Read a pending payment's PaymentIntent again from Stripe and apply it (it may have
    succeeded or failed meanwhile); returns the PaymentIntent, or None when Stripe no longer
    knows it (its test data wiped): then the payment is recorded as canceled."""
    try:
        info = gateway.retrieve_payment_intent(payment.stripe_id)
    except NotFound:
        log.warning("payment %s: Stripe no longer knows its PaymentIntent, recorded as canceled", payment.stripe_id)
        payment.status, payment.failure_code = PaymentStatus.CANCELED.value, "resource_missing"
        db.session.flush()
        return None
    checkout.apply_payment_intent(db.session, info, environment=gateway.environment)
    return info


def abandon(gateway, payment) -> None:
    """A new card replaces an unfinished attempt: cancel its PaymentIntent (if Stripe says it
    succeeded meanwhile, apply that instead)."""
    try:
        info = gateway.cancel_payment_intent(payment.stripe_id)
    except GatewayError:
        refresh(gateway, payment)
        return
    checkout.apply_payment_intent(db.session, info, environment=gateway.environment)


# ------------------------------------------------------------------ paying


def _customer_id(customer: CustomerSource | None, fresh: bool = False) -> str | None:
    return customer(fresh) if customer is not None else None


def setup_card(gateway, *, metadata: Mapping[str, str], customer: CustomerSource | None = None):
    """A SetupIntent on which Stripe.js saves the payer's card (``confirmCardSetup``); a saved
    customer that Stripe no longer knows is replaced by a new one."""
    try:
        try:
            return gateway.create_setup_intent(customer=_customer_id(customer), metadata=metadata)
        except CustomerNotFound as missing:
            log.warning("Stripe customer %s is gone: a new one is created", missing.customer)
            return gateway.create_setup_intent(customer=_customer_id(customer, fresh=True), metadata=metadata)
    except GatewayError as error:
        log.warning("setup intent (%s) refused by the gateway: %s (%s)", dict(metadata), error, error.code)
        raise gateway_refusal(error) from None


def pay_by_card(
    gateway,
    *,
    purpose: str,
    buyer_ref: str,
    item_ref: str,
    payment_method: str,
    charge: Callable[[], Charge],
    customer: CustomerSource | None = None,
    busy_message: str | None = None,
) -> CardResult:
    """Pay ``item_ref`` for ``buyer_ref`` with the saved card, once (see the module docstring).

    ``charge()``: called under the lock; raises `Conflict` when there is nothing (more) to pay,
    else says what a new attempt charges. ``customer(fresh)``: the payer's saved Stripe customer
    (``fresh=True``: create, store and return a new one), or None. Raises `PaymentInProgress`
    (409), the caller's `Conflict`, or a `ServiceError` (402/503) for a gateway error; a declined
    card is not an exception: ``result.info.failed``."""
    if not (payment_method or "").startswith("pm_"):
        raise ServiceError(_("Moyen de paiement invalide. Rechargez la page et recommencez."))
    busy = busy_message or in_progress_message()
    try:
        intent = lock_intent(purpose, buyer_ref, item_ref)
    except PaymentInProgress:
        raise PaymentInProgress(busy) from None
    try:
        pending = _payment(intent.payment_ref) if intent.payment_ref else None
        if pending is not None and pending.status in PENDING:
            info = refresh(gateway, pending)
            if (
                pending.status == PaymentStatus.REQUIRES_ACTION
                and info is not None
                and info.payment_method == payment_method
            ):
                return CardResult(pending, info, reused=True)  # the same click again: finish the 3-D Secure
            if pending.status == PaymentStatus.PROCESSING:
                raise _keeping(PaymentInProgress(busy))
            if pending.status in PENDING:
                abandon(gateway, pending)
        try:
            new = charge()
        except ServiceError as refusal:
            raise _keeping(refusal) from None
        customer_id = _customer_id(customer)
        for last in (False, True):
            intent.attempt += 1
            try:
                payment, info = checkout.start_payment(
                    db.session,
                    gateway,
                    amount_cents=new.amount_cents,
                    purpose=purpose,
                    settlement=new.settlement,
                    reference=new.reference,
                    payer_ref=buyer_ref,
                    customer=customer_id,
                    payment_method=payment_method,
                    confirm=True,
                    currency=new.currency.lower(),
                    metadata=new.metadata,
                    idempotency_key=idempotency_key(intent),
                )
                break
            except CustomerNotFound:
                if customer is None or last:
                    raise
                log.warning("Stripe customer %s of %s is gone: a new one is created", customer_id, buyer_ref)
                customer_id = _customer_id(customer, fresh=True)
    except GatewayError as error:
        log.warning("card payment of %s for %s refused by the gateway: %s (%s)", item_ref, buyer_ref, error, error.code)
        raise gateway_refusal(error) from None
    intent.payment_ref = info.id
    db.session.flush()
    return CardResult(payment, info)
