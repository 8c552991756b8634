"""Missions: born from an accepted proposal, started, confirmed by both sides, cancelled;
feedback once done; what each side sees. Reactions (vouchers reserved, redeemed, released) go
through the signals of `app.core.signals`. Services flush, never commit."""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.accounts.dashboard import register_dashboard_part
from app.accounts.models import User
from app.core.errors import Forbidden, ServiceError
from app.core.models import utcnow
from app.core.signals import mission_cancelled, mission_done
from app.core.states import StateMachine
from app.extensions import db
from app.matches.models import Feedback, Mission, Proposal
from app.matches.models import MissionStatus as MS
from app.matches.models import ProposalStatus as P
from app.matches.services import _back_to_matching, _break_pair, _log, active_missions, pair_complete
from app.needs.models import Need
from app.needs.models import NeedStatus as NS
from app.needs.services import move_need

log = logging.getLogger(__name__)

MISSION_STATES = StateMachine(
    "mission",
    {
        MS.PLANNED: frozenset({MS.IN_PROGRESS, MS.CANCELLED}),
        MS.IN_PROGRESS: frozenset({MS.DONE, MS.CANCELLED}),
    },
)
# ------------------------------------------------------------------ missions


def mission_side(user: User, mission: Mission) -> str | None:
    """'organisation', 'provider', or None (hub staff act as neither side)."""
    if mission.need.organisation_id in user.organisation_ids:
        return "organisation"
    if mission.provider_id in user.provider_ids:
        return "provider"
    return None


def can_see_mission(user: User, mission: Mission) -> bool:
    return user.is_authenticated and (user.is_staff or mission_side(user, mission) is not None)


def _move_mission(mission: Mission, target: MS) -> None:
    MISSION_STATES.check(mission.status, target)
    mission.status = target


def start_mission(actor: User, mission: Mission) -> None:
    if mission_side(actor, mission) is None and not actor.is_staff:
        raise Forbidden(_("Vous ne participez pas à cette mission."))
    if not pair_complete(mission.proposal):
        raise ServiceError(
            _("Cette mission se fait à deux experts : elle commence quand l'autre expert a accepté la sienne.")
        )
    _move_mission(mission, MS.IN_PROGRESS)
    mission.started_at = utcnow()
    if mission.need.status != NS.IN_PROGRESS:  # the other expert of a pair may have started first
        move_need(None, mission.need, NS.IN_PROGRESS, system=True)


def confirm_completion(actor: User, mission: Mission) -> None:
    """Each side confirms; the mission is done when both have."""
    side = mission_side(actor, mission)
    if side is None:
        raise Forbidden(_("Seules la structure et le prestataire confirment la réalisation."))
    if mission.status == MS.PLANNED:
        start_mission(actor, mission)
    if mission.status != MS.IN_PROGRESS:
        raise ServiceError(_("Cette mission n'est pas en cours."))
    now = utcnow()
    if side == "organisation":
        mission.organisation_confirmed_at = mission.organisation_confirmed_at or now
    else:
        mission.provider_confirmed_at = mission.provider_confirmed_at or now
    if mission.organisation_confirmed_at and mission.provider_confirmed_at:
        _move_mission(mission, MS.DONE)
        mission.done_at = now
        mission_done.send(mission)  # reserved vouchers are redeemed for the provider
        if not active_missions(mission.need_id, but=mission):  # a pair: done when both missions are
            move_need(None, mission.need, NS.DONE, system=True)


def cancel_mission(actor: User, mission: Mission, reason: str) -> None:
    if mission_side(actor, mission) is None and not actor.is_staff:
        raise Forbidden(_("Vous ne participez pas à cette mission."))
    if not (reason or "").strip():
        raise ServiceError(_("Indiquez la raison de l'annulation."), field="reason")
    _move_mission(mission, MS.CANCELLED)
    mission.cancelled_at, mission.cancel_reason = utcnow(), reason.strip()
    mission_cancelled.send(mission)  # reserved vouchers go back to the organisation
    _log(
        mission.proposal,
        actor,
        "mission_cancelled",
        mission.proposal.status,
        mission.proposal.status,
        reason=reason.strip(),
    )
    _break_pair(mission.proposal, missions_too=False)  # a pair not yet complete: the other's proposal stops
    _back_to_matching(mission.need)


def give_feedback(actor: User, mission: Mission, rating: int, comment: str = "") -> Feedback:
    side = mission_side(actor, mission)
    if side is None:
        raise Forbidden(_("Seules la structure et le prestataire donnent leur avis."))
    db.session.flush()  # the refresh below re-reads the row: changes not yet written would be lost
    db.session.refresh(mission, with_for_update=True)  # two feedbacks at once: the second waits, then sees the first
    if mission.status != MS.DONE:
        raise ServiceError(_("L'avis se donne une fois la mission réalisée."))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ServiceError(_("La note va de 1 à 5."), field="rating")
    if db.session.scalar(select(Feedback.id).where(Feedback.mission_id == mission.id, Feedback.side == side)):
        raise ServiceError(_("Vous avez déjà donné votre avis sur cette mission."))
    feedback = Feedback(mission=mission, side=side, author_id=actor.id, rating=rating, comment=(comment or "").strip())
    db.session.add(feedback)
    db.session.flush()
    return feedback


def proposals_for_provider(user: User) -> list[Proposal]:
    if not user.provider_ids:
        return []
    return list(
        db.session.scalars(
            select(Proposal)
            .where(Proposal.provider_id.in_(user.provider_ids), Proposal.status == P.APPROVED)
            .order_by(Proposal.deadline_at)
        )
    )


def missions_for(user: User) -> list[Mission]:
    conditions = []
    if user.provider_ids:
        conditions.append(Mission.provider_id.in_(user.provider_ids))
    if user.organisation_ids:
        conditions.append(Mission.need_id.in_(select(Need.id).where(Need.organisation_id.in_(user.organisation_ids))))
    if not conditions:
        return []
    return list(db.session.scalars(select(Mission).where(or_(*conditions)).order_by(Mission.created_at.desc())))


# The user's space shows the proposals waiting for their answer and their missions.
register_dashboard_part(
    "matches", lambda user: {"pending": proposals_for_provider(user), "missions": missions_for(user)}
)
