"""Issue 10: throttling shared by processes (per account and IP), sign-up without account
enumeration, sessions that end when the password changes or the account is disabled."""

from __future__ import annotations

import os
import re
import uuid

import pytest
from sqlalchemy import func, select

from app.accounts import throttle
from app.accounts.models import User
from app.accounts.services import set_account_disabled
from app.core.mail import OutboxEmail
from tests.accounts.test_accounts import _last_link
from tests.conftest import PASSWORD, page_text, post_form

OTHER_IP = {"REMOTE_ADDR": "127.0.0.2"}


def _login(client, email, password=PASSWORD, **kwargs):
    return post_form(client, "/connexion", {"email": email, "password": password, **kwargs})


def _signup(client, email, **kwargs):
    return post_form(
        client,
        "/inscription",
        {
            "full_name": "Sam Essai",
            "email": email,
            "password": "une phrase de passe",
            "intent": "organisation",
            "accept": "y",
        },
        **kwargs,
    )


# ---------------------------------------------------------------- login throttling


def test_lockout_of_the_attackers_address_spares_the_owner_elsewhere(app, client, factory):
    factory.user(email="cible@exemple.fr")
    limit = int(app.config["RATELIMIT_LOGIN"].split()[0])
    for _ in range(limit):
        assert _login(client, "cible@exemple.fr", "essai au hasard").status_code == 422
    # Locked out from this address, even with the right password (no oracle), with a French page.
    r = _login(client, "cible@exemple.fr")
    assert r.status_code == 429
    assert "Trop de tentatives" in page_text(r)
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    # The owner, from another address, still logs in.
    owner = app.test_client()
    r = post_form(owner, "/connexion", {"email": "cible@exemple.fr", "password": PASSWORD}, environ_base=OTHER_IP)
    assert r.status_code == 302 and r.headers["Location"].endswith("/espace")


def test_one_address_trying_many_accounts_is_limited(app, client, factory, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_IP", "3 per minute")
    for n in range(3):
        assert _login(client, f"personne{n}@exemple.fr", "essai au hasard").status_code == 422
    assert _login(client, "encore-un@exemple.fr", "essai au hasard").status_code == 429


def test_many_addresses_guessing_one_account_hit_the_account_cap(app, client, factory, monkeypatch):
    factory.user(email="visee@exemple.fr")
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "4 per hour")
    for n in range(4):
        r = _login(client, "visee@exemple.fr", "essai au hasard", environ_base={"REMOTE_ADDR": f"127.0.1.{n}"})
        assert r.status_code == 422
    r = _login(client, "visee@exemple.fr", "essai au hasard", environ_base={"REMOTE_ADDR": "127.0.1.99"})
    assert r.status_code == 429


def test_redis_is_the_default_storage_when_redis_url_is_set(monkeypatch, tmp_path):
    from app.config import load_config

    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/4")
    monkeypatch.setenv("SECRET_KEY", "x")
    assert load_config(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/4"
    monkeypatch.delenv("REDIS_URL")
    assert load_config(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "memory://"


def _bare_app(storage: str, prefix: str, **config):
    from app import create_app

    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SECRET_KEY": "x",
            "RATELIMIT_STORAGE_URI": storage,
            "RATELIMIT_KEY_PREFIX": prefix,
            **config,
        }
    )


def test_two_processes_share_the_login_counters_through_redis():
    """Two app instances (two gunicorn workers' worth of state) on one Redis: failures counted by
    one lock the other out; with per-process memory they would not (the old behaviour)."""
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    prefix = f"test-{uuid.uuid4().hex}"
    first, second = _bare_app(redis_url, prefix), _bare_app(redis_url, prefix)
    targets = throttle.login_targets("cible@exemple.fr", "127.0.0.1")
    try:
        with first.app_context():
            for _ in range(10):
                throttle.reserve(*targets)
        with second.app_context():
            with pytest.raises(throttle.Throttled) as refused:
                throttle.reserve(*targets)
            assert 1 <= refused.value.retry_after <= 60
            throttle.reserve(*throttle.login_targets("cible@exemple.fr", "127.0.0.2")).release()  # the owner elsewhere
    finally:
        throttle.reset(first)  # this test's keys only

    isolated = f"test-{uuid.uuid4().hex}"
    first, second = _bare_app("memory://", isolated), _bare_app("memory://", isolated)
    with first.app_context():
        for _ in range(10):
            throttle.reserve(*targets)
    with second.app_context():
        throttle.reserve(*targets)  # memory is per process: nothing shared, as the test above must not be


