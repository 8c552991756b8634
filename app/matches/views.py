"""Hub staff run the engine and arbitrate; providers answer; both sides run missions."""

from __future__ import annotations

import time

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import selectinload

from app.core.access import Access, access
from app.core.inputs import parse_id
from app.core.jobs import commit
from app.core.web import load_or_404, submit_action, transaction
from app.directory.models import Offer
from app.extensions import db
from app.matches import missions as match_missions
from app.matches import runs as match_runs
from app.matches import services
from app.matches.explanations import explain
from app.matches.forms import COMPONENT_LABELS, DecisionForm, FeedbackForm, MissionActionForm, ResponseForm, RunForm
from app.matches.labels import proposal_status
from app.matches.models import MatchRun, Mission, MissionStatus, Proposal, ProposalStatus, RunStatus
from app.needs.models import Need, NeedStatus
from app.territory.models import Commune

bp = Blueprint("matches", __name__)


@bp.record_once
def _template_globals(state) -> None:  # globals: the included cards and macros see them too
    state.app.jinja_env.globals.update(explain=explain, proposal_status=proposal_status)


# ------------------------------------------------------------------ staff: runs


@bp.route("/mise-en-relation/", methods=["GET", "POST"])
@access(Access.STAFF)
def runs():
    form = RunForm()
    if form.validate_on_submit():
        with transaction(show=False) as tx:  # in-process mode runs the engine right after the commit
            run = match_runs.start_run(
                current_user,
                form.weights(),
                solver=form.solver.data,
                dep_codes=form.departements.data,
                k_alternatives=form.k_alternatives.data,
                time_limit=float(form.time_limit.data),
                side_constraints=form.side_constraints(),
            )
        if tx.ok:
            return redirect(url_for("matches.run_detail", run_id=run.id))
        form.form_errors.append(str(tx.error.message))
    if match_runs.sweep_stale_runs():
        commit()
    recent = list(db.session.scalars(select(MatchRun).order_by(MatchRun.id.desc()).limit(20)))
    open_needs = db.session.scalar(select(func.count()).select_from(Need).where(Need.status == NeedStatus.OPEN))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "matches/runs.html", form=form, runs=recent, open_needs=open_needs, components=COMPONENT_LABELS
    ), status


@bp.get("/mise-en-relation/runs/<int:run_id>")
@access(Access.STAFF)
def run_detail(run_id: int):
    if match_runs.sweep_stale_runs():  # a run whose worker died shows as failed, with its restart button
        commit()
    run = load_or_404(MatchRun, run_id)
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
        failure_message=match_runs.failure_message(run) if run.status == RunStatus.FAILED else None,
    )


@bp.post("/mise-en-relation/runs/<int:run_id>/relancer")
@access(Access.STAFF)
def restart_run(run_id: int):
    """Restart a failed run (CSRF checked by CSRFProtect); the form carries the execution it saw failed."""
    load_or_404(MatchRun, run_id)
    attempt = request.form.get("attempt", "")
    if not attempt.isdigit() or not 0 < int(attempt) < 2**31:
        flash(_("Ce formulaire est périmé : rechargez la page de l'exécution."), "error")
        return redirect(url_for("matches.run_detail", run_id=run_id))
    back = url_for("matches.run_detail", run_id=run_id)
    for retry in range(3):
        try:
            with transaction() as tx:  # in-process mode runs the engine right after the commit
                restarted = match_runs.restart_run(current_user, run_id, int(attempt))
            break
        except OperationalError as error:  # rolled back by the transaction
            # SQLite only: two clicks at once, one is refused the write lock instead of waiting
            # (PostgreSQL waits on the row lock). Once the other has committed, this one sees it.
            if retry == 2 or "database is locked" not in str(error):
                raise
            time.sleep(0.2)
    if not tx.ok:
        return redirect(back)
    if restarted:
        flash(_("Exécution relancée."), "success")
    else:
        flash(_("Cette exécution a déjà été relancée."), "info")
    return redirect(back)


def _offers_by_id(ids):
    if not ids:
        return {}
    return {
        o.id: o
        for o in db.session.scalars(select(Offer).where(Offer.id.in_(ids)).options(selectinload(Offer.provider)))
    }


@bp.get("/mise-en-relation/runs/<int:run_id>/progression")
@access(Access.STAFF)
def run_progress(run_id: int):
    if match_runs.sweep_stale_runs():
        commit()
    run = load_or_404(MatchRun, run_id)
    failed = run.status == RunStatus.FAILED
    return jsonify(
        status=run.status.value,
        stage=run.stage,
        percent=run.percent,
        attempt=run.attempt,
        failure=run.failure,
        error=match_runs.failure_message(run) if failed else None,
    )


