"""Hub staff: moderation of organisations, providers and offers; overview of needs."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.core.access import Access, access
from app.core.access_log import log_read
from app.core.mail import undelivered
from app.core.models import PublicationStatus as PS
from app.core.web import load_or_404, submit_action, transaction
from app.directory import services as directory
from app.directory.forms import ModerationForm
from app.directory.models import ListingChange, Offer, Organisation, Provider
from app.extensions import db
from app.needs.models import Need, NeedStatus
from app.staff.queue import moderation_queue

bp = Blueprint("staff", __name__, url_prefix="/moderation")

KINDS = {
    "structure": (Organisation, directory.move_organisation),
    "prestataire": (Provider, directory.move_provider),
    "offre": (Offer, directory.move_offer),
}
DECISIONS = {"publish": PS.PUBLISHED, "reject": PS.REJECTED, "archive": PS.ARCHIVED}


@bp.get("/")
@access(Access.STAFF)
def queue():
    sections = moderation_queue(request.args)
    here = {s.param: s.page for s in sections.values() if s.page > 1}

    def page_url(section, number):
        return url_for("staff.queue", **(here | {section.param: number})) + f"#m-{section.kind}"

    return render_template(
        "staff/queue.html",
        sections=sections,
        page_url=page_url,
        back=url_for("staff.queue", **here),
        form=ModerationForm(),
        changes=directory.change_log(),
        listing_of=directory.listing_of,
    )


def _back(anchor: str = "") -> str:
    """Back to the queue's page the decision was taken on (its ``back`` field, only a queue URL)."""
    back = request.form.get("back", "")
    base = url_for("staff.queue")
    target = back if back.startswith(base) and "//" not in back else base
    return f"{target}#{anchor}" if anchor else target


@bp.post("/modification/<int:change_id>")
@access(Access.STAFF)
def decide_change(change_id: int):
    """Approve or refuse an owner's change held for moderation (a new website on a published listing)."""
    change = load_or_404(ListingChange, change_id)
    form = ModerationForm()
    decision = request.form.get("decision", "")
    if not form.validate_on_submit() or decision not in ("approve", "refuse"):
        flash(_("Décision inconnue ou formulaire expiré."), "error")
        return redirect(_back())
    return submit_action(
        lambda: directory.decide_change(current_user, change, approve=decision == "approve"),
        _("Décision enregistrée."),
        _back("m-modifications"),
    )


@bp.post("/<kind>/<int:ident>")
@access(Access.STAFF)
def decide(kind: str, ident: int):
    if kind not in KINDS:
        abort(404)
    model, move = KINDS[kind]
    entity = load_or_404(model, ident)
    form = ModerationForm()
    target = DECISIONS.get(request.form.get("decision", ""))
    name = getattr(entity, "name", None) or getattr(entity, "title", "")
    back = _back(f"m-{kind}")
    if not form.validate_on_submit() or target is None:
        flash(_("« %(name)s » : décision inconnue ou formulaire expiré.", name=name), "error")
        return redirect(back)
    if not directory.PUBLICATION.can(entity.status, target):
        flash(_("« %(name)s » : cette décision n'est pas possible dans l'état actuel.", name=name), "error")
        return redirect(back)
    with transaction(show=False) as tx:
        move(current_user, entity, target, reason=form.reason.data)
    if not tx.ok:
        flash(f"« {name} » : {tx.error.message}", "error")
        return redirect(back)
    done = {PS.PUBLISHED: _("publication"), PS.REJECTED: _("refus"), PS.ARCHIVED: _("archivage")}[target]
    flash(_("Décision enregistrée pour « %(name)s » : %(done)s.", name=name, done=done), "success")
    return redirect(back)


@bp.get("/besoins")
@access(Access.STAFF)
def needs():
    status = request.args.get("statut")
    stmt = (
        select(Need)
        .options(selectinload(Need.commune), selectinload(Need.organisation))
        .order_by(Need.created_at.desc())
        .limit(500)
    )
    if status in {s.value for s in NeedStatus}:
        stmt = stmt.where(Need.status == NeedStatus(status))
    counts = dict(db.session.execute(select(Need.status, func.count()).group_by(Need.status)).all())
    return render_template(
        "staff/needs.html",
        needs=list(db.session.scalars(stmt)),
        counts=counts,
        statuses=list(NeedStatus),
        current=status,
    )


@bp.get("/structures")
@access(Access.STAFF)
def organisations():
    stmt = select(Organisation).options(selectinload(Organisation.commune)).order_by(Organisation.name)
    return render_template(
        "staff/organisations.html", organisations=list(db.session.scalars(stmt)), form=ModerationForm()
    )


@bp.get("/courriels")
@access(Access.STAFF)
def mails():
    """E-mails not delivered yet (waiting for a retry) and those that failed for good."""
    mails = undelivered(200)
    log_read("mail_recipients", emails=[m.recipient for m in mails], detail="outbox")
    return render_template("staff/mails.html", mails=mails)
