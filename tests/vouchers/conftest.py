"""Fixtures of the voucher tests.

By default the app's gateway is `payments.testing.FakeGateway` (no process, no network).
Tests that take `stripe` get a real localstripe process (one per test session, i.e. per
xdist worker, on a free port, ``--from-scratch``) whose signed webhooks reach a local
receiver, registered through the app's own `register_dev_webhook`; the test hands each
delivery to /stripe/webhook with the test client, inside its rolled-back transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.vouchers.vouchers_helpers import (
    API_KEY,
    ENVIRONMENT,
    PUBLISHABLE_KEY,
    WEBHOOK_SECRET,
    WebhookReceiver,
    make_funder,
    next_siret,
    start_localstripe,
    stop_localstripe,
)


@pytest.fixture(autouse=True)
def fake_gateway(app, monkeypatch):
    from app.billing.gateway import set_gateway
    from payments.testing import FakeGateway

    gateway = FakeGateway(environment=ENVIRONMENT, webhook_secret=WEBHOOK_SECRET)
    monkeypatch.setitem(app.config, "STRIPE_REGISTER_WEBHOOK", False)
    set_gateway(app, gateway)
    yield gateway
    set_gateway(app, None)


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    process, base, log = start_localstripe(tmp_path_factory.mktemp("localstripe") / "localstripe.log")
    yield base
    stop_localstripe(process, log)


@pytest.fixture(scope="session")
def webhook_receiver(localstripe):
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@dataclass
class Stripe:
    base: str
    gateway: object
    receiver: WebhookReceiver


@pytest.fixture
def stripe(app, db_session, localstripe, webhook_receiver, monkeypatch):
    """The app talks to the real localstripe; its webhooks go to the receiver (registered by the
    app's dev registration, as `make run` does against its own localstripe)."""
    from app.billing.gateway import build_gateway, register_dev_webhook, set_gateway

    for key, value in {
        "STRIPE_API_BASE": localstripe,
        "STRIPE_API_KEY": API_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "STRIPE_ENVIRONMENT": ENVIRONMENT,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    gateway = build_gateway(app.config)
    set_gateway(app, gateway)
    assert register_dev_webhook(webhook_receiver.url, force=True)
    return Stripe(localstripe, gateway, webhook_receiver)


@pytest.fixture
def funder_setup(factory):
    """(funder, its member)."""
    return make_funder(factory)


@pytest.fixture
def org_user(factory):
    return factory.user(name="Membre Association")


@pytest.fixture
def org(factory, org_user):
    return factory.organisation(owner=org_user, siret=next_siret())
