"""The pages of the right to erasure: ask (with the password again), cancel (from the account or the
e-mail's link). The work is in app/privacy/erasure.py."""

from __future__ import annotations

import math

from flask import Blueprint, Flask, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from app.accounts import throttle
from app.core.access import Access, access
from app.core.errors import ServiceError
from app.core.forms import Form
from app.core.security import no_store
from app.core.urls import absolute_url
from app.core.web import transaction
from app.extensions import db
from app.privacy import erasure

bp = Blueprint("erasure", __name__)


class ErasureForm(Form):
    password = PasswordField(
        _l("Votre mot de passe"),
        validators=[DataRequired(_l("Indiquez votre mot de passe.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class ConfirmForm(Form):
    """A button with its CSRF token."""


def _too_many(error: throttle.Throttled):
    minutes = max(1, math.ceil(error.retry_after / 60))
    message = _("Trop de tentatives en peu de temps depuis votre connexion. Réessayez dans %(n)d min.", n=minutes)
    response = make_response(
        render_template("core/error.html", status=429, title=_("Trop de tentatives"), message=message), 429
    )
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def _cancel_url(token: str) -> str:
    return absolute_url("erasure.cancel_by_link", token=token)


@bp.route("/compte/suppression", methods=["GET", "POST"])
@access(Access.LOGIN)
def delete_account():
    """ "Supprimer mon compte": what happens, the password again, then the grace period."""
    form = ErasureForm()
    pending = erasure.pending_erasure(current_user)
    if pending is None and form.validate_on_submit():
        try:  # the password asked again is guessed no faster here than at the login form
            attempt = throttle.reserve(*throttle.login_targets(current_user.email, request.remote_addr or "unknown"))
        except throttle.Throttled as error:
            return _too_many(error)
        with transaction(form) as tx:
            pending = erasure.request_erasure(current_user, form.password.data, _cancel_url)
        if tx.ok:
            attempt.release()
            flash(
                _(
                    "Votre compte sera supprimé le %(date)s. Vous pouvez annuler d'ici là : un e-mail vous le rappelle.",
                    date=pending.due_at.strftime("%d/%m/%Y"),
                ),
                "success",
            )
            return redirect(url_for("erasure.delete_account"))
        pending = None
    status = 422 if (form.errors or form.form_errors) else 200
    return render_template(
        "privacy/erasure.html",
        form=form,
        cancel_form=ConfirmForm(),
        pending=pending,
        consequences=erasure.consequences(current_user) if pending is None else [],
        grace_days=erasure.grace_days(),
    ), status


@bp.post("/compte/suppression/annuler")
@access(Access.LOGIN)
def cancel():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template(
            "core/error.html",
            status=400,
            title=_("Requête invalide"),
            message=_("Formulaire expiré : rechargez la page."),
        ), 400
    with transaction() as tx:
        cancelled = erasure.cancel_erasure(current_user)
    if tx.ok:
        flash(
            _("La suppression de votre compte est annulée.") if cancelled else _("Aucune suppression n'était prévue."),
            "success",
        )
    return redirect(url_for("erasure.delete_account"))


@bp.route("/compte/suppression/annuler/<token>", methods=["GET", "POST"])
@access(Access.PUBLIC)
@no_store  # the token is in the URL
def cancel_by_link(token: str):
    """The e-mail's link: a page with one button (a link alone changes nothing: mail scanners follow links)."""
    try:
        pending = erasure.request_for_cancel_token(token)
    except ServiceError as error:
        return render_template("core/error.html", status=400, title=_("Lien invalide"), message=str(error.message)), 400
    form = ConfirmForm()
    if form.validate_on_submit():
        with transaction() as tx:
            db.session.delete(pending)
        if tx.ok:
            flash(_("La suppression de votre compte est annulée."), "success")
            return redirect(
                url_for("accounts.dashboard") if current_user.is_authenticated else url_for("accounts.login")
            )
    return render_template(
        "privacy/erasure_cancel.html", form=form, pending=pending
    ), 422 if request.method == "POST" else 200


def _pending_erasure_context() -> dict:
    """`erasure_due`: the date a scheduled erasure of the signed-in account happens (the banner of base.html)."""
    if not current_user.is_authenticated:
        return {}
    pending = erasure.pending_erasure(current_user)
    return {"erasure_due": pending.due_at if pending is not None else None}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.context_processor(_pending_erasure_context)