def test_an_unreachable_redis_degrades_to_counting_in_the_process():
    app = _bare_app("memory://", "down")
    app.extensions[throttle.EXTENSION] = throttle.RedisStore("redis://127.0.0.1:1/0")  # nothing listens on port 1
    targets = throttle.login_targets("cible@exemple.fr", "127.0.0.1")
    with app.app_context():
        for _ in range(10):
            throttle.reserve(*targets)
        with pytest.raises(throttle.Throttled):
            throttle.reserve(*targets)


def test_concurrent_attempts_cannot_all_pass_the_check(app, db_session):
    """Reservation is atomic: 40 threads at once on one (account, IP) get exactly the limit."""
    from concurrent.futures import ThreadPoolExecutor

    limit = int(app.config["RATELIMIT_LOGIN"].split()[0])
    targets = throttle.login_targets("course@exemple.fr", "127.0.0.9")

    def attempt(_n):
        with app.app_context():
            try:
                throttle.reserve(*targets)
                return True
            except throttle.Throttled:
                return False

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sum(pool.map(attempt, range(40))) == limit


def test_a_successful_login_gives_its_attempt_back(app, client, factory):
    factory.user(email="habituee@exemple.fr")
    limit = int(app.config["RATELIMIT_LOGIN"].split()[0])
    for _ in range(limit + 3):  # the owner, logging in and out many times, is never locked out
        assert _login(client, "habituee@exemple.fr").status_code == 302
        assert post_form(client, "/deconnexion").status_code == 302


def test_trusted_proxies_decide_which_address_counts():
    from werkzeug.middleware.proxy_fix import ProxyFix
    from werkzeug.test import EnvironBuilder

    assert not isinstance(_bare_app("memory://", "p1").wsgi_app, ProxyFix)  # by default X-Forwarded-For is not believed
    behind = _bare_app("memory://", "p2", TRUSTED_PROXIES=1)
    seen = []

    def inner(environ, start_response):
        seen.append(environ["REMOTE_ADDR"])
        return [b""]

    behind.wsgi_app.app = inner
    environ = EnvironBuilder(
        path="/", environ_base={"REMOTE_ADDR": "10.0.0.1"}, headers={"X-Forwarded-For": "203.0.113.7"}
    ).get_environ()
    behind.wsgi_app(environ, lambda *args: None)
    assert seen == ["203.0.113.7"]


# ---------------------------------------------------------------- sign-up and reset without enumeration


def test_signup_answers_the_same_whether_the_address_is_known(client, factory, db_session):
    factory.user(email="pris@exemple.fr", name="Dominique Déjà")
    new = _signup(client, "nouveau@exemple.fr")
    known = _signup(client, "pris@exemple.fr")
    assert new.status_code == known.status_code == 200

    def same(response, email):
        return re.sub(r'value="[^"]*"', "", page_text(response).replace(email, "X"))  # CSRF tokens differ

    assert same(new, "nouveau@exemple.fr") == same(known, "pris@exemple.fr")
    assert "existe déjà" not in page_text(known)
    assert db_session.scalar(select(func.count()).select_from(User).where(User.email == "pris@exemple.fr")) == 1
    warning = db_session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == "pris@exemple.fr")).one()
    assert "Quelqu'un a essayé de créer un compte" in warning.body
    assert "/connexion" in warning.body and "/mot-de-passe/oublie" in warning.body


