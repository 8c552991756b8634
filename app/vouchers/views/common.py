"""The vouchers blueprint and what its pages share: template globals, the funder link of the
navigation, the payment hook of programme funding, and the loaders of what a page shows."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from app.core.web import load_or_404
from app.ledger import Voucher, VoucherProgramme
from app.matches.models import Mission
from app.vouchers import funders, missions, services  # noqa: F401 - missions: its signal receivers connect on import
from app.vouchers.vocab import (
    FUNDER_KINDS,
    PAYMENT_PURPOSES,
    PAYMENT_STATUSES,
    PROGRAMME_STATUSES,
    REQUEST_STATUSES,
    VOUCHER_STATUSES,
)
from payments.checkout import register_success_hook

bp = Blueprint("vouchers", __name__)


@bp.record_once
def _payment_hooks(_state) -> None:
    register_success_hook(funders.FUNDING, funders.on_programme_funded)


@bp.record_once
def _template_globals(state) -> None:  # globals: the macros see them too
    state.app.jinja_env.globals.update(
        VOUCHER_STATUSES=VOUCHER_STATUSES,
        PROGRAMME_STATUSES=PROGRAMME_STATUSES,
        PAYMENT_STATUSES=PAYMENT_STATUSES,
        PAYMENT_PURPOSES=PAYMENT_PURPOSES,
        REQUEST_STATUSES=REQUEST_STATUSES,
        FUNDER_KINDS=FUNDER_KINDS,
    )


@bp.app_context_processor
def _nav():
    return {"is_funder": funders.is_funder_member(current_user)}


def programme_or_404(programme_id: int) -> VoucherProgramme:
    """A programme the current user manages; another funder's is not shown, nor confirmed to exist."""
    return load_or_404(VoucherProgramme, programme_id, where=lambda p: funders.can_manage_programme(current_user, p))


def voucher_or_404(voucher_id: int) -> Voucher:
    return load_or_404(Voucher, voucher_id, where=lambda v: services.can_see_voucher(current_user, v))


def org_mission_or_404(mission_id: int) -> Mission:
    """A mission of one of the current user's organisations."""
    return load_or_404(Mission, mission_id, where=lambda m: m.need.organisation_id in current_user.organisation_ids)
