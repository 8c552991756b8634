"""The privacy policy (/confidentialite), "Mes données" (/compte/donnees: the export of one's data,
the staff reads of it) and the staff page answering a written request for someone else's data."""

from __future__ import annotations

import os

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.accounts.models import User
from app.core.access import Access, access
from app.core.security import no_store
from app.core.web import form_status, transaction
from app.extensions import db
from app.privacy import exports
from app.privacy.forms import ExportForm, StaffExportForm
from app.privacy.models import DataExport
from app.privacy.policy import policy_context

bp = Blueprint("privacy", __name__)


@bp.app_context_processor
def _export_words() -> dict:
    return {
        "export_days": exports.EXPORT_DAYS,
        "export_states": {
            "pending": _("en préparation"),
            "ready": _("envoyé par e-mail"),
            "failed": _("échec : demandez-en un autre"),
            "expired": _("expiré, archive supprimée"),
        },
    }


@bp.record_once
def _configure(state) -> None:
    config = state.app.config
    config.setdefault("PRIVACY_CONTACT", os.environ.get("PRIVACY_CONTACT") or "donnees-personnelles@hubdusud.localhost")


@bp.get("/confidentialite")
@access(Access.PUBLIC)
def policy():
    return render_template("privacy/policy.html", **policy_context(str(get_locale() or "fr")))


def _data_page(form: ExportForm, status: int = 200):
    return (
        render_template(
            "privacy/data.html",
            form=form,
            exports=exports.exports_of(current_user.id),
            held=exports.summary(current_user.id),
            locale=str(get_locale() or "fr"),
            access_log=exports.access_log(current_user.id),
        ),
        status,
    )


@bp.get("/compte/donnees")
@access(Access.LOGIN)
def data():
    return _data_page(ExportForm())


@bp.post("/compte/donnees/export")
@access(Access.LOGIN)
def export():
    form = ExportForm()
    if not form.validate_on_submit():
        flash(_("Le formulaire a expiré : réessayez."), "error")
        return _data_page(form, 400)
    with transaction() as tx:
        _export, created = exports.request_export(current_user)
    if tx.ok:
        if created:
            flash(
                _(
                    "C'est parti : vous recevrez par e-mail un lien pour télécharger vos données (valable %(n)d jours).",
                    n=exports.EXPORT_DAYS,
                ),
                "success",
            )
        else:
            flash(
                _("Un export de vos données est déjà en cours ou vient d'être envoyé : vérifiez vos e-mails."), "info"
            )
    return redirect(url_for("privacy.data"))


@bp.get("/compte/donnees/telecharger/<signed>")
@access(Access.LOGIN)
@no_store
def download(signed: str):
    with transaction(show=False) as tx:  # an expired link purges the archive: that is committed too
        found = exports.open_export(signed, current_user)
    if not tx.ok:
        assert tx.error is not None
        return (
            render_template(
                "core/error.html",
                status=tx.error.status,
                title=_("Lien expiré") if tx.error.status == 410 else _("Lien non valable"),
                message=str(tx.error.message),
            ),
            tx.error.status,
        )
    export, path = found
    return send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"hub-du-sud-mes-donnees-{export.created_at:%Y-%m-%d}.zip",
    )


@bp.route("/moderation/donnees", methods=["GET", "POST"])
@access(Access.STAFF)
def staff_export():
    """Staff answer a person's written request (post, e-mail to the contact address): the export is
    built and e-mailed to the person like their own, the request goes into their access log."""
    form = StaffExportForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        person = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if person is None:
            form.email.errors = [_("Aucun compte n'a cette adresse e-mail.")]
        else:
            with transaction(form) as tx:
                _export, created = exports.request_export(person, requested_by=current_user, reason=form.reason.data)
            if tx.ok:
                flash(
                    _("L'export des données de %(email)s est lancé : le lien lui est envoyé par e-mail.", email=email)
                    if created
                    else _("Un export des données de %(email)s est déjà en cours ou vient d'être envoyé.", email=email),
                    "success" if created else "info",
                )
                return redirect(url_for("privacy.staff_export"))
    requested = db.session.scalars(
        select(DataExport).where(DataExport.requested_by_id.is_not(None)).order_by(DataExport.id.desc()).limit(50)
    )
    return render_template("privacy/staff_export.html", form=form, requested=list(requested)), form_status(form)
