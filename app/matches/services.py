"""Proposals around the engine: staff arbitration (approve, reject, replace), the provider's
answer (accept → a mission, decline), expiry and reminders (the sweep), every decision written to
the audit trail. Runs are in `app.matches.runs`, missions in `app.matches.missions`. Services
flush, never commit."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import User
from app.core.errors import Forbidden, ServiceError
from app.core.mail import send_mail
from app.core.models import utcnow
from app.core.signals import mission_accepted, mission_cancelled
from app.core.states import StateMachine
from app.core.urls import absolute_url
from app.extensions import db
from app.matches.contacts import contact_lines, organisation_contact, provider_contact
from app.matches.explanations import explanation_text
from app.matches.models import Mission, Proposal, ProposalEvent, ProposalOrigin
from app.matches.models import MissionStatus as MS
from app.matches.models import ProposalStatus as P
from app.needs.models import Need
from app.needs.models import NeedStatus as NS
from app.needs.services import move_need

log = logging.getLogger(__name__)

PROPOSAL_STATES = StateMachine(
    "proposal",
    {
        P.PROPOSED: frozenset({P.APPROVED, P.REJECTED, P.REPLACED, P.SUPERSEDED}),
        P.APPROVED: frozenset({P.ACCEPTED, P.DECLINED, P.EXPIRED, P.SUPERSEDED}),
    },
)


# ------------------------------------------------------------------ audit and moves


def _log(
    proposal: Proposal,
    actor: User | None,
    action: str,
    before,
    after,
    reason: str | None = None,
    details: dict | None = None,
) -> None:
    db.session.add(
        ProposalEvent(
            proposal=proposal,
            actor_id=actor.id if actor else None,
            action=action,
            from_status=before.value if before else None,
            to_status=after.value,
            reason=reason,
            details=details or {},
        )
    )


def _move(
    proposal: Proposal,
    actor: User | None,
    target: P,
    action: str,
    reason: str | None = None,
    details: dict | None = None,
) -> None:
    PROPOSAL_STATES.check(proposal.status, target)
    before = proposal.status
    proposal.status = target
    _log(proposal, actor, action, before, target, reason, details)


def _require_staff(actor: User) -> None:
    if not actor.is_staff:
        raise Forbidden(_("Seule l'équipe du Hub arbitre les propositions."))


def _response_days() -> int:
    return int(current_app.config.get("PROPOSAL_RESPONSE_DAYS", 5))


def pair_of(proposal: Proposal) -> list[Proposal]:
    """The proposal and, for two complementary experts, its partner (staff arbitrate both at once)."""
    return [proposal] if proposal.partner is None else [proposal, proposal.partner]


def _check_pair_undecided(proposal: Proposal) -> None:
    partner = proposal.partner
    if partner is not None and partner.status != P.PROPOSED and proposal.status == P.PROPOSED:
        raise ServiceError(_("L'autre expert de ce binôme n'est plus proposé : relancez la mise en relation."))


def approve(actor: User, proposal: Proposal, now: datetime | None = None) -> None:
    """Staff approve: the proposal is sent to the provider with a deadline. Two complementary
    experts are approved together: each is sent to its own provider."""
    _require_staff(actor)
    _check_pair_undecided(proposal)
    for member in pair_of(proposal):
        _approve_one(actor, member, now)


def _approve_one(actor: User, proposal: Proposal, now: datetime | None = None) -> None:
    now = now or utcnow()
    _move(proposal, actor, P.APPROVED, "approved")
    proposal.decided_by_id, proposal.decided_at = actor.id, now
    proposal.sent_at, proposal.deadline_at = now, now + timedelta(days=_response_days())
    _notify_provider(
        proposal,
        _l("Nouvelle proposition de mission — Hub du Sud"),
        _l(
            "Bonjour,\n\nL'équipe du Hub du Sud vous propose une mission : « %(need)s » (%(org)s, %(commune)s).\n"
            "Pourquoi vous : %(why)s\n\nRépondez avant le %(deadline)s : %(url)s",
            need=proposal.need.title,
            org=proposal.need.organisation.name,
            commune=proposal.need.commune.name,
            why=explanation_text(proposal.explanation_phrases, proposal.explanation),
            deadline=proposal.deadline_at.strftime("%d/%m/%Y"),
            url=absolute_url("matches.provider_proposals"),
        ),
    )


def reject(actor: User, proposal: Proposal, reason: str) -> None:
    _require_staff(actor)
    if not (reason or "").strip():
        raise ServiceError(_("Indiquez la raison du refus."), field="reason")
    _check_pair_undecided(proposal)
    for member in pair_of(proposal):  # two complementary experts are refused together
        _move(member, actor, P.REJECTED, "rejected", reason=reason.strip())
        member.decided_by_id, member.decided_at, member.reason = actor.id, utcnow(), reason.strip()
    _back_to_matching(proposal.need)


def replace(actor: User, proposal: Proposal, offer_id: int, reason: str | None = None) -> Proposal:
    """Staff pick one of the alternatives instead: the new proposal is approved and sent."""
    _require_staff(actor)
    if proposal.partner_id is not None:
        raise ServiceError(_("Deux experts complémentaires s'arbitrent ensemble : approuvez-les ou refusez-les."))
    alternative = next((a for a in proposal.alternatives if a["offer_id"] == offer_id), None)
    if alternative is None:
        raise ServiceError(_("Cette offre ne fait pas partie des alternatives proposées."), field="offer_id")
    _move(proposal, actor, P.REPLACED, "replaced", reason=reason, details={"by_offer_id": offer_id})
    proposal.decided_by_id, proposal.decided_at = actor.id, utcnow()
    others = [a for a in proposal.alternatives if a["offer_id"] != offer_id]
    others.append(
        {
            "offer_id": proposal.offer_id,
            "provider_id": proposal.provider_id,
            "score": proposal.score,
            "explanation": proposal.explanation,
            "phrases": proposal.explanation_phrases,
            "saturated": False,
        }
    )
    new = Proposal(
        run_id=proposal.run_id,
        need_id=proposal.need_id,
        offer_id=offer_id,
        provider_id=alternative["provider_id"],
        score=alternative["score"],
        explanation=alternative["explanation"],
        explanation_phrases=alternative.get("phrases"),  # None in alternatives stored before revision 0014
        alternatives=others,
        replaces_id=proposal.id,
        components={},
    )
    db.session.add(new)
    db.session.flush()
    _log(new, actor, "proposed", None, P.PROPOSED, details={"replaces": proposal.id})
    approve(actor, new)
    return new


def bulk_approve(actor: User, proposals: list[Proposal]) -> int:
    count = 0
    for proposal in proposals:
        if proposal.status == P.PROPOSED:
            approve(actor, proposal)
            count += 1
    return count


def respond(
    actor: User, proposal: Proposal, accept: bool, reason: str | None = None, now: datetime | None = None
) -> Mission | None:
    """The provider accepts (a mission is created) or declines with a reason."""
    if proposal.provider_id not in actor.provider_ids:  # the provider answers, not hub staff
        raise Forbidden(_("Cette proposition ne vous est pas adressée."))
    # Two answers at once (a double click, two colleagues): the second waits for the
    # first on the proposal's row, then finds it answered (one mission, never two).
    db.session.flush()  # the refresh below re-reads the row: changes not yet written would be lost
    db.session.refresh(proposal, with_for_update=True)
    now = now or utcnow()
    if proposal.status == P.APPROVED and proposal.deadline_at and _aware(proposal.deadline_at) < now:
        expire(proposal)
        refusal = ServiceError(_("Le délai de réponse est dépassé : la proposition a expiré."))
        refusal.commit = True  # the expiry is kept: the view commits it while refusing the answer
        raise refusal
    if accept:
        _move(proposal, actor, P.ACCEPTED, "accepted")
        proposal.responded_at = now
        mission = Mission(
            proposal=proposal,
            need_id=proposal.need_id,
            offer_id=proposal.offer_id,
            provider_id=proposal.provider_id,
            accepted_by_id=actor.id,
        )
        db.session.add(mission)
        if pair_complete(proposal):  # two complementary experts: the need is matched once both accepted
            move_need(None, proposal.need, NS.MATCHED, system=True)
        db.session.flush()
        mission_accepted.send(mission)  # a need funded by vouchers: its vouchers are reserved
        _mail_acceptance(mission)
        return mission
    if not (reason or "").strip():
        raise ServiceError(
            _("Indiquez la raison de votre refus : elle aide l'équipe à mieux proposer."), field="reason"
        )
    _move(proposal, actor, P.DECLINED, "declined", reason=reason.strip())
    proposal.responded_at, proposal.reason = now, reason.strip()
    _break_pair(proposal)
    _back_to_matching(proposal.need)
    if proposal.origin == ProposalOrigin.REQUEST:
        _tell_requester(
            proposal,
            _l(
                "Bonjour %(name)s,\n\n%(provider)s ne peut pas donner suite à votre demande pour « %(need)s ».\n"
                "Sa réponse : %(reason)s\n\nVotre besoin reste publié : l'équipe du Hub vous proposera "
                "d'autres accompagnant·es. %(url)s",
                name=proposal.need.contact_name,
                provider=proposal.provider.name,
                need=proposal.need.title,
                reason=proposal.reason,
                url=absolute_url("needs.detail", need_id=proposal.need_id),
            ),
        )
    return None


def expire(proposal: Proposal) -> None:
    _move(proposal, None, P.EXPIRED, "expired")
    _break_pair(proposal)
    _back_to_matching(proposal.need)
    if proposal.origin == ProposalOrigin.REQUEST:
        _tell_requester(
            proposal,
            _l(
                "Bonjour %(name)s,\n\n%(provider)s n'a pas répondu à temps à votre demande pour « %(need)s ».\n\n"
                "Votre besoin reste publié : l'équipe du Hub vous proposera d'autres accompagnant·es. %(url)s",
                name=proposal.need.contact_name,
                provider=proposal.provider.name,
                need=proposal.need.title,
                url=absolute_url("needs.detail", need_id=proposal.need_id),
            ),
        )


def _tell_requester(proposal: Proposal, body) -> None:
    """A direct request that will not become a mission: the organisation hears it from us."""
    send_mail(proposal.need.contact_email, _l("Votre demande d'accompagnement — Hub du Sud"), body)


def _mail_acceptance(mission: Mission) -> None:
    """Each side gets the other's contact, now that the mission is accepted (never before)."""
    need = mission.need
    org, provider = organisation_contact(mission), provider_contact(mission)
    url = absolute_url("matches.mission_detail", mission_id=mission.id)
    send_mail(
        need.contact_email,
        _l("Un prestataire a accepté votre demande — Hub du Sud"),
        _l(
            "Bonjour %(name)s,\n\n%(provider)s a accepté de vous accompagner pour « %(need)s ».\n\n"
            "Votre contact :\n%(contact)s\n\nSuivez la mission ici : %(url)s",
            name=need.contact_name,
            provider=mission.provider.name,
            need=need.title,
            contact=contact_lines(provider),
            url=url,
        ),
    )
    _notify_provider(
        mission.proposal,
        _l("Mission acceptée : le contact de la structure — Hub du Sud"),
        _l(
            "Bonjour,\n\nVous avez accepté la mission « %(need)s » de %(org)s.\n\n"
            "Votre contact :\n%(contact)s\n\nSuivez la mission ici : %(url)s",
            need=need.title,
            org=need.organisation.name,
            contact=contact_lines(org),
            url=url,
        ),
    )


