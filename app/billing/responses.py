"""The JSON answer of every card payment step (`app.billing.card`), for the pages' scripts."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, jsonify

from app.billing.card import CardResult, PaymentInProgress
from app.core.errors import ServiceError
from app.core.jobs import commit
from app.extensions import db


def card_payment_answer(pay: Callable[[], CardResult], *, redirect: str, success_message: str):
    """Run ``pay()`` (a service that confirms the card payment), commit, answer JSON:
    ``succeeded`` (+ redirect), ``requires_action`` (+ client_secret for 3-D Secure; ``in_progress``
    when it is the pending payment of an earlier click), ``failed`` (402, French message),
    ``in_progress`` (409: another click is paying) or ``refused`` (4xx, French message)."""
    try:
        result = pay()
        commit()
    except ServiceError as error:
        if getattr(error, "commit", False):
            commit()  # what Stripe told us while refusing (a pending payment that succeeded meanwhile)
        else:
            db.session.rollback()
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
            message=info.user_message or "",
            in_progress=result.reused,
        )
    if info.failed:
        return jsonify(status="failed", message=info.user_message), 402
    return jsonify(status=result.payment.status, message=info.user_message or "")
