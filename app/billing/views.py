"""The Stripe webhook endpoint."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request

from app.billing import services
from app.billing.gateway import stripe_js_src
from app.billing.messages import card_error_messages
from app.core.access import Access, access
from app.core.jobs import commit
from app.extensions import csrf, db
from payments.errors import WebhookSignatureError

log = logging.getLogger(__name__)

bp = Blueprint("billing", __name__)
bp.add_app_template_global(stripe_js_src)  # the card payment pages include Stripe.js with it
bp.add_app_template_global(card_error_messages)  # and the sentence of each card error (card-pay.js)


@bp.post("/stripe/webhook")
@access(Access.PUBLIC)  # Stripe signs its events: the signature is the authentication
@csrf.exempt  # and Stripe has no CSRF token
def stripe_webhook():
    try:
        # The raw body, before any form parsing: the signature is over these exact bytes.
        outcome = services.process_webhook(request.get_data(), request.headers.get("Stripe-Signature", ""))
    except WebhookSignatureError as error:
        db.session.rollback()
        log.warning("stripe webhook refused: %s", error)
        return jsonify(error={"code": "bad_signature", "message": "invalid signature"}), 400
    except Exception:
        db.session.rollback()
        raise  # 500: nothing was stored, Stripe delivers the event again
    commit()
    return jsonify(status=outcome.status, event=outcome.event_id), 200
