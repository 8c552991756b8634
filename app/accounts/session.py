"""Who is logged in: the user loader, the session version, the client's address.

A session (and a remember-me cookie) names its user as "id:version" (`User.get_id`). The
version changes when the password changes or the account is disabled, so every session and
remember cookie opened before dies at its next request; a disabled account is refused too.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from app.accounts.models import User
from app.accounts.services import user_for_api_token
from app.accounts.throttle import init_throttle
from app.core.access import register_token_loader
from app.core.mail import LOCALE_LOOKUP
from app.extensions import db, login_manager

_MAX_ID = 2**31 - 1


def load_user(user_id: str) -> User | None:
    ident, _sep, version = (user_id or "").partition(":")
    if not (ident.isdigit() and version.isdigit() and len(ident) <= 10 and len(version) <= 10):
        return None  # also a cookie of the old "id" form: it dies
    if int(ident) > _MAX_ID:
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def account_locale(email: str) -> str | None:
    """The language of the account with this address (None without one): what its e-mails speak."""
    return db.session.scalar(select(User.locale).where(User.email == email))


def init_accounts(app: Flask) -> None:
    login_manager.user_loader(load_user)
    register_token_loader(user_for_api_token)  # the API's bearer tokens (core.access asks, accounts answers)
    app.extensions[LOCALE_LOOKUP] = account_locale
    init_throttle(app)
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:  # behind N reverse proxies: the client's address is the Nth from the right of X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