@bp.post("/mise-en-relation/runs/<int:run_id>/approuver")
@access(Access.STAFF)
def bulk_approve(run_id: int):
    run = load_or_404(MatchRun, run_id)
    ids = [i for i in map(parse_id, request.form.getlist("proposal_id")) if i]  # CSRF checked by CSRFProtect
    chosen = list(db.session.scalars(select(Proposal).where(Proposal.run_id == run.id, Proposal.id.in_(ids or [-1]))))
    return submit_action(
        lambda: services.bulk_approve(current_user, chosen),
        lambda count: _("%(n)d propositions approuvées et envoyées aux prestataires.", n=count),
        url_for("matches.run_detail", run_id=run.id),
        illegal_moves=True,
    )


@bp.get("/mise-en-relation/propositions/<int:proposal_id>")
@access(Access.STAFF)
def proposal_detail(proposal_id: int):
    proposal = load_or_404(Proposal, proposal_id)
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
    proposal = load_or_404(Proposal, proposal_id)
    form = DecisionForm()
    back = (
        url_for("matches.run_detail", run_id=proposal.run_id)
        if request.form.get("back") == "run" and proposal.run_id
        else url_for("matches.proposal_detail", proposal_id=proposal.id)
    )
    if not form.validate_on_submit():
        flash(_("Décision inconnue ou formulaire expiré."), "error")
        return redirect(back)

    def decide():
        if form.decision.data == "approve":
            services.approve(current_user, proposal)
        elif form.decision.data == "reject":
            services.reject(current_user, proposal, form.reason.data or "")
        else:
            services.replace(current_user, proposal, form.offer_id.data or 0, reason=form.reason.data)

    return submit_action(decide, _("Décision enregistrée."), back, illegal_moves=True)


# ------------------------------------------------------------------ providers: answer


@bp.get("/missions/propositions")
@access(Access.PROVIDER_MEMBER)
def provider_proposals():
    return render_template(
        "matches/provider_proposals.html",
        proposals=match_missions.proposals_for_provider(current_user),
        form=ResponseForm(),
    )


@bp.post("/missions/propositions/<int:proposal_id>")
@access(Access.PROVIDER_MEMBER)
def respond(proposal_id: int):
    proposal = load_or_404(Proposal, proposal_id, where=lambda p: p.provider_id in current_user.provider_ids)
    form = ResponseForm()
    if not form.validate_on_submit():
        flash(_("Réponse inconnue ou formulaire expiré."), "error")
        return redirect(url_for("matches.provider_proposals"))
    with transaction(illegal_moves=True) as tx:  # an expiry found on the way is kept (its refusal says commit)
        mission = services.respond(current_user, proposal, form.response.data == "accept", form.reason.data)
    if not tx.ok:
        return redirect(url_for("matches.provider_proposals"))
    if mission is not None:
        flash(_("Mission acceptée : la structure est prévenue."), "success")
        return redirect(url_for("matches.mission_detail", mission_id=mission.id))
    flash(_("Vous avez décliné la proposition. Merci d'avoir répondu."), "info")
    return redirect(url_for("matches.provider_proposals"))


# ------------------------------------------------------------------ missions


@bp.get("/missions/")
@access(Access.LOGIN)
def missions():
    return render_template("matches/missions.html", missions=match_missions.missions_for(current_user))


def _visible_mission(mission_id: int) -> Mission:
    return load_or_404(Mission, mission_id, where=lambda mission: match_missions.can_see_mission(current_user, mission))


@bp.get("/missions/<int:mission_id>")
@access(Access.LOGIN)
def mission_detail(mission_id: int):
    mission = _visible_mission(mission_id)
    side = match_missions.mission_side(current_user, mission)
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
    back = url_for("matches.mission_detail", mission_id=mission.id)
    form = MissionActionForm()
    if not form.validate_on_submit():
        flash(_("Action inconnue ou formulaire expiré."), "error")
        return redirect(back)

    def act():
        if form.action.data == "start":
            match_missions.start_mission(current_user, mission)
        elif form.action.data == "confirm":
            match_missions.confirm_completion(current_user, mission)
        else:
            match_missions.cancel_mission(current_user, mission, form.reason.data or "")

    return submit_action(act, _("Mission mise à jour."), back, illegal_moves=True)


@bp.post("/missions/<int:mission_id>/avis")
@access(Access.LOGIN)
def mission_feedback(mission_id: int):
    mission = _visible_mission(mission_id)
    back = url_for("matches.mission_detail", mission_id=mission.id)
    form = FeedbackForm()
    if not form.validate_on_submit():
        flash(_("Choisissez une note de 1 à 5."), "error")
        return redirect(back)
    return submit_action(
        lambda: match_missions.give_feedback(current_user, mission, int(form.rating.data), form.comment.data),
        _("Merci pour votre avis."),
        back,
    )
