"""The one place the app gets its payment gateway from.

`current_gateway()` builds a `payments.gateway.StripeGateway` from the
configuration once per app (STRIPE_API_KEY, STRIPE_API_BASE — localstripe in
dev and tests —, STRIPE_WEBHOOK_SECRET, STRIPE_ENVIRONMENT) and keeps it in
``app.extensions``; tests swap it with `set_gateway` (e.g. for
`payments.testing.FakeGateway`). The app never imports `stripe` itself.

In dev, localstripe keeps its webhook registrations in memory only:
`register_dev_webhook` (re)registers /stripe/webhook before each card payment.
"""

from __future__ import annotations

import logging
import urllib.parse
import urllib.request

from flask import Flask, current_app, has_request_context, url_for

from app.core.security import allow_on_this_page, no_store_this_page
from payments.interface import PaymentGateway

log = logging.getLogger(__name__)

EXTENSION_KEY = "hub_payment_gateway"
DEV_WEBHOOK_ID = "hub"
REAL_STRIPE_JS = "https://js.stripe.com/v3/"
# What Stripe's integration security guide asks for Stripe.js and its card Element (3-D Secure included).
REAL_STRIPE_SOURCES = {
    "script-src": ("https://js.stripe.com", "https://*.js.stripe.com"),
    "frame-src": ("https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"),
    "connect-src": ("https://api.stripe.com",),
}


def build_gateway(config) -> PaymentGateway:
    from payments.gateway import StripeGateway  # deferred: it imports stripe, which a FakeGateway never needs

    return StripeGateway(
        config["STRIPE_API_KEY"],
        api_base=config.get("STRIPE_API_BASE") or None,
        webhook_secret=config.get("STRIPE_WEBHOOK_SECRET") or None,
        environment=config.get("STRIPE_ENVIRONMENT") or "dev",
    )


def current_gateway() -> PaymentGateway:
    app = current_app._get_current_object()
    gateway = app.extensions.get(EXTENSION_KEY)
    if gateway is None:
        gateway = app.extensions[EXTENSION_KEY] = build_gateway(app.config)
    return gateway


def set_gateway(app: Flask, gateway: PaymentGateway | None) -> None:
    """Use ``gateway`` from now on (None: build it again from the configuration)."""
    if gateway is None:
        app.extensions.pop(EXTENSION_KEY, None)
    else:
        app.extensions[EXTENSION_KEY] = gateway


def stripe_js_url() -> str:
    """Stripe.js: localstripe's fake one in dev and tests, the real one otherwise."""
    base = current_app.config.get("STRIPE_API_BASE") or ""
    return base.rstrip("/") + "/js.stripe.com/v3/" if base else REAL_STRIPE_JS


def stripe_sources(config) -> dict[str, tuple[str, ...]]:
    """The origins a card payment page needs: localstripe's one origin, or Stripe's."""
    base = config.get("STRIPE_API_BASE") or ""
    if not base:
        return REAL_STRIPE_SOURCES
    parts = urllib.parse.urlsplit(base)
    origin = (f"{parts.scheme}://{parts.netloc}",)
    return {"script-src": origin, "frame-src": origin, "connect-src": origin}


def stripe_js_src() -> str:
    """Template global: the Stripe.js URL; this page's CSP allows Stripe, and the page is not stored (a
    card payment page holds a client secret)."""
    allow_on_this_page(stripe_sources(current_app.config), payment=True)
    no_store_this_page()
    return stripe_js_url()


def webhook_url() -> str:
    if has_request_context():
        return url_for("billing.stripe_webhook", _external=True)
    base = current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000"
    return base.rstrip("/") + "/stripe/webhook"


def register_dev_webhook(url: str | None = None, *, force: bool = False) -> bool:
    """Tell localstripe where to send its signed events (no-op against the real API,
    where the endpoint is configured in the Stripe dashboard). True when registered."""
    config = current_app.config
    base = config.get("STRIPE_API_BASE") or ""
    if not base or not (force or config.get("STRIPE_REGISTER_WEBHOOK")):
        return False
    target = url or webhook_url()
    data = urllib.parse.urlencode({"url": target, "secret": config.get("STRIPE_WEBHOOK_SECRET") or ""}).encode()
    try:
        urllib.request.urlopen(
            urllib.request.Request(f"{base.rstrip('/')}/_config/webhooks/{DEV_WEBHOOK_ID}", data=data, method="POST"),
            timeout=5,
        ).read()
    except OSError as exc:
        log.warning("could not register the webhook %s with localstripe at %s: %s", target, base, exc)
        return False
    log.info("webhook %s registered with localstripe at %s", target, base)
    return True


def publishable_key() -> str:
    """The Stripe publishable key the card payment pages give Stripe.js."""
    return current_app.config.get("STRIPE_PUBLISHABLE_KEY", "")