def _aware(value: datetime) -> datetime:

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def sweep(now: datetime | None = None) -> dict:
    """Reminders at half time, expiry at the deadline (a periodic job; idempotent)."""
    now = now or utcnow()
    reminded = expired = 0
    for proposal in db.session.scalars(
        select(Proposal).where(Proposal.status == P.APPROVED, Proposal.deadline_at.is_not(None))
    ):
        if proposal.status != P.APPROVED:  # its partner's expiry withdrew it on the way
            continue
        deadline, sent = _aware(proposal.deadline_at), _aware(proposal.sent_at or proposal.deadline_at)
        if deadline <= now:
            expire(proposal)
            expired += 1
        elif proposal.reminded_at is None and now >= sent + (deadline - sent) / 2:
            proposal.reminded_at = now
            _log(proposal, None, "reminded", proposal.status, proposal.status)
            _notify_provider(
                proposal,
                _l("Rappel : une proposition de mission attend votre réponse"),
                _l(
                    "Bonjour,\n\nLa mission « %(need)s » attend votre réponse avant le %(deadline)s : %(url)s",
                    need=proposal.need.title,
                    deadline=deadline.strftime("%d/%m/%Y"),
                    url=absolute_url("matches.provider_proposals"),
                ),
            )
            reminded += 1
    db.session.flush()
    return {"reminded": reminded, "expired": expired}


