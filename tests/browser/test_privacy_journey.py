"""A member takes their data, asks for their account to be deleted, changes their mind, asks again, and is
gone once the grace period is over (the retention job run on a clock moved past it)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

from tests.browser.conftest import PASSWORD, confirmed_user, sign_in, sign_out

EMAIL = "mona.depart@exemple.fr"
NAME = "Mona Départ"


def test_member_downloads_deletes_cancels_deletes_again_and_is_gone(live_app, page):
    from app.core.jobs import commit
    from app.directory.services import create_organisation
    from app.extensions import db

    base = live_app.config["LIVE_URL"]
    with live_app.app_context():
        user = confirmed_user(EMAIL, NAME)
        create_organisation(
            user,
            {
                "name": "Les Ateliers de Mona",
                "kind": "association",
                "size": "benevoles",
                "commune_insee": "13055",
                "description": "Ateliers de quartier.",
                "contact_email": EMAIL,
                "contact_phone": "06 98 76 54 32",
            },
        )
        commit()
        user_id = user.id

    sign_in(page, base, EMAIL)
    page.goto(base + "/espace/parametres")
    page.get_by_role("link", name=re.compile("Mes données")).click()
    page.get_by_role("button", name="Télécharger mes données").click()
    page.get_by_text("C'est parti").wait_for()
    with live_app.app_context():  # the link came by e-mail (the export job ran after the commit)
        from sqlalchemy import select

        from app.core.mail import OutboxEmail

        bodies = db.session.scalars(select(OutboxEmail.body).where(OutboxEmail.recipient == EMAIL)).all()
    link = next(m.group(0) for body in bodies if (m := re.search(r"/compte/donnees/telecharger/\S+", body)))
    archive = page.request.get(base + link)  # with the browser's session
    assert archive.ok and archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.body())) as zipped:
        assert any(EMAIL in zipped.read(name).decode("utf-8", "ignore") for name in zipped.namelist())

    page.get_by_role("link", name="Supprimer mon compte").click()
    page.get_by_role("heading", name="Les Ateliers de Mona").wait_for()  # what happens to it, said first
    page.get_by_label("Votre mot de passe").fill("pas le bon mot de passe")
    page.get_by_role("button", name="Supprimer mon compte").click()
    page.get_by_text("Mot de passe incorrect.").first.wait_for()

    page.get_by_label("Votre mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Supprimer mon compte").click()
    page.get_by_role("heading", name=re.compile("Suppression prévue le")).wait_for()
    page.get_by_role("button", name="Annuler la suppression").click()
    page.get_by_text("La suppression de votre compte est annulée.").wait_for()

    page.get_by_label("Votre mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Supprimer mon compte").click()
    page.get_by_role("heading", name=re.compile("Suppression prévue le")).wait_for()
    sign_out(page)

    with live_app.app_context():
        from app.accounts.models import User
        from app.privacy.lifecycle import ErasureRequest
        from app.privacy.retention import run_retention

        due = db.session.get(ErasureRequest, user_id).due_at
        assert run_retention(due - timedelta(hours=1))["erased"] == 0
        assert run_retention(due + timedelta(minutes=1))["erased"] == 1
        commit()
        assert db.session.get(User, user_id).erased_at is not None

    page.goto(base + "/connexion")
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_text("Adresse e-mail ou mot de passe incorrect.").first.wait_for()
