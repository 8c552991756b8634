"""The view side of every card payment (`app.billing.card`): the payment page's SetupIntent, the
JSON answer of the confirm step, and the JSON of the status poll, for the pages' one script
(`app/static/card-pay.js`). A payment kind's views are thin calls of these three."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, jsonify
from flask_babel import gettext as _

from app.billing.card import CardResult, PaymentInProgress
from app.billing.gateway import register_dev_webhook
from app.billing.messages import info_message
from app.core.web import transaction

T = TypeVar("T")


def card_setup(start: Callable[[], T]) -> tuple[T | None, str | None]:
    """The payment page: ``start()`` creates the SetupIntent (and the payer's Stripe customer,
    committed once). Returns ``(setup, None)``, or ``(None, French message)`` when refused (the
    page shows it with a 503)."""
    register_dev_webhook()  # localstripe forgets it at each restart (no-op against Stripe)
    with transaction(show=False) as tx:
        setup = start()
    if not tx.ok:
        return None, str(tx.error.message)
    return setup, None


def card_setup_answer(form, start: Callable[[], Any]):
    """Another try on a payment page (its script posts ``form``, the CSRF token): a fresh
    SetupIntent for the card typed now, as JSON (``ready`` + ``client_secret``); a SetupIntent is
    used once, so a second card after an error needs one without reloading the page. ``invalid``
    (400) without a valid form, ``refused`` (4xx/503, French message) when ``start()`` refuses."""
    if not form.validate_on_submit():
        return jsonify(status="invalid", message=_("Formulaire expiré : rechargez la page.")), 400
    register_dev_webhook()  # localstripe forgets it at each restart (no-op against Stripe)
    with transaction(show=False) as tx:
        setup = start()
    if not tx.ok:
        return jsonify(status="refused", message=str(tx.error.message)), tx.error.status
    return jsonify(status="ready", client_secret=setup.client_secret)


def invalid_card_answer():
    return jsonify(status="invalid", message=_("Moyen de paiement invalide. Rechargez la page et recommencez.")), 400


def card_confirm_answer(form, pay: Callable[[], CardResult], *, redirect: str, success_message: str):
    """The confirm step posted by the page's script (``form``: the PaymentMethod and the CSRF
    token): ``invalid`` (400) when the form is not valid, else `card_payment_answer` of ``pay()``."""
    if not form.validate_on_submit():
        return invalid_card_answer()
    return card_payment_answer(pay, redirect=redirect, success_message=success_message)


def card_payment_answer(pay: Callable[[], CardResult], *, redirect: str, success_message: str):
    """Run ``pay()`` (a service that confirms the card payment), commit, answer JSON:
    ``succeeded`` (+ redirect), ``requires_action`` (+ client_secret for 3-D Secure; ``in_progress``
    when it is the pending payment of an earlier click), ``failed`` (402, French message),
    ``in_progress`` (409: another click is paying) or ``refused`` (4xx, French message)."""
    with transaction(show=False) as tx:  # a refusal that keeps what Stripe told us commits it
        result = pay()
    if not tx.ok:
        error = tx.error
        status = "in_progress" if isinstance(error, PaymentInProgress) else "refused"
        return jsonify(status=status, message=str(error.message)), error.status
    info = result.info
    if info.succeeded:
        flash(success_message, "success")
        return jsonify(status="succeeded", redirect=redirect)
    if info.requires_action:
        return jsonify(
            status="requires_action",
            client_secret=info.client_secret,
            message=info_message(info) or "",
            in_progress=result.reused,
        )
    if info.failed:
        return jsonify(status="failed", message=info_message(info)), 402
    return jsonify(status=result.payment.status, message=info_message(info) or "")


def card_state_answer(state: dict[str, Any], *, redirect: str):
    """The status poll: ``state`` (with ``done``), plus where to go once it is done."""
    if state["done"]:
        state["redirect"] = redirect
    return jsonify(state)