def _back_to_matching(need: Need) -> None:
    """A declined, rejected or expired proposal, or a cancelled mission: the need goes back to matching
    (unless another mission of it goes on: one expert of a pair that had started)."""
    if need.status in (NS.PROPOSED, NS.MATCHED, NS.IN_PROGRESS) and not active_missions(need.id):
        move_need(None, need, NS.OPEN, system=True)


def active_missions(need_id: int, but: Mission | None = None) -> list[Mission]:
    """The need's planned or running missions (``but``: leaving that one out)."""
    stmt = select(Mission).where(Mission.need_id == need_id, Mission.status.in_((MS.PLANNED, MS.IN_PROGRESS)))
    if but is not None and but.id is not None:
        stmt = stmt.where(Mission.id != but.id)
    return list(db.session.scalars(stmt))


def pair_complete(proposal: Proposal) -> bool:
    """True for one expert, or for two complementary experts once both have accepted."""
    return proposal.partner is None or proposal.partner.status == P.ACCEPTED


def _break_pair(proposal: Proposal, missions_too: bool = True) -> None:
    """One of two complementary experts declined or did not answer: the pair stands or falls together
    until both have accepted. The other expert's proposal, still waiting, is withdrawn; its mission, if it
    had accepted (it cannot have started: see `missions.start_mission`), is cancelled (``missions_too``),
    which releases the vouchers reserved for it. The need then goes back to matching, as a pair again.
    Once both have accepted, each mission lives on its own."""
    partner = proposal.partner
    if partner is None or (partner.status == P.ACCEPTED and proposal.status == P.ACCEPTED):
        return
    if partner.status == P.APPROVED:
        _move(partner, None, P.SUPERSEDED, "pair_broken", details={"partner_id": proposal.id})
        _notify_provider(
            partner,
            _l("Proposition retirée — Hub du Sud"),
            _l(
                "Bonjour,\n\nLa mission « %(need)s » demandait deux experts complémentaires ; l'autre expert "
                "ne peut pas y participer : la proposition qui vous était faite est retirée. Merci de votre "
                "disponibilité.",
                need=partner.need.title,
            ),
        )
    elif missions_too and partner.status == P.ACCEPTED and partner.mission and partner.mission.status == MS.PLANNED:
        mission = partner.mission
        mission.status, mission.cancelled_at = MS.CANCELLED, utcnow()
        mission.cancel_reason = _("L'autre expert du binôme ne participe pas : la mission à deux est annulée.")
        _log(partner, None, "mission_cancelled", partner.status, partner.status, reason=mission.cancel_reason)
        mission_cancelled.send(mission)  # reserved vouchers go back to the organisation
        _notify_provider(
            partner,
            _l("Mission annulée — Hub du Sud"),
            _l(
                "Bonjour,\n\nLa mission « %(need)s » demandait deux experts complémentaires ; l'autre expert "
                "ne peut pas y participer : la mission que vous aviez acceptée est annulée.",
                need=partner.need.title,
            ),
        )


