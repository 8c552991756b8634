"""The demo tells a story: right after `load_demo`, every demo account does its main action at once,
and its space shows that action first."""

from __future__ import annotations

import re

from sqlalchemy import select
from stdnum.fr import siret as siret_std

from app.accounts.services import get_user_by_email
from app.demo import ORGANISATION_EMAIL, PROVIDER_EMAIL, load_demo
from app.directory.models import Organisation
from app.ledger import Payment, Voucher, VoucherProgramme
from app.library.models import Resource
from app.vouchers import services as vouchers
from payments import ledger
from payments.codes import PaymentStatus, ProgrammeStatus
from tests.conftest import login, page_text, post_form

FUNDER_EMAIL = "financeur@demo.hubdusud.fr"
PRODUCER_EMAIL = "producteur@demo.hubdusud.fr"


def first_action(client) -> str:
    """The label of the first button of the person's space."""
    page = client.get("/espace").get_data(as_text=True)
    match = re.search(r'<a class="button"[^>]*>([^<]+)</a>', page)
    assert match, "no action in the space"
    return match.group(1).replace("&#39;", "'").replace("&amp;", "&")


def test_every_demo_account_can_do_its_main_action_at_once(client, db_session):
    load_demo("mot de passe de la démo")
    db_session.flush()

    # A programme is open because it is paid: a succeeded card payment, settled in the ledger.
    programmes = list(db_session.scalars(select(VoucherProgramme).order_by(VoucherProgramme.id)))
    funded = [p for p in programmes if p.status == ProgrammeStatus.FUNDED]
    assert len(funded) == 1 and vouchers.open_programmes() == funded
    programme = funded[0]
    payment = db_session.scalar(select(Payment).where(Payment.reference == f"programme:{programme.id}"))
    assert payment.status == PaymentStatus.SUCCEEDED and payment.amount_cents == programme.budget_cents
    assert vouchers.pv.available_cents(db_session, programme) == programme.budget_cents
    assert ledger.trial_balance(db_session).balanced

    # The demo organisation is eligible (a valid SIRET, in the Bouches-du-Rhône) and gets a voucher.
    structure = get_user_by_email(ORGANISATION_EMAIL)
    org = db_session.get(Organisation, next(iter(structure.organisation_ids)))
    assert org.siret and siret_std.is_valid(org.siret)
    eligible = [o for o in db_session.scalars(select(Organisation)) if not vouchers.eligibility_problems(programme, o)]
    assert org in eligible and len(eligible) >= 5
    login(client, structure)
    assert first_action(client) == "Demander un chèque numérique"
    response = post_form(client, f"/cheques/programmes/{programme.id}/demande", {"organisation_id": org.id})
    assert response.status_code == 302 and "/cheques/" in response.headers["Location"]
    voucher = db_session.scalar(select(Voucher).where(Voucher.organisation_id == org.id))
    assert voucher is not None and voucher.programme_id == programme.id
    client.post("/deconnexion", data={"csrf_token": ""})

    # The provider publishes an offer; the funder pays its other programme; the producer opens its space.
    with client.session_transaction() as session:
        session.clear()
    login(client, get_user_by_email(PROVIDER_EMAIL))
    assert first_action(client) == "Publier une offre"
    with client.session_transaction() as session:
        session.clear()
    login(client, get_user_by_email(FUNDER_EMAIL))
    unpaid = next(p for p in programmes if p.status != ProgrammeStatus.FUNDED)
    assert first_action(client) == f"Payer le programme « {unpaid.name} »"
    assert "Chèques numériques 2027" in page_text(client.get("/financeur/"))
    with client.session_transaction() as session:
        session.clear()
    login(client, get_user_by_email(PRODUCER_EMAIL))
    assert first_action(client) == "Ouvrir mon espace producteur"
    space = page_text(client.get("/espace"))
    assert "Espace producteur : Collectif Médiation Sud" in space

    # Every resource offering a printable sheet has a real file, which downloads (the free ones, by anyone).
    with client.session_transaction() as session:
        session.clear()
    resources = list(db_session.scalars(select(Resource)))
    printable = [r for r in resources if "imprimable" in r.formats]
    assert printable and all(r.files for r in resources)
    for resource in printable:
        file = resource.files[0]
        response = client.get(f"/r/{resource.identifier}/fichiers/{file.id}")
        assert response.status_code == 200, resource.title
        assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