def test_signup_with_a_known_unconfirmed_address_sends_a_new_confirmation_link(client, factory, db_session):
    factory.user(email="attente@exemple.fr", confirmed=False)
    assert _signup(client, "attente@exemple.fr").status_code == 200
    assert _last_link(db_session, "attente@exemple.fr", "/confirmer/")


def test_signup_and_reset_requests_are_limited_per_address(app, client, factory, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNUP", "2 per hour")
    monkeypatch.setitem(app.config, "RATELIMIT_RESET", "2 per hour")
    assert _signup(client, "un@exemple.fr").status_code == 200
    assert _signup(client, "deux@exemple.fr").status_code == 200
    r = _signup(client, "trois@exemple.fr")
    assert r.status_code == 429 and "Trop de tentatives" in page_text(r) and int(r.headers["Retry-After"]) > 60
    assert _signup(client, "trois@exemple.fr", environ_base=OTHER_IP).status_code == 200

    factory.user(email="connu@exemple.fr")
    known = post_form(client, "/mot-de-passe/oublie", {"email": "connu@exemple.fr"})
    unknown = post_form(client, "/mot-de-passe/oublie", {"email": "inconnu@exemple.fr"})
    assert known.status_code == unknown.status_code == 302  # the same answer either way
    assert known.headers["Location"] == unknown.headers["Location"]
    assert post_form(client, "/mot-de-passe/oublie", {"email": "connu@exemple.fr"}).status_code == 429
    assert post_form(client, "/confirmer", {"email": "connu@exemple.fr"}).status_code == 429


# ---------------------------------------------------------------- sessions end


def test_an_open_session_ends_when_the_password_is_reset_elsewhere(app, client, factory, db_session):
    user = factory.user(email="session@exemple.fr")
    assert _login(client, "session@exemple.fr", remember="y").status_code == 302
    assert client.get("/espace").status_code == 200
    remembered = app.test_client()  # only the remember-me cookie, as a browser reopened later
    remembered.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert remembered.get("/espace").status_code == 200

    elsewhere = app.test_client()
    post_form(elsewhere, "/mot-de-passe/oublie", {"email": "session@exemple.fr"}, environ_base=OTHER_IP)
    link = _last_link(db_session, "session@exemple.fr", "/mot-de-passe/nouveau/")
    r = post_form(
        elsewhere,
        link,
        {"password": "nouvelle phrase secrète", "confirm": "nouvelle phrase secrète"},
        environ_base=OTHER_IP,
    )
    assert r.status_code == 302

    for browser in (client, remembered):
        r = browser.get("/espace")
        assert r.status_code == 302 and "/connexion" in r.headers["Location"]
    fresh = app.test_client()
    assert _login(fresh, "session@exemple.fr", "nouvelle phrase secrète").status_code == 302
    assert fresh.get("/espace").status_code == 200
    db_session.refresh(user)
    assert user.session_version == 1


def test_an_open_session_ends_when_staff_disable_the_account(app, client, factory, db_session):
    user = factory.user(email="bientot-off@exemple.fr")
    staff = factory.staff()
    assert _login(client, "bientot-off@exemple.fr").status_code == 302
    assert client.get("/espace").status_code == 200
    set_account_disabled(staff, user)
    db_session.flush()
    r = client.get("/espace")
    assert r.status_code == 302 and "/connexion" in r.headers["Location"]
    # Enabled again, the old session stays dead; a new login works.
    set_account_disabled(staff, user, disabled=False)
    db_session.flush()
    assert client.get("/espace").status_code == 302
    assert _login(client, "bientot-off@exemple.fr").status_code == 302
    assert client.get("/espace").status_code == 200


def test_a_session_of_the_old_form_or_of_a_disabled_account_is_refused(app, db_session, factory):
    from app.accounts.session import load_user

    user = factory.user()
    assert load_user(user.get_id()) is user
    assert load_user(str(user.id)) is None  # a cookie from before the session version
    assert load_user(f"{user.id}:{user.session_version + 1}") is None
    assert load_user("99999999999999:0") is None and load_user("x:y") is None
    user.is_disabled = True
    assert load_user(user.get_id()) is None
