"""Sign-up with e-mail confirmation, login, logout, password reset, rate limit."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import check_password
from app.core.mail import OutboxEmail
from tests.conftest import PASSWORD, login, page_text, post_form


def _last_link(db_session, email: str, path: str) -> str:
    mail = db_session.scalars(
        select(OutboxEmail).where(OutboxEmail.recipient == email).order_by(OutboxEmail.id.desc())
    ).first()
    assert mail is not None, f"no mail to {email}"
    match = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"[^\s]+)", mail.body)
    assert match, mail.body
    return match.group(1)


def test_signup_confirm_then_login(client, db_session):
    r = post_form(
        client,
        "/inscription",
        {
            "full_name": "Nadia Benali",
            "email": "Nadia@Exemple.fr",
            "password": "une phrase de passe",
            "intent": "organisation",
            "accept": "y",
        },
    )
    assert r.status_code == 200
    assert "Vérifiez vos e-mails" in page_text(r)
    user = db_session.scalar(select(User).where(User.email == "nadia@exemple.fr"))
    assert user is not None and not user.is_confirmed
    assert user.password_hash.startswith("$argon2id$")

    # Not confirmed yet: login refused with a clear message.
    r = post_form(client, "/connexion", {"email": "nadia@exemple.fr", "password": "une phrase de passe"})
    assert r.status_code == 422
    assert "Confirmez d" in page_text(r)

    link = _last_link(db_session, "nadia@exemple.fr", "/confirmer/")
    r = client.get(link)
    assert r.status_code == 302
    r = post_form(client, "/connexion", {"email": "NADIA@exemple.fr", "password": "une phrase de passe"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/espace")
    assert "Bonjour Nadia Benali" in page_text(client.get("/espace"))


def test_signup_refuses_weak_password(client, factory, db_session):
    r = post_form(
        client,
        "/inscription",
        {"full_name": "A", "email": "a@exemple.fr", "password": "court", "intent": "organisation", "accept": "y"},
    )
    assert r.status_code == 422
    assert "au moins 10 caractères" in page_text(r)
    assert db_session.scalar(select(User).where(User.email == "a@exemple.fr")) is None
    # A known address: see tests/accounts/test_account_hardening.py (same answer, e-mail to its owner).


def test_bad_confirmation_token(client):
    r = client.get("/confirmer/nimportequoi")
    assert r.status_code == 400
    assert "pas valide" in page_text(r)


def test_wrong_password_and_logout(client, factory):
    user = factory.user(email="lea@exemple.fr")
    r = post_form(client, "/connexion", {"email": "lea@exemple.fr", "password": "mauvais mot de passe"})
    assert r.status_code == 422
    assert "incorrect" in page_text(r)
    login(client, user)
    assert client.get("/espace").status_code == 200
    r = post_form(client, "/deconnexion")
    assert r.status_code == 302
    assert client.get("/espace").status_code == 302  # back to login


def test_logout_needs_csrf(client, factory):
    login(client, factory.user())
    r = client.post("/deconnexion", data={})
    assert r.status_code == 400
    assert client.get("/espace").status_code == 200  # still signed in


def test_password_reset_once(client, factory, db_session):
    user = factory.user(email="reset@exemple.fr")
    r = post_form(client, "/mot-de-passe/oublie", {"email": "reset@exemple.fr"})
    assert r.status_code == 302
    link = _last_link(db_session, "reset@exemple.fr", "/mot-de-passe/nouveau/")
    r = post_form(client, link, {"password": "nouvelle phrase secrète", "confirm": "nouvelle phrase secrète"})
    assert r.status_code == 302
    db_session.refresh(user)
    assert check_password(user, "nouvelle phrase secrète")
    assert not check_password(user, PASSWORD)
    # The link dies with the old password.
    assert client.get(link).status_code == 400


def test_password_reset_silent_for_unknown_address(client, db_session):
    r = post_form(client, "/mot-de-passe/oublie", {"email": "inconnu@exemple.fr"})
    assert r.status_code == 302
    assert db_session.scalar(select(OutboxEmail).where(OutboxEmail.recipient == "inconnu@exemple.fr")) is None


def test_login_attempts_are_rate_limited(client, app, factory):
    factory.user(email="cible@exemple.fr")
    limit = int(app.config["RATELIMIT_LOGIN"].split()[0])
    statuses = []
    for _ in range(limit + 2):
        r = post_form(client, "/connexion", {"email": "cible@exemple.fr", "password": "essai au hasard"})
        statuses.append(r.status_code)
    assert statuses[:limit] == [422] * limit
    assert statuses[-1] == 429
    assert "Trop de tentatives" in page_text(r)


def test_create_admin_cli(app, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["hub", "create-admin", "chef@hub.example.org", "--password", "phrase de passe admin"])
    assert result.exit_code == 0, result.output
    user = db_session.scalar(select(User).where(User.email == "chef@hub.example.org"))
    assert user.is_staff and user.is_admin and user.is_confirmed
