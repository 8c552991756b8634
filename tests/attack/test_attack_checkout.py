"""One user intent = one payment, over real HTTP: for each card payment kind (a licence, a
programme's funding, the rest of a mission's price), 32 clients of ONE logged-in user (32
connections sharing its session cookie) post the payment step with the same saved card at the
same instant, against gunicorn (3 workers) on PostgreSQL and a real localstripe.

Exactly one PaymentIntent succeeds at localstripe for the item, and the effect happens once (one
licence grant; the programme funded once in the ledger; the mission's rest paid once to the
provider). Every other click is answered 409 with a French message (payment in progress, or
already paid): none is a 500, none charges."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from tests.vouchers.vouchers_helpers import confirm_card_setup

CLIENTS = 32
_SECRET = re.compile(r'data-client-secret="([^"]+)"')


def _clients(attack_server, browser: requests.Session) -> list[requests.Session]:
    """CLIENTS sessions of the same logged-in user: each its own connection, the same cookie."""
    clients = []
    for _ in range(CLIENTS):
        other = attack_server.session()
        other.cookies.update(browser.cookies)
        other.headers["Accept"] = "application/json"
        clients.append(other)
    return clients


def _warm(attack_server, browser: requests.Session, path: str, data: dict | None = None, *, rounds: int = 2) -> None:
    """Warm every gunicorn worker on the payment code (each imports the Stripe SDK and builds its
    gateway on its first payment request, as a production worker did long ago): a few rounds of
    concurrent harmless requests (a SetupIntent each, nothing charged)."""
    from tests.attack.conftest import ATTACK_WORKERS

    token = attack_server.csrf(browser, path) if data is not None else None
    clients = _clients(attack_server, browser)[: ATTACK_WORKERS * 3]

    def hit(client: requests.Session) -> None:
        if data is None:
            assert client.get(attack_server.url + path, timeout=120).status_code == 200
        else:
            answer = client.post(attack_server.url + path, data={**data, "csrf_token": token}, timeout=120)
            assert answer.status_code == 200, answer.text[:300]

    for _ in range(rounds):
        threads = [threading.Thread(target=hit, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def _race(attack_server, browser: requests.Session, path: str, data: dict, *, token_from: str) -> list:
    """POST ``data`` to ``path`` from CLIENTS threads released together; (status, JSON) of each."""
    token = attack_server.csrf(browser, token_from)
    clients = _clients(attack_server, browser)
    barrier = threading.Barrier(CLIENTS)
    answers: list = [None] * CLIENTS

    def click(index: int) -> None:
        barrier.wait()
        try:
            response = clients[index].post(
                attack_server.url + path, data={**data, "csrf_token": token}, timeout=120, allow_redirects=False
            )
            try:
                body = response.json()
            except ValueError:
                body = {"text": response.text[:300]}
            answers[index] = (response.status_code, body)
        except requests.RequestException as error:  # counted as a failure below
            answers[index] = (0, {"error": str(error)})

    threads = [threading.Thread(target=click, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _check_answers(answers: list, attack_server, done: str) -> Counter:
    """One click paid; each other one was told, in French, that a payment is in progress or that
    the thing is paid already (``done``). Returns the count of each answer."""
    statuses = Counter(status for status, _body in answers)
    assert statuses[200] == 1, (statuses, answers, attack_server.logs())
    assert statuses[409] == CLIENTS - 1, (statuses, answers, attack_server.logs())
    [winner] = [body for status, body in answers if status == 200]
    assert winner["status"] == "succeeded"
    kinds = Counter()
    for status, body in answers:
        if status == 409:
            if body["status"] == "in_progress":
                assert "Un paiement est déjà en cours" in body["message"], body
            else:
                assert body == {"status": "refused", "message": done}, body
            kinds[body["status"]] += 1
    return kinds


def _payment_intents(attack_server, prefix: str) -> list[dict]:
    """Every PaymentIntent localstripe holds whose hub_reference starts with ``prefix``."""
    request = urllib.request.Request(
        attack_server.stripe_url + "/v1/payment_intents?limit=100",
        headers={"Authorization": "Bearer sk_test_localstripe"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        data = json.loads(response.read())["data"]
    return [pi for pi in data if (pi.get("metadata") or {}).get("hub_reference", "").startswith(prefix)]


def _wait_for_webhook(attack_server, pi_id: str) -> None:
    """localstripe's payment_intent.succeeded reaches /stripe/webhook about a second later: once
    it is stored, its (idempotent) application is in too."""
    from app.models import StripeEvent

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with attack_server.db() as session:
            if session.scalar(
                select(func.count())
                .select_from(StripeEvent)
                .where(StripeEvent.object_id == pi_id, StripeEvent.type == "payment_intent.succeeded")
            ):
                return
        time.sleep(0.2)
    pytest.fail(f"the webhook of {pi_id} never arrived:\n{attack_server.logs()}")


def _settlements(session, pi_ids: list[str]) -> int:
    from app.models import LedgerTransaction

    return session.scalar(
        select(func.count())
        .select_from(LedgerTransaction)
        .where(LedgerTransaction.idempotency_key.in_([f"payment:{pi}:settle" for pi in pi_ids]))
    )


def _one_succeeded(attack_server, prefix: str) -> str:
    intents = _payment_intents(attack_server, prefix)
    succeeded = [pi["id"] for pi in intents if pi["status"] == "succeeded"]
    assert len(succeeded) == 1, (prefix, [(pi["id"], pi["status"]) for pi in intents])
    return succeeded[0]


def _race_to_pay(attack_server, browser: requests.Session, path: str, data: dict, *, done: str, reference: str) -> str:
    """The race on ``path``, its answers checked; the one succeeded PaymentIntent's id, once its
    webhook is in (``reference``: the prefix of the item's hub_reference at Stripe)."""
    answers = _race(attack_server, browser, path, data, token_from=path)
    _check_answers(answers, attack_server, done)
    pi_id = _one_succeeded(attack_server, reference)
    _wait_for_webhook(attack_server, pi_id)
    return pi_id


def _race_on_payment_page(attack_server, email: str, path: str, *, done: str, reference: str) -> str:
    """A payment page that carries its SetupIntent (programme, mission): log in, warm the workers,
    save one card on the page's SetupIntent, then `_race_to_pay` with it."""
    browser = attack_server.login(email)
    _warm(attack_server, browser, path)
    page = attack_server.get(browser, path)
    assert page.status_code == 200, page.text[:500]
    card = confirm_card_setup(attack_server.stripe_url, _SECRET.search(page.text).group(1), "4242424242424242")
    return _race_to_pay(attack_server, browser, path, {"payment_method": card}, done=done, reference=reference)


# ---------------------------------------------------------------- the three kinds


def test_32_clicks_buy_one_licence_once(attack_server):
    from tests.library.library_helpers import paid_offer, producer, resource

    with attack_server.factory() as f:
        seller = f.user(email="vendeuse.course@exemple.fr", intent="provider")
        prod = producer(seller, name="Collectif Course Sud")
        r = resource(seller, prod, title="Kit « Double clic »", licence="LicenseRef-licence-usage")
        offer = paid_offer(seller, r, price_cents=4900, duration_months=12)
        f.user(email="acheteuse.course@exemple.fr")
        ident, offer_id = r.identifier, offer.id
    browser = attack_server.login("acheteuse.course@exemple.fr")
    base = f"/r/{ident}/licences/{offer_id}/acheter"
    _warm(attack_server, browser, base + "/carte", {})
    setup = attack_server.post_form(
        browser, base + "/carte", {}, token_from=base, headers={"Accept": "application/json"}
    )
    assert setup.status_code == 200, setup.text
    card = confirm_card_setup(attack_server.stripe_url, setup.json()["client_secret"], "4242424242424242")

    pi_id = _race_to_pay(
        attack_server,
        browser,
        base,
        {"payment_method": card, "holder_name": "Médiathèque"},
        done="Vous détenez déjà cette licence.",
        reference=f"licence:{offer_id}:",
    )
    from app.library.models import LicenceGrant

    with attack_server.db() as session:
        grants = session.scalars(select(LicenceGrant).where(LicenceGrant.offer_id == offer_id)).all()
        assert [g.payment_ref for g in grants] == [pi_id]
        assert _settlements(session, [pi_id]) == 1


def test_32_clicks_fund_one_programme_once(attack_server):
    from tests.vouchers.vouchers_helpers import make_funder, make_programme

    with attack_server.factory() as f:
        member = f.user(email="financeur.course@exemple.fr")
        funder, _member = make_funder(f, name="Ville de la Course", member=member)
        programme = make_programme(funder, member, name="Pass course", face_value_cents=5_000, voucher_count=4)
        programme_id, budget = programme.id, programme.budget_cents
    pi_id = _race_on_payment_page(
        attack_server,
        "financeur.course@exemple.fr",
        f"/financeur/programmes/{programme_id}/paiement",
        done="Ce programme est déjà payé.",
        reference=f"programme:{programme_id}",
    )
    from app.models import Payment, VoucherProgramme
    from payments import ledger

    with attack_server.db() as session:
        assert session.get(VoucherProgramme, programme_id).status == "funded"
        assert ledger.balance(session, f"programme:{programme_id}:fund", natural=True) == budget
        payments = session.scalars(select(Payment).where(Payment.reference == f"programme:{programme_id}")).all()
        assert [p.stripe_id for p in payments if p.status == "succeeded"] == [pi_id]
        assert _settlements(session, [p.stripe_id for p in payments]) == 1


def test_32_clicks_pay_the_rest_of_a_mission_once(attack_server):
    with attack_server.factory() as f:
        org_user = f.user(email="association.course@exemple.fr")
        org = f.organisation(owner=org_user, name="Association de la Course")
        provider = f.provider(name="Médiation de la Course")
        f.offer(provider=provider, price_mode="voucher", price_cents=8_000)
        need = f.need(organisation=org, user=org_user, funding_mode="voucher")
        _run, _proposal, mission = f.mission(need, provider.memberships[0].user)
        mission_id, provider_id = mission.id, provider.id
    pi_id = _race_on_payment_page(
        attack_server,
        "association.course@exemple.fr",
        f"/cheques/missions/{mission_id}/paiement",
        done="Il ne reste rien à payer pour cette mission.",
        reference=f"mission:{mission_id}",
    )
    from app.models import Payment
    from payments import ledger

    with attack_server.db() as session:
        payments = session.scalars(select(Payment).where(Payment.reference == f"mission:{mission_id}")).all()
        assert [p.stripe_id for p in payments if p.status == "succeeded"] == [pi_id]
        assert _settlements(session, [p.stripe_id for p in payments]) == 1
        assert ledger.balance(session, f"provider:{provider_id}:payable", natural=True) == 8_000
