"""Reports on resources, and the moderation queue of hub staff: decide reports, merge duplicates."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.access import Access, access
from app.core.web import form_status, load_or_404, transaction
from app.library.forms import MergeForm, ReportDecisionForm, ReportForm
from app.library.models import ReportStatus, ResourceReport
from app.library.services.identifiers import format_identifier, resource_by_number
from app.library.services.moderation import handle_report, merge_resources, open_reports, report_resource
from app.library.services.rights import EDITABLE, can_see_resource
from app.library.views.common import bp, resource_or_404


@bp.route("/r/<ident>/signaler", methods=["GET", "POST"])
@access(Access.LOGIN)
def report(ident: str):
    resource = resource_or_404(ident)
    if resource.status not in EDITABLE or not can_see_resource(current_user, resource):
        abort(404)
    form = ReportForm()
    if form.validate_on_submit():
        with transaction(form) as tx:
            report_resource(
                current_user, resource, form.reason.data, form.message.data or "", duplicate_of=form.duplicate_of.number
            )
        if tx.ok:
            flash(_("Merci : l'équipe du Hub va examiner votre signalement."), "success")
            return redirect(url_for("library.resolve", ident=resource.identifier))
        resource = resource_or_404(ident)
    return render_template("library/report_form.html", form=form, resource=resource), form_status(form)


def _moderation_page(merge_form=None, status: int = 200):
    return render_template(
        "library/moderation.html",
        reports=open_reports(),
        decision_form=ReportDecisionForm(),
        merge_form=merge_form or MergeForm(),
    ), status


@bp.get("/bibliotheque/moderation")
@access(Access.STAFF)
def moderation():
    return _moderation_page()


@bp.post("/bibliotheque/moderation/signalements/<int:report_id>")
@access(Access.STAFF)
def report_decide(report_id: int):
    report_ = load_or_404(ResourceReport, report_id)
    form = ReportDecisionForm()
    if not form.validate_on_submit():
        flash(_("Décision inconnue ou formulaire expiré."), "error")
        return redirect(url_for("library.moderation"))
    if report_.status != ReportStatus.OPEN:
        flash(_("Ce signalement est déjà traité."), "error")
        return redirect(url_for("library.moderation"))
    target = ReportStatus.RESOLVED if form.decision.data == "resolve" else ReportStatus.DISMISSED
    with transaction() as tx:
        handle_report(current_user, report_, target, form.resolution.data or "")
    if tx.ok:
        flash(_("Signalement traité."), "success")
    return redirect(url_for("library.moderation"))


@bp.post("/bibliotheque/moderation/fusion")
@access(Access.STAFF)
def merge():
    form = MergeForm()
    if form.validate_on_submit():
        duplicate = resource_by_number(form.duplicate.number)
        survivor = resource_by_number(form.survivor.number)
        if duplicate is None:
            form.duplicate.errors = [_("Cette ressource n'existe pas.")]
        if survivor is None:
            form.survivor.errors = [_("Cette ressource n'existe pas.")]
        if duplicate is not None and survivor is not None:
            with transaction(form) as tx:
                survivor = merge_resources(current_user, duplicate, survivor, form.note.data or "")
            if tx.ok:
                flash(
                    _(
                        "%(dup)s est fusionnée dans %(survivor)s : son adresse redirige désormais.",
                        dup=format_identifier(form.duplicate.number),
                        survivor=survivor.identifier,
                    ),
                    "success",
                )
                return redirect(url_for("library.resolve", ident=survivor.identifier))
    return _moderation_page(merge_form=form, status=422)
