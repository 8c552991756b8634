"""Hub staff run the engine and arbitrate; providers answer; both sides run missions."""

from __future__ import annotations

import time

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import selectinload

from app.core.access import Access, access
from app.core.access_log import log_read
from app.core.inputs import parse_id
from app.core.jobs import commit
from app.core.web import form_status, load_or_404, submit_action, transaction
from app.directory.models import Offer
from app.extensions import db
from app.matches import contacts as match_contacts
from app.matches import missions as match_missions
from app.matches import requests as match_requests
from app.matches import runs as match_runs
from app.matches import services
from app.matches.explanations import explain
from app.matches.forms import COMPONENT_LABELS, DecisionForm, FeedbackForm, MissionActionForm, ResponseForm, RunForm
from app.matches.labels import proposal_status
from app.matches.models import MatchRun, Mission, MissionStatus, Proposal, ProposalStatus, RunStatus
from app.matches.notes import note_html, notes_html
from app.needs.forms import LinkNeedForm, RequestNeedForm
from app.needs.models import Need, NeedStatus

bp = Blueprint("matches", __name__)


@bp.record_once
def _template_globals(state) -> None:  # globals: the included cards and macros see them too
    state.app.jinja_env.globals.update(
        explain=explain, proposal_status=proposal_status, run_notes=notes_html, run_note=note_html
    )


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
    filters = match_runs.ProposalFilters.from_args(request.args)
    listing = match_runs.run_proposals(run, filters, page=_page_number(request.args.get("page")))
    offers = _offers_by_id({a["offer_id"] for p in listing.items for a in p.alternatives})
    here = url_for("matches.run_detail", run_id=run.id, **filters.args(), page=listing.page)
    return render_template(
        "matches/run.html",
        run=run,
        proposals=listing.items,
        listing=listing,
        filters=filters,
        page_url=lambda number: url_for("matches.run_detail", run_id=run.id, **filters.args(), page=number),
        back=here,
        offers=offers,
        statuses=list(ProposalStatus),
        decision_form=DecisionForm(),
        components=COMPONENT_LABELS,
        failure_message=match_runs.failure_message(run) if run.status == RunStatus.FAILED else None,
    )


def _page_number(value) -> int:
    text = str(value or "")
    return int(text) if text.isdigit() and 0 < int(text) < 100_000 else 1


def _back_to_run(proposal: Proposal | None, run_id: int | None) -> str:
    """Where a decision goes back to: the run page it was taken on (its filters and page, from the
    form's ``back``, only if it is that run's page), else the proposal's own page."""
    back = request.values.get("back", "")
    if run_id and back.startswith(url_for("matches.run_detail", run_id=run_id)) and "//" not in back:
        return back
    if back == "run" and run_id:
        return url_for("matches.run_detail", run_id=run_id)
    return url_for("matches.proposal_detail", proposal_id=proposal.id) if proposal else "/"


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
    """The selection of the run page, approved (and sent) or refused with one reason (CSRF checked
    by CSRFProtect)."""
    run = load_or_404(MatchRun, run_id)
    back = _back_to_run(None, run.id)
    ids = [i for i in map(parse_id, request.form.getlist("proposal_id")) if i]
    if not ids:
        flash(_("Cochez au moins une proposition."), "error")
        return redirect(back)
    chosen = list(db.session.scalars(select(Proposal).where(Proposal.run_id == run.id, Proposal.id.in_(ids))))
    if request.form.get("decision") == "reject":
        reason = request.form.get("reason", "")[:2000]
        return submit_action(
            lambda: services.bulk_reject(current_user, chosen, reason),
            lambda count: _("%(n)d propositions refusées.", n=count),
            back,
            illegal_moves=True,
        )
    return submit_action(
        lambda: services.bulk_approve(current_user, chosen),
        lambda count: _("%(n)d propositions approuvées et envoyées aux prestataires.", n=count),
        back,
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
        back=url_for("matches.proposal_detail", proposal_id=proposal.id),
    )


@bp.get("/mise-en-relation/propositions/<int:proposal_id>/remplacer/<int:offer_id>")
@access(Access.STAFF)
def replace_confirm(proposal_id: int, offer_id: int):
    """The confirmation step of "Choisir plutôt celle-ci": what will be sent, to whom, instead of what."""
    proposal = load_or_404(Proposal, proposal_id)
    alternative = next((a for a in proposal.alternatives if a["offer_id"] == offer_id), None)
    offer = db.session.get(Offer, offer_id) if alternative else None
    if alternative is None or offer is None:
        abort(404)
    return render_template(
        "matches/replace.html",
        proposal=proposal,
        alternative=alternative,
        offer=offer,
        back=_back_to_run(proposal, proposal.run_id),
    )


