"""Helpers of the voucher tests (also used by the access matrix, the bad-input sweep and the
browser test): a real localstripe process, a receiver of its signed webhooks, and builders of
funders, programmes and vouchers through the app's services."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

from tests.localstripe_server import WebhookReceiver as SharedReceiver
from tests.localstripe_server import free_port, start_localstripe, stop_localstripe  # noqa: F401 (re-exported)

WEBHOOK_SECRET = "whsec_vouchers_tests"
API_KEY = "sk_test_vouchers_tests"
PUBLISHABLE_KEY = "pk_test_vouchers_tests"
ENVIRONMENT = "test"
CARD_OK = "4242424242424242"
CARD_3DS = "4000002500003155"
CARD_DECLINED = "4000000000000341"
_sirets = iter(range(10**7, 10**8))


# ---------------------------------------------------------------- localstripe


class WebhookReceiver(SharedReceiver):
    """Keeps localstripe's signed deliveries, so a test can hand them to the app's
    /stripe/webhook (inside its rolled-back transaction)."""

    def wait_for_object(self, event_type: str, object_id: str, timeout: float = 15.0) -> tuple[bytes, str]:
        """(raw body, Stripe-Signature header) of the first delivery of that event for that object."""
        body, headers = self.wait_for_event(event_type, object_id, timeout)
        return body, next(v for k, v in headers.items() if k.lower() == "stripe-signature")


def localstripe_post(base: str, path: str, data: dict, *, key: str = API_KEY) -> dict:
    body = urllib.parse.urlencode(data).encode()
    request = urllib.request.Request(base + path, data=body, method="POST", headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def stripe_js_post(base: str, path: str, payload: dict) -> dict:
    """A POST as localstripe's fake Stripe.js sends it from the browser (JSON body with the publishable key)."""
    body = json.dumps({"key": PUBLISHABLE_KEY, **payload}).encode()
    with urllib.request.urlopen(urllib.request.Request(base + path, data=body, method="POST"), timeout=10) as response:
        return json.loads(response.read())


def card_payment_method(base: str, number: str) -> str:
    """A PaymentMethod for a test card, created as Stripe.js would (the app never sees card numbers)."""
    return localstripe_post(
        base,
        "/v1/payment_methods",
        {"type": "card", "card[number]": number, "card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123"},
    )["id"]


def confirm_card_setup(base: str, client_secret: str, number: str) -> str:
    """What the fake Stripe.js `confirmCardSetup` sends: the SetupIntent's new PaymentMethod."""
    seti = client_secret.split("_secret_")[0]
    payload = {
        "client_secret": client_secret,
        "use_stripe_sdk": True,
        "payment_method_data": {
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        },
    }
    answer = stripe_js_post(base, f"/v1/setup_intents/{seti}/confirm", payload)
    if answer["status"] == "requires_action":  # the fake Stripe.js confirms again after its 3-D Secure modal
        answer = stripe_js_post(
            base, f"/v1/setup_intents/{seti}/confirm", {"client_secret": client_secret, "use_stripe_sdk": True}
        )
    assert answer["status"] == "succeeded", answer
    return answer["payment_method"]


# ---------------------------------------------------------------- builders (through the services)


def next_siret() -> str:
    """A new valid SIRET (Luhn keys of the SIREN and of the whole number)."""
    from stdnum import luhn

    siren = str(next(_sirets) * 10 + 7)[:8]
    siren += luhn.calc_check_digit(siren)
    body = siren + "0001"
    return body + luhn.calc_check_digit(body)


def make_funder(factory, *, name="Ville de Marseille", kind="commune", member=None):
    """A funder created by hub staff, with ``member`` (a new user by default) attached."""
    from app.vouchers import services

    staff = factory._moderator()
    funder = services.create_funder(
        staff, {"name": name, "kind": kind, "dep_code": "13", "contact_email": "cheques@ville.example.fr"}
    )
    member = member or factory.user(name="Agent Financeur")
    services.add_funder_member(staff, funder, member.email)
    factory.session.flush()
    return funder, member


def make_programme(funder, member, **values):
    from app.vouchers import services

    data = {
        "name": "Pass numérique Marseille",
        "description": "Des chèques pour les associations.",
        "face_value_cents": 5_000,
        "voucher_count": 10,
        "validity_days": 365,
        "organisation_kinds": [],
        "departements": [],
        "communes": [],
        "max_per_organisation": None,
        "require_siret": True,
        "requires_approval": False,
    } | values
    return services.create_programme(member, funder, data)


_helper_gateway = None


def helper_gateway():
    """One in-memory gateway for the builders, for the whole process: its intent ids never repeat."""
    global _helper_gateway
    if _helper_gateway is None:
        from payments.testing import FakeGateway

        class BuilderGateway(FakeGateway):
            def _id(self, prefix: str) -> str:
                return f"{prefix}_builder{next(self._ids):08d}"

        _helper_gateway = BuilderGateway(environment=ENVIRONMENT, webhook_secret=WEBHOOK_SECRET)
    return _helper_gateway


def fund(programme, member, gateway=None, payment_method="pm_card_visa"):
    """Pay the programme by card through the service (an in-memory gateway by default: succeeds at once)."""
    from app.vouchers import funders  # deferred: the helpers are imported before the app is configured

    gateway = gateway or helper_gateway()
    result = funders.pay_programme(member, programme, payment_method, gateway)
    return result.payment, result.info


def funded_programme(factory, funder=None, member=None, **values):
    if funder is None:
        funder, member = make_funder(factory)
    programme = make_programme(funder, member, **values)
    fund(programme, member)
    assert programme.status == "funded"
    return programme


def vouchers_world(factory, org_user, org) -> dict:
    """Ids for the access matrix and the bad-input sweep: a funded programme of a funder, a voucher
    held by ``org``, and a request waiting for staff in a programme that asks for approval."""
    from app.vouchers import services

    funder, member = make_funder(factory, name="CAF des Bouches-du-Rhône", kind="caf")
    programme = funded_programme(factory, funder, member, require_siret=False)
    voucher = services.request_voucher(org_user, programme, org)
    approval = funded_programme(
        factory, funder, member, name="Pass avec validation", require_siret=False, requires_approval=True
    )
    request = services.request_voucher(org_user, approval, org)
    factory.session.flush()
    from sqlalchemy import select

    from app.models import Payment
    from app.vouchers.models import PayoutBatch

    payment = factory.session.scalar(select(Payment).where(Payment.reference == f"programme:{programme.id}"))
    batch = PayoutBatch(month="2026-10", method="sepa", message_id=f"world-{programme.id}", document="<Document/>")
    factory.session.add(batch)
    factory.session.flush()
    return {
        "v_funder": funder.id,
        "v_programme": programme.id,
        "v_voucher": voucher.id,
        "v_request": request.id,
        "v_payment": payment.id,
        "v_batch": batch.id,
    }
