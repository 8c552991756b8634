"""Fixtures of the knowledge-base tests: files go to a temporary FILES_DIR; the modules that take
`stripe` get a real localstripe of their own (one process per test module: a module may wipe its
data) whose signed webhooks reach a local receiver."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from library_helpers import producer

from app.billing.gateway import build_gateway, register_dev_webhook, set_gateway
from tests.vouchers.vouchers_helpers import (
    API_KEY,
    ENVIRONMENT,
    PUBLISHABLE_KEY,
    WEBHOOK_SECRET,
    WebhookReceiver,
    start_localstripe,
    stop_localstripe,
)


@pytest.fixture(autouse=True)
def files_dir(app, tmp_path, monkeypatch):
    path = tmp_path / "files"
    monkeypatch.setitem(app.config, "FILES_DIR", str(path))
    return path


@pytest.fixture
def producer_user(factory):
    return factory.user(name="Nadia Productrice", intent="provider")


@pytest.fixture
def prod(producer_user):
    return producer(producer_user)


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory):
    process, base, log = start_localstripe(tmp_path_factory.mktemp("localstripe") / "localstripe.log")
    yield base
    stop_localstripe(process, log)


@pytest.fixture(scope="module")
def receiver(localstripe):
    webhook_receiver = WebhookReceiver()
    yield webhook_receiver
    webhook_receiver.close()


@dataclass
class Stripe:
    base: str
    receiver: WebhookReceiver
    gateway: object


@pytest.fixture
def stripe(app, db_session, localstripe, receiver, monkeypatch):
    for key, value in {
        "STRIPE_API_BASE": localstripe,
        "STRIPE_API_KEY": API_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "STRIPE_ENVIRONMENT": ENVIRONMENT,
        "STRIPE_REGISTER_WEBHOOK": False,
    }.items():  # the receiver's registration stays
        monkeypatch.setitem(app.config, key, value)
    gateway = build_gateway(app.config)
    set_gateway(app, gateway)
    assert register_dev_webhook(receiver.url, force=True)
    yield Stripe(localstripe, receiver, gateway)
    set_gateway(app, None)