@bp.post("/mise-en-relation/propositions/<int:proposal_id>")
@access(Access.STAFF)
def decide(proposal_id: int):
    """Approve, refuse, or (once confirmed) replace by an alternative. A browser without script
    is sent back to where it was (the run page with its filters and page, at the proposal's
    anchor) with a message naming the proposal; the page's script (static/staff-decisions.js)
    asks for JSON and replaces the proposal's card in place."""
    proposal = load_or_404(Proposal, proposal_id)
    form = DecisionForm()
    back = _back_to_run(proposal, proposal.run_id)
    label = services.proposal_label(proposal)
    if not form.validate_on_submit():
        return _decided(proposal, back, _("%(label)s : décision inconnue ou formulaire expiré.", label=label), ok=False)
    decision = form.decision.data
    if decision == "replace" and request.form.get("confirm") != "1":
        offer_id = form.offer_id.data or 0
        return redirect(url_for("matches.replace_confirm", proposal_id=proposal.id, offer_id=offer_id, back=back))
    with transaction(show=False, illegal_moves=True) as tx:
        if decision == "approve":
            services.approve(current_user, proposal)
            shown, message = proposal, _("%(label)s : approuvée et envoyée au prestataire.", label=label)
        elif decision == "reject":
            services.reject(current_user, proposal, form.reason.data or "")
            shown, message = proposal, _("%(label)s : refusée.", label=label)
        else:
            shown = services.replace(current_user, proposal, form.offer_id.data or 0, reason=form.reason.data)
            message = _("%(label)s : remplacée ; la nouvelle proposition est envoyée au prestataire.", label=label)
    if not tx.ok:
        return _decided(proposal, back, f"{label} : {tx.error.message}", ok=False, status=tx.status)
    return _decided(shown, back, message, ok=True)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _decided(proposal: Proposal, back: str, message: str, *, ok: bool, status: int = 200):
    """The answer to a decision: JSON with the proposal's card again (the page's script), or the
    message flashed and a redirect to the proposal's place on the page it came from."""
    if _wants_json():
        db.session.expire_all()
        fresh = db.session.get(Proposal, proposal.id)
        html = render_template(
            "matches/_proposal_card.html",
            p=fresh,
            offers=_offers_by_id({a["offer_id"] for a in fresh.alternatives}),
            components=COMPONENT_LABELS,
            selectable=back != url_for("matches.proposal_detail", proposal_id=proposal.id),
            back=back,
        )
        return jsonify(ok=ok, message=message, html=html), (200 if ok else status if status >= 400 else 422)
    flash(message, "success" if ok else "error")
    return redirect(f"{back}#proposition-{proposal.id}")


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
    log_read("need_contact", organisations=[mission.need.organisation_id], providers=[mission.provider_id])
    side = match_missions.mission_side(current_user, mission)
    return render_template(
        "matches/mission.html",
        mission=mission,
        side=side,
        action_form=MissionActionForm(),
        feedback_form=FeedbackForm(),
        MS=MissionStatus,
        my_feedback=next((f for f in mission.feedback if f.side == side), None),
        contacts=match_contacts.mission_contacts(mission),
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


# ------------------------------------------------------------------ organisations: ask for an offer


def _requestable_offer(offer_id: int) -> Offer:
    return load_or_404(Offer, offer_id, where=lambda offer: offer.is_public)


@bp.route("/offres/<int:offer_id>/demander", methods=["GET", "POST"])
@access(Access.LOGIN)  # a visitor is sent to log in (or sign up) and comes back here
def offer_request(offer_id: int):
    """Ask for an offer: a new need prefilled from it (reviewed, then sent), or one of the
    organisation's open needs (`offer_request_link`). Either way a direct request to the provider."""
    offer = _requestable_offer(offer_id)
    if match_requests.is_own_offer(current_user, offer):
        return _own_offer(offer)
    organisations = match_requests.organisations_of(current_user)
    if not organisations:
        flash(_("Pour demander cet accompagnement, déclarez d'abord votre structure : vous reviendrez ensuite ici."))
        return redirect(url_for("directory.organisation_new", next=url_for("matches.offer_request", offer_id=offer.id)))
    if request.method == "GET":
        return _request_page(offer, _prefilled_form(offer, organisations))
    form = RequestNeedForm()
    form.organisation_id.choices = [(o.id, o.name) for o in organisations]
    if form.validate_on_submit():
        org = next(o for o in organisations if o.id == form.organisation_id.data)
        sent = _send_request(
            form,
            lambda: match_requests.request_with_new_need(
                current_user, offer, org, form.values(), key=form.request_key.data
            ),
        )
        if sent is not None:
            return sent
    return _request_page(offer, form, status=form_status(form))


@bp.post("/offres/<int:offer_id>/demander/besoin")
@access(Access.LOGIN)
def offer_request_link(offer_id: int):
    """Ask for an offer with one of the organisation's open needs."""
    offer = _requestable_offer(offer_id)
    if match_requests.is_own_offer(current_user, offer):
        return _own_offer(offer)
    done = match_requests.by_key(request.form.get("request_key"))
    if done is not None and done.requested_by_id == current_user.id and done.offer_id == offer.id:
        return redirect(url_for("matches.request_detail", proposal_id=done.id))  # the second click of a double click
    link_form = _link_form(offer)
    if link_form is None:  # no organisation, or no need that may be linked any more
        flash(_("Aucun de vos besoins ne peut être demandé à cette offre : décrivez-en un nouveau."), "error")
        return redirect(url_for("matches.offer_request", offer_id=offer.id))
    if link_form.validate_on_submit():
        need = load_or_404(Need, link_form.need_id.data)
        sent = _send_request(
            link_form,
            lambda: match_requests.request_with_need(current_user, offer, need, key=link_form.request_key.data),
        )
        if sent is not None:
            return sent
    form = _prefilled_form(offer, match_requests.organisations_of(current_user))
    return _request_page(offer, form, link_form=link_form, status=form_status(link_form))


def _prefilled_form(offer: Offer, organisations) -> RequestNeedForm:
    """The need the request starts from, prefilled from the offer and the first organisation."""
    org = organisations[0]
    values = match_requests.prefill(offer, org, current_user)
    form = RequestNeedForm(formdata=None)
    form.organisation_id.choices = [(o.id, o.name) for o in organisations]
    form.process(
        formdata=None,
        data={k: v for k, v in values.items() if k != "commune_insee"}
        | {"organisation_id": org.id, "request_key": match_requests.new_request_key()},
    )
    form.commune.process_data(org.commune)
    return form


def _link_form(offer: Offer, formdata: bool = True) -> LinkNeedForm | None:
    needs = match_requests.linkable_needs(current_user, offer)
    if not needs:
        return None
    form = LinkNeedForm() if formdata else LinkNeedForm(formdata=None)
    form.need_id.choices = [(n.id, n.title) for n in needs]
    if not form.request_key.data:
        form.request_key.data = match_requests.new_request_key()
    return form


@bp.app_template_global("pending_offer_requests")
def pending_offer_requests(offer: Offer) -> list:
    """The reader's organisations' requests of this offer still waiting for the provider (the offer page says so)."""
    if not current_user.is_authenticated:
        return []
    return match_requests.pending_requests(current_user, offer)


def _request_page(offer: Offer, form: RequestNeedForm, link_form: LinkNeedForm | None = None, status: int = 200):
    return render_template(
        "matches/offer_request.html",
        offer=offer,
        form=form,
        link_form=link_form or _link_form(offer, formdata=False),
        pending=match_requests.pending_requests(current_user, offer),
    ), status


def _send_request(form, action):
    """Run the request in one transaction and redirect to its page (None: refused, shown on the form).
    A second click with the same key lands on the first's page."""
    key = form.request_key.data
    try:
        with transaction(form) as tx:
            proposal = action()
    except (IntegrityError, OperationalError):  # the other click of a double click won the race
        db.session.rollback()
        proposal = match_requests.by_key(key)
        if proposal is None or proposal.requested_by_id != current_user.id:
            raise
    else:
        if not tx.ok:
            return None
    flash(_("Votre demande est envoyée à %(provider)s.", provider=proposal.provider.name), "success")
    return redirect(url_for("matches.request_detail", proposal_id=proposal.id))


def _own_offer(offer: Offer):
    return render_template(
        "core/error.html",
        status=403,
        title=_("C'est votre offre"),
        message=_("Vous ne pouvez pas demander votre propre offre."),
    ), 403


@bp.get("/demandes/<int:proposal_id>")
@access(Access.LOGIN)
def request_detail(proposal_id: int):
    """Where a direct request stands: for the organisation that made it (the confirmation page),
    the provider it was sent to and hub staff. No contact here: they come with the mission."""
    proposal = load_or_404(Proposal, proposal_id, where=lambda p: match_requests.can_see_request(current_user, p))
    return render_template(
        "matches/request.html",
        proposal=proposal,
        is_requester=proposal.need.organisation_id in current_user.organisation_ids,
        is_provider=proposal.provider_id in current_user.provider_ids,
    )
