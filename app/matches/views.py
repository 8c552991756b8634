"""Hub staff run the engine and arbitrate; providers answer; both sides run missions."""

from __future__ import annotations

import time

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import selectinload

from app.core.access import Access, access
from app.core.errors import ServiceError
from app.core.inputs import parse_id
from app.core.jobs import commit
from app.core.states import IllegalTransition
from app.extensions import db
from app.matches import services
from app.matches.forms import COMPONENT_LABELS, DecisionForm, FeedbackForm, MissionActionForm, ResponseForm, RunForm
from app.matches.models import MatchRun, Mission, MissionStatus, Proposal, ProposalStatus, RunStatus
from app.needs.models import Need
from app.territory.models import Commune

bp = Blueprint("matches", __name__)


def _get(model, ident):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def _fail(error, endpoint: str, **values):
    db.session.rollback()
    message = (
        error.message if isinstance(error, ServiceError) else _("Cette action n'est pas possible dans l'état actuel.")
    )
    flash(str(message), "error")
    return redirect(url_for(endpoint, **values))


# ------------------------------------------------------------------ staff: runs


@bp.route("/mise-en-relation/", methods=["GET", "POST"])
@access(Access.STAFF)
def runs():
    form = RunForm()
    if form.validate_on_submit():
        try:
            run = services.start_run(
                current_user,
                form.weights(),
                solver=form.solver.data,
                dep_codes=form.departements.data,
                k_alternatives=form.k_alternatives.data,
                time_limit=float(form.time_limit.data),
                side_constraints=form.side_constraints(),
            )
            commit()  # in-process mode runs the engine right after this commit
            return redirect(url_for("matches.run_detail", run_id=run.id))
        except ServiceError as error:
            db.session.rollback()
            form.form_errors.append(str(error.message))
    if services.sweep_stale_runs():
        commit()
    recent = list(db.session.scalars(select(MatchRun).order_by(MatchRun.id.desc()).limit(20)))
    open_needs = db.session.scalar(select(func.count()).select_from(Need).where(Need.status == "open"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "matches/runs.html", form=form, runs=recent, open_needs=open_needs, components=COMPONENT_LABELS
    ), status


@bp.get("/mise-en-relation/runs/<int:run_id>")
@access(Access.STAFF)
def run_detail(run_id: int):
    services.sweep_stale_runs()  # a run whose worker died shows as failed, with its restart button
    services.sweep()
    commit()
    run = _get(MatchRun, run_id)
    dep = request.args.get("dep", "")
    status = request.args.get("statut", "")
    stmt = (
        select(Proposal)
        .where(Proposal.run_id == run.id)
        .options(
            selectinload(Proposal.need).selectinload(Need.commune),
            selectinload(Proposal.need).selectinload(Need.organisation),
            selectinload(Proposal.offer),
            selectinload(Proposal.provider),
        )
        .order_by(Proposal.score.desc())
    )
    if dep:
        stmt = (
            stmt.join(Need, Proposal.need_id == Need.id)
            .join(Commune, Need.commune_insee == Commune.insee)
            .where(Commune.dep_code == dep)
        )
    if status in {s.value for s in ProposalStatus}:
        stmt = stmt.where(Proposal.status == ProposalStatus(status))
    proposals = list(db.session.scalars(stmt))
    offers = _offers_by_id({a["offer_id"] for p in proposals for a in p.alternatives})
    return render_template(
        "matches/run.html",
        run=run,
        proposals=proposals,
        offers=offers,
        dep=dep,
        status=status,
        statuses=list(ProposalStatus),
        decision_form=DecisionForm(),
        components=COMPONENT_LABELS,
        failure_message=services.failure_message(run) if run.status == RunStatus.FAILED else None,
    )


@bp.post("/mise-en-relation/runs/<int:run_id>/relancer")
@access(Access.STAFF)
def restart_run(run_id: int):
    """Restart a failed run (CSRF checked by CSRFProtect); the form carries the execution it saw failed."""
    _get(MatchRun, run_id)
    attempt = request.form.get("attempt", "")
    if not attempt.isdigit() or not 0 < int(attempt) < 2**31:
        flash(_("Ce formulaire est périmé : rechargez la page de l'exécution."), "error")
        return redirect(url_for("matches.run_detail", run_id=run_id))
    for retry in range(3):
        try:
            restarted = services.restart_run(current_user, run_id, int(attempt))
            commit()  # in-process mode runs the engine right after this commit
            break
        except ServiceError as error:
            return _fail(error, "matches.run_detail", run_id=run_id)
        except OperationalError as error:
            # SQLite only: two clicks at once, one is refused the write lock instead of waiting
            # (PostgreSQL waits on the row lock). Once the other has committed, this one sees it.
            db.session.rollback()
            if retry == 2 or "database is locked" not in str(error):
                raise
            time.sleep(0.2)
    if restarted:
        flash(_("Exécution relancée."), "success")
    else:
        flash(_("Cette exécution a déjà été relancée."), "info")
    return redirect(url_for("matches.run_detail", run_id=run_id))


def _offers_by_id(ids):
    from app.directory.models import Offer

    if not ids:
        return {}
    return {
        o.id: o
        for o in db.session.scalars(select(Offer).where(Offer.id.in_(ids)).options(selectinload(Offer.provider)))
    }


@bp.get("/mise-en-relation/runs/<int:run_id>/progression")
@access(Access.STAFF)
def run_progress(run_id: int):
    if services.sweep_stale_runs():
        commit()
    run = _get(MatchRun, run_id)
    failed = run.status == RunStatus.FAILED
    return jsonify(
        status=run.status.value,
        stage=run.stage,
        percent=run.percent,
        attempt=run.attempt,
        failure=run.failure,
        error=services.failure_message(run) if failed else None,
    )


@bp.post("/mise-en-relation/runs/<int:run_id>/approuver")
@access(Access.STAFF)
def bulk_approve(run_id: int):
    run = _get(MatchRun, run_id)
    ids = [i for i in map(parse_id, request.form.getlist("proposal_id")) if i]  # CSRF checked by CSRFProtect
    chosen = list(db.session.scalars(select(Proposal).where(Proposal.run_id == run.id, Proposal.id.in_(ids or [-1]))))
    try:
        count = services.bulk_approve(current_user, chosen)
        commit()
    except (ServiceError, IllegalTransition) as error:
        return _fail(error, "matches.run_detail", run_id=run.id)
    flash(_("%(n)d propositions approuvées et envoyées aux prestataires.", n=count), "success")
    return redirect(url_for("matches.run_detail", run_id=run.id))


@bp.get("/mise-en-relation/propositions/<int:proposal_id>")
@access(Access.STAFF)
def proposal_detail(proposal_id: int):
    proposal = _get(Proposal, proposal_id)
    offers = _offers_by_id({a["offer_id"] for a in proposal.alternatives})
    return render_template(
        "matches/proposal.html",
        proposal=proposal,
        offers=offers,
        decision_form=DecisionForm(),
        components=COMPONENT_LABELS,
    )


@bp.post("/mise-en-relation/propositions/<int:proposal_id>")
@access(Access.STAFF)
def decide(proposal_id: int):
    proposal = _get(Proposal, proposal_id)
    form = DecisionForm()
    back = request.form.get("back") == "run" and proposal.run_id
    target = (
        ("matches.run_detail", {"run_id": proposal.run_id})
        if back
        else ("matches.proposal_detail", {"proposal_id": proposal.id})
    )
    if not form.validate_on_submit():
        flash(_("Décision inconnue ou formulaire expiré."), "error")
        return redirect(url_for(target[0], **target[1]))
    try:
        if form.decision.data == "approve":
            services.approve(current_user, proposal)
        elif form.decision.data == "reject":
            services.reject(current_user, proposal, form.reason.data or "")
        else:
            services.replace(current_user, proposal, form.offer_id.data or 0, reason=form.reason.data)
        commit()
    except (ServiceError, IllegalTransition) as error:
        return _fail(error, target[0], **target[1])
    flash(_("Décision enregistrée."), "success")
    return redirect(url_for(target[0], **target[1]))


# ------------------------------------------------------------------ providers: answer


@bp.get("/missions/propositions")
@access(Access.PROVIDER_MEMBER)
def provider_proposals():
    services.sweep()
    commit()
    return render_template(
        "matches/provider_proposals.html", proposals=services.proposals_for_provider(current_user), form=ResponseForm()
    )


@bp.post("/missions/propositions/<int:proposal_id>")
@access(Access.PROVIDER_MEMBER)
def respond(proposal_id: int):
    proposal = _get(Proposal, proposal_id)
    if proposal.provider_id not in current_user.provider_ids:
        abort(404)
    form = ResponseForm()
    if not form.validate_on_submit():
        flash(_("Réponse inconnue ou formulaire expiré."), "error")
        return redirect(url_for("matches.provider_proposals"))
    try:
        mission = services.respond(current_user, proposal, form.response.data == "accept", form.reason.data)
        commit()
    except (ServiceError, IllegalTransition) as error:
        commit()  # an expiry found on the way is kept
        return _fail(error, "matches.provider_proposals")
    if mission is not None:
        flash(_("Mission acceptée : la structure est prévenue."), "success")
        return redirect(url_for("matches.mission_detail", mission_id=mission.id))
    flash(_("Vous avez décliné la proposition. Merci d'avoir répondu."), "info")
    return redirect(url_for("matches.provider_proposals"))


# ------------------------------------------------------------------ missions


@bp.get("/missions/")
@access(Access.LOGIN)
def missions():
    return render_template("matches/missions.html", missions=services.missions_for(current_user))


def _visible_mission(mission_id: int) -> Mission:
    mission = db.session.get(Mission, mission_id)
    if mission is None or not services.can_see_mission(current_user, mission):
        abort(404)
    return mission


@bp.get("/missions/<int:mission_id>")
@access(Access.LOGIN)
def mission_detail(mission_id: int):
    mission = _visible_mission(mission_id)
    side = services.mission_side(current_user, mission)
    return render_template(
        "matches/mission.html",
        mission=mission,
        side=side,
        action_form=MissionActionForm(),
        feedback_form=FeedbackForm(),
        MS=MissionStatus,
        my_feedback=next((f for f in mission.feedback if f.side == side), None),
    )


@bp.post("/missions/<int:mission_id>/action")
@access(Access.LOGIN)
def mission_action(mission_id: int):
    mission = _visible_mission(mission_id)
    form = MissionActionForm()
    if not form.validate_on_submit():
        flash(_("Action inconnue ou formulaire expiré."), "error")
        return redirect(url_for("matches.mission_detail", mission_id=mission.id))
    try:
        if form.action.data == "start":
            services.start_mission(current_user, mission)
        elif form.action.data == "confirm":
            services.confirm_completion(current_user, mission)
        else:
            services.cancel_mission(current_user, mission, form.reason.data or "")
        commit()
    except (ServiceError, IllegalTransition) as error:
        return _fail(error, "matches.mission_detail", mission_id=mission.id)
    flash(_("Mission mise à jour."), "success")
    return redirect(url_for("matches.mission_detail", mission_id=mission.id))


@bp.post("/missions/<int:mission_id>/avis")
@access(Access.LOGIN)
def mission_feedback(mission_id: int):
    mission = _visible_mission(mission_id)
    form = FeedbackForm()
    if not form.validate_on_submit():
        flash(_("Choisissez une note de 1 à 5."), "error")
        return redirect(url_for("matches.mission_detail", mission_id=mission.id))
    try:
        services.give_feedback(current_user, mission, int(form.rating.data), form.comment.data)
        commit()
    except ServiceError as error:
        return _fail(error, "matches.mission_detail", mission_id=mission.id)
    flash(_("Merci pour votre avis."), "success")
    return redirect(url_for("matches.mission_detail", mission_id=mission.id))
