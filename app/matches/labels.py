"""The words of a proposal's statuses: a proposal is feminine in French ("Refusée", "Acceptée"),
unlike the listings `_macros.status_badge` words ("Refusé" for an offer)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.matches.models import ProposalStatus as P

PROPOSAL_STATUSES = {
    P.PROPOSED: _l("Proposition en cours"),
    P.APPROVED: _l("Approuvée, envoyée"),
    P.REJECTED: _l("Refusée"),
    P.REPLACED: _l("Remplacée"),
    P.SUPERSEDED: _l("Remplacée par un nouveau calcul"),
    P.ACCEPTED: _l("Acceptée"),
    P.DECLINED: _l("Déclinée"),
    P.EXPIRED: _l("Expirée"),
}


def proposal_status(status: P) -> Markup:
    """A proposal's status badge (the markup of `_macros.status_badge`)."""
    status = P(status)
    return Markup('<span class="badge badge-{}">{}</span>').format(status.value, PROPOSAL_STATUSES[status])
