"""Language switch, health, error pages and template filters (the accessibility statement is a legal page:
app/legal)."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, redirect, request, session, url_for
from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError

from app.core.access import Access, access
from app.core.errors import ServiceError
from app.core.french import register_language_helpers
from app.core.responses import error_response as _error
from app.core.states import IllegalTransition
from app.core.text import euros
from app.core.urls import external_link
from app.core.web import safe_next
from app.extensions import db

bp = Blueprint("core", __name__)


@bp.post("/langue")
@access(Access.PUBLIC)
def set_language():
    lang = request.form.get("lang")
    if lang in ("fr", "en"):
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("home.index")))


@bp.get("/sante")
@access(Access.PUBLIC)
def health():
    try:
        db.session.execute(text("SELECT 1"))
        return jsonify(status="ok", database="ok")
    except Exception:  # noqa: BLE001 — health reports, it does not raise
        return jsonify(status="degraded", database="unreachable"), 503


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(400)
    def bad_request(e):
        return _error(400, _("Requête invalide"), _("La requête n'a pas pu être comprise."))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return _error(
            400,
            _("Formulaire expiré"),
            _("Le formulaire a expiré ou n'est pas valide. Rechargez la page et recommencez."),
        )

    @app.errorhandler(403)
    def forbidden(e):
        return _error(403, _("Accès refusé"), _("Vous n'avez pas accès à cette page."))

    @app.errorhandler(404)
    def not_found(e):
        return _error(404, _("Page introuvable"), _("Cette page n'existe pas ou a été déplacée."))

    @app.errorhandler(405)
    def not_allowed(e):
        body, status = _error(405, _("Méthode non autorisée"), _("Cette action n'est pas possible ici."))
        allowed = sorted(set(getattr(e, "valid_methods", None) or ()))
        return body, status, ({"Allow": ", ".join(allowed)} if allowed else {})

    @app.errorhandler(413)
    def too_large(e):
        return _error(413, _("Envoi trop volumineux"), _("Le contenu envoyé est trop volumineux."))

    @app.errorhandler(429)
    def rate_limited(e):
        return _error(
            429,
            _("Trop de tentatives"),
            _("Trop de tentatives en peu de temps. Patientez une minute avant de réessayer."),
        )

    @app.errorhandler(IllegalTransition)
    def illegal(e):
        db.session.rollback()
        return _error(409, _("Action impossible"), _("Cette action n'est pas possible dans l'état actuel."))

    @app.errorhandler(ServiceError)
    def service_error(e):
        db.session.rollback()
        return _error(e.status, _("Action impossible"), str(e.message))

    @app.errorhandler(IntegrityError)
    def integrity_error(e):
        # Two requests raced past a check (a second accept, a second feedback): the
        # database's unique constraint kept one; this one changed nothing.
        db.session.rollback()
        return _error(
            409,
            _("Action déjà faite"),
            _(
                "Cette action vient d'être faite par ailleurs (deux envois en même temps ?) : "
                "rien n'a été modifié. Rechargez la page pour voir l'état actuel."
            ),
        )

    @app.errorhandler(DataError)
    def data_error(e):
        # A value the database refuses (a number beyond its column's range...): bad input, not a crash.
        db.session.rollback()
        return _error(
            400,
            _("Valeur hors limites"),
            _("Une des valeurs envoyées est hors des limites admises : corrigez-la et recommencez."),
        )

    @app.errorhandler(500)
    def server_error(e):
        return _error(500, _("Erreur du serveur"), _("Une erreur est survenue. L'équipe a été prévenue."))


def register_template_helpers(app: Flask) -> None:
    """The filters every page uses (the domains' own template globals are added by `create_app`)."""

    @app.context_processor
    def inject():
        return {"current_locale": str(get_locale() or "fr")}

    register_language_helpers(app)  # user_text, de_commune, datetime_fr (app/core/french.py)
    app.jinja_env.filters["external_link"] = external_link  # an outside address: a link only if http(s)
    app.jinja_env.filters["date_fr"] = lambda d: format_date(d, "long") if d else ""
    # a number in the reader's locale ("0,812" in French), up to `places` decimals
    app.jinja_env.filters["decimal"] = lambda value, places=1: (
        "" if value is None else format_decimal(value, format="#,##0." + "#" * places)
    )
    app.jinja_env.filters["euros"] = euros  # "10 000 €" with no-break spaces: an amount never wraps
