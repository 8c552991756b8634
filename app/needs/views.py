from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.forms import EmptyForm
from app.core.access import Access, access
from app.core.access_log import log_read
from app.core.jobs import commit
from app.core.web import form_status, load_or_404, submit_form
from app.directory.models import Organisation
from app.extensions import db
from app.needs import boussole, services
from app.needs.forms import NeedForm
from app.needs.models import Need
from app.needs.models import NeedStatus as NS

bp = Blueprint("needs", __name__, url_prefix="/besoins")


def _managed_organisations() -> list[Organisation]:
    ids = current_user.organisation_ids
    if not ids:
        return []
    return list(db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)))


def _locale() -> str:
    return str(get_locale() or "fr")


@bp.get("/boussole")
@access(Access.ORG_MEMBER)
def boussole_step():
    """One question per page; the answers so far travel in the URL (`r=a.b.c`)."""
    tree = boussole.load_tree()
    answers = boussole.parse_answer_string(request.args.get("r"))
    choice = request.args.get("choix")
    if choice:
        answers.append(choice)
    try:
        outcome = boussole.walk(tree, answers)
    except boussole.InvalidAnswers:
        flash(_("Cette réponse ne correspond pas à la question : reprenons."), "error")
        return redirect(url_for("needs.boussole_step"))
    if outcome.finished:
        return redirect(url_for("needs.new", r=".".join(outcome.answers)))
    return render_template(
        "needs/boussole.html",
        outcome=outcome,
        locale=_locale(),
        previous=".".join(answers[:-1]) if answers else None,
        r=".".join(answers),
    )


@bp.route("/nouveau", methods=["GET", "POST"])
@access(Access.ORG_MEMBER)
def new():
    organisations = _managed_organisations()
    if not organisations:
        flash(_("Déclarez d'abord votre structure."), "info")
        return redirect(url_for("directory.organisation_new"))
    form = NeedForm()
    form.organisation_id.choices = [(o.id, o.name) for o in organisations]
    answers = boussole.parse_answer_string(request.values.get("r") or form.answers.data)
    try:
        outcome = boussole.walk(boussole.load_tree(), answers)
    except boussole.InvalidAnswers:
        outcome, answers = boussole.walk(boussole.load_tree(), []), []
    if request.method == "GET":
        org = organisations[0]
        form.organisation_id.data = org.id
        form.answers.data = ".".join(answers)
        form.title.data = outcome.title
        form.description.data = outcome.description
        form.skills.data = outcome.skills
        form.categories.data = outcome.categories
        form.modality.data = outcome.modality or "both"
        form.funding_mode.data = outcome.funding or "volunteer"
        form.commune.process_data(org.commune)
        form.contact_name.data = current_user.full_name
        form.contact_email.data = org.contact_email or current_user.email
        form.contact_phone.data = org.contact_phone

    def create():
        org = next(o for o in organisations if o.id == form.organisation_id.data)
        return services.create_need(
            current_user, org, form.values(), answers=answers, publish="draft" not in request.form
        )

    done = submit_form(
        form,
        create,
        lambda need: (
            _("Votre besoin est publié : l'équipe du Hub vous proposera des accompagnant·es.")
            if need.status == NS.OPEN
            else _("Brouillon enregistré.")
        ),
        lambda need: url_for("needs.detail", need_id=need.id),
    )
    return done or (render_template("needs/form.html", form=form, need=None, outcome=outcome), form_status(form))


def _visible_need(need_id: int) -> Need:
    return load_or_404(Need, need_id, where=lambda need: services.can_see_need(current_user, need))


@bp.get("/<int:need_id>")
@access(Access.ORG_MEMBER)
def detail(need_id: int):
    need = _visible_need(need_id)
    log_read("need_contact", organisations=[need.organisation_id], users=[need.created_by_id], detail=f"need:{need.id}")
    missions = need.missions  # declared by app.matches.models (matches stands above needs)
    return render_template(
        "needs/detail.html",
        need=need,
        action_form=EmptyForm(),
        NS=NS,
        owner_moves=services.OWNER_MOVES,
        missions=missions,
        charter_preferences=services.CHARTER_PREFERENCES,
    )


@bp.route("/<int:need_id>/modifier", methods=["GET", "POST"])
@access(Access.ORG_MEMBER)
def edit(need_id: int):
    need = _visible_need(need_id)
    if need.status not in services.EDITABLE:
        flash(_("Ce besoin ne peut plus être modifié."), "error")
        return redirect(url_for("needs.detail", need_id=need.id))
    form = NeedForm(obj=need)
    form.organisation_id.choices = [(need.organisation.id, need.organisation.name)]
    if request.method == "GET":
        form.organisation_id.data = need.organisation_id
        form.commune.process_data(need.commune)
    done = submit_form(
        form,
        lambda: services.update_need(current_user, need, form.values()),
        _("Modifications enregistrées."),
        url_for("needs.detail", need_id=need.id),
    )
    return done or (render_template("needs/form.html", form=form, need=need, outcome=None), form_status(form))


OWNER_ACTIONS = {"open": NS.OPEN, "draft": NS.DRAFT, "cancel": NS.CANCELLED, "close": NS.CLOSED}


@bp.post("/<int:need_id>/statut")
@access(Access.ORG_MEMBER)
def status(need_id: int):
    need = _visible_need(need_id)
    form = EmptyForm()
    target = OWNER_ACTIONS.get(request.form.get("action", ""))
    if not form.validate_on_submit() or target is None:
        flash(_("Action inconnue ou formulaire expiré."), "error")
        return redirect(url_for("needs.detail", need_id=need.id))
    if not services.NEED_STATES.can(need.status, target):
        flash(_("Cette action n'est pas possible dans l'état actuel du besoin."), "error")
        return redirect(url_for("needs.detail", need_id=need.id))
    services.move_need(current_user, need, target, reason=request.form.get("reason"))
    commit()
    flash(_("Statut du besoin mis à jour."), "success")
    return redirect(url_for("needs.detail", need_id=need.id))