def _notify_provider(proposal: Proposal, subject, body) -> None:
    """`subject` and `body` are lazy strings: each member reads them in their own language."""
    recipients = {m.user.email for m in proposal.provider.memberships}
    if proposal.provider.contact_email:
        recipients.add(proposal.provider.contact_email)
    for email in sorted(recipients):
        send_mail(email, subject, body)


def close_pending_for_need(need: Need) -> None:
    """The organisation cancelled its need: pending proposals stop, active missions are cancelled."""
    for proposal in db.session.scalars(
        select(Proposal).where(Proposal.need_id == need.id, Proposal.status.in_((P.PROPOSED, P.APPROVED)))
    ):
        _move(proposal, None, P.SUPERSEDED, "need_cancelled")
    for mission in db.session.scalars(
        select(Mission).where(Mission.need_id == need.id, Mission.status.in_((MS.PLANNED, MS.IN_PROGRESS)))
    ):
        mission.status, mission.cancelled_at = MS.CANCELLED, utcnow()
        mission.cancel_reason = _("Besoin annulé par la structure.")
        mission_cancelled.send(mission)  # reserved vouchers go back to the organisation


def withdraw_pending_for_provider(provider_id: int) -> int:
    """The provider leaves the hub (its last member erased their account): its pending proposals stop
    (superseded, logged) and their needs go back to matching. Returns how many were withdrawn."""
    count = 0
    for proposal in db.session.scalars(
        select(Proposal).where(Proposal.provider_id == provider_id, Proposal.status.in_((P.PROPOSED, P.APPROVED)))
    ):
        _move(proposal, None, P.SUPERSEDED, "provider_left")
        _back_to_matching(proposal.need)
        count += 1
    return count


def proposal_label(proposal: Proposal) -> str:
    """How staff messages name a proposal: its number, the need and the offer."""
    return _(
        "Proposition n° %(id)d « %(need)s » → « %(offer)s »",
        id=proposal.id,
        need=proposal.need.title,
        offer=proposal.offer.title,
    )


def bulk_reject(actor: User, proposals: list[Proposal], reason: str) -> int:
    """Refuse several proposals with one reason (the same rule as `reject`: a reason is required)."""
    if not (reason or "").strip():
        raise ServiceError(_("Indiquez la raison du refus des propositions sélectionnées."), field="reason")
    count = 0
    for proposal in proposals:
        if proposal.status == P.PROPOSED:
            reject(actor, proposal, reason)
            count += 1
    return count
