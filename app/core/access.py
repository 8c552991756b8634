"""Every route declares who may use it.

`@access(Access.X)` marks a view; a `before_request` hook enforces the mark,
and `check_all_routes_declared` refuses to start an app with an undeclared
route, so adding a route without saying who may use it fails at once (and in
the authorization-matrix test).

Object-level rules (is this user a member of *this* organisation?) live in the
domain services; views turn their refusals into 404s.

`core` knows no domain: the domains that answer an access question register
their answer here (`register_role_check(Access.FUNDER, is_funder_member)`,
`register_token_loader(user_for_api_token)`), and an unanswered question refuses.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, current_app, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user


class Access(enum.Enum):
    PUBLIC = "public"  # anyone, signed in or not
    LOGIN = "login"  # any signed-in user
    ORG_MEMBER = "org_member"  # member of an organisation (or hub staff)
    PROVIDER_MEMBER = "provider_member"  # member of a provider (or hub staff)
    FUNDER = "funder"  # member of a funder (city, CAF, foundation...) (or hub staff)
    COMMITTEE = "committee"  # member of the ethical charter's committee (or hub staff); app.charter answers
    STAFF = "staff"  # hub staff (and admins)
    ADMIN = "admin"  # admins only
    API_PUBLIC = "api_public"  # JSON API, anyone
    API_TOKEN = "api_token"  # JSON API, a personal bearer token (never the session)


ACCESS_ATTR = "_hub_access"
ALWAYS_PUBLIC_ENDPOINTS = {"static"}

RoleCheck = Callable[[Any], bool]
TokenLoader = Callable[[str], Any]

_role_checks: dict[Access, RoleCheck] = {}
_token_loaders: list[TokenLoader] = []


def register_role_check(level: Access, check: RoleCheck) -> RoleCheck:
    """The domain that knows who holds a role answers for it (vouchers: who is a funder's member).
    Registering again replaces the previous answer."""
    _role_checks[level] = check
    return check


def register_token_loader(loader: TokenLoader) -> TokenLoader:
    """`loader(token)` returns the user a personal API token belongs to, or None (accounts registers it)."""
    _token_loaders[:] = [loader]  # one loader: registering again replaces it
    return loader


def access(level: Access) -> Callable:
    def mark(view):
        setattr(view, ACCESS_ATTR, level)
        return view

    return mark


def declared_access(app: Flask, endpoint: str) -> Access | None:
    if endpoint in ALWAYS_PUBLIC_ENDPOINTS:
        return Access.PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTR, None)


def check_all_routes_declared(app: Flask) -> None:
    missing = [ep for ep in app.view_functions if declared_access(app, ep) is None]
    if missing:
        raise RuntimeError(f"routes without an access declaration: {sorted(missing)}")


def user_satisfies(user, level: Access) -> bool:
    if level in (Access.PUBLIC, Access.API_PUBLIC):
        return True
    if not user.is_authenticated:
        return False
    if level == Access.LOGIN:
        return True
    if user.is_staff or user.is_admin:
        return level != Access.ADMIN or user.is_admin
    if level == Access.ORG_MEMBER:
        return user.has_organisation
    if level == Access.PROVIDER_MEMBER:
        return user.has_provider
    check = _role_checks.get(level)
    return bool(check is not None and check(user))


def _json_error(status: int, code: str, message: str):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def enforce_access():
    """before_request hook."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404 handled by Flask
    level = declared_access(current_app, endpoint)
    if level is None:  # cannot happen once check_all_routes_declared ran
        abort(403)
    if level == Access.API_TOKEN:
        return _enforce_token()
    if user_satisfies(current_user, level):
        return None
    is_api = level in (Access.API_PUBLIC, Access.API_TOKEN)
    if not current_user.is_authenticated:
        if is_api:
            return _json_error(401, "unauthorized", _("Authentification requise : jeton d'API manquant ou invalide."))
        return redirect(url_for("accounts.login", next=request.full_path if request.method == "GET" else None))
    if is_api:
        return _json_error(403, "forbidden", _("Accès refusé."))
    abort(403)


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _enforce_token():
    """API writes authenticate with a personal token only, never with the session
    cookie: the API is exempt from CSRF, so a cookie must not be enough."""
    token = bearer_token()
    user = _token_loaders[0](token) if _token_loaders else None
    if user is None:
        return _json_error(401, "unauthorized", _("Authentification requise : jeton d'API manquant ou invalide."))
    g.api_user = user
    return None


def init_access(app: Flask) -> None:
    app.before_request(enforce_access)
