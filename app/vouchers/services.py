"""Vouchers for organisations: eligibility, requests (and hub staff's decisions), issued vouchers,
checking a code. The funders' side (funders, programmes and their funding, the dashboard) is in
`app.vouchers.funders`; vouchers in missions in `app.vouchers.missions`.

Money moves only through `payments` (issue, reserve, redeem, release, expiry): this module checks
who may do what, words the library's codes (`app.vouchers.messages`, `app.billing.messages`) as
refusals (`ServiceError`), and tells people by e-mail. Services take the acting user and plain
values, flush, never commit.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import User
from app.billing.messages import payment_message
from app.core.errors import Conflict, Forbidden, ServiceError
from app.core.mail import send_mail
from app.core.models import utcnow
from app.core.urls import absolute_url
from app.directory.models import Organisation
from app.extensions import db
from app.ledger import Voucher, VoucherProgramme
from app.vouchers.funders import (  # noqa: F401 - re-exported: the CLI, the demo, core.access and tests import them here
    PARIS,
    add_funder_member,
    create_funder,
    create_programme,
    euros,
    is_funder_member,
    programme_settings,
)
from app.vouchers.messages import eligibility_messages
from app.vouchers.models import RequestStatus, VoucherRequest
from payments import rules
from payments import vouchers as pv
from payments.codes import PaymentFailure, ProgrammeStatus
from payments.errors import (
    InsufficientProgrammeFunds,
    InvalidVoucherCode,
    NotEligible,
    ProgrammeError,
    ProgrammeNotFunded,
    VoucherNotFound,
)

log = logging.getLogger(__name__)

# ------------------------------------------------------------------ eligibility and vouchers


def organisation_facts(org: Organisation) -> rules.OrganisationFacts:
    return rules.OrganisationFacts(
        id=org.id,
        kind=org.kind,
        commune_insee=org.commune_insee,
        departement=org.commune.dep_code if org.commune else None,
        siret=org.siret,
    )


def _pending(programme, org: Organisation) -> int:
    """The organisation's requests for the programme that wait for hub staff (counted as held)."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(VoucherRequest)
            .where(
                VoucherRequest.programme_id == programme.id,
                VoucherRequest.organisation_id == org.id,
                VoucherRequest.status == RequestStatus.PENDING,
            )
        )
    )


def eligibility_problems(programme, org: Organisation, *, requested: int = 1) -> list[str]:
    """Why ``org`` may not have ``requested`` more vouchers of ``programme`` (French; empty: it
    may), judged by the library (`payments.vouchers.eligibility_refusals`, the one place). Its
    pending requests count as held (``requested=0`` to judge a pending request)."""
    refusals = pv.eligibility_refusals(
        db.session, programme, organisation_facts(org), requested=requested, pending=_pending(programme, org)
    )
    return eligibility_messages(refusals)


def open_programmes(now: datetime | None = None) -> list:
    now = now or utcnow()
    query = (
        select(VoucherProgramme)
        .where(VoucherProgramme.status == ProgrammeStatus.FUNDED.value)
        .where((VoucherProgramme.valid_until.is_(None)) | (VoucherProgramme.valid_until > now))
        .order_by(VoucherProgramme.name)
    )
    return list(db.session.scalars(query))


def _refusal(error: Exception) -> ServiceError:
    if isinstance(error, NotEligible):
        return ServiceError(" ".join(eligibility_messages(error.reasons)))
    if isinstance(error, (ProgrammeNotFunded, InsufficientProgrammeFunds)):
        return ServiceError(payment_message(error.code))
    return ServiceError(_("Ce programme n'a plus de chèque disponible."))


def _notify_holder(voucher, org: Organisation) -> None:
    recipients = {m.user.email for m in org.memberships}
    if org.contact_email:
        recipients.add(org.contact_email)
    programme = db.session.get(VoucherProgramme, voucher.programme_id)
    for email in sorted(recipients):
        send_mail(
            email,
            _("Votre chèque d'accompagnement numérique — Hub du Sud"),
            _(
                "Bonjour,\n\nUn chèque « %(programme)s » de %(value)s est émis pour %(org)s : %(code)s, "
                "valable jusqu'au %(until)s.\nIl sera réservé automatiquement quand un prestataire acceptera "
                "un besoin financé par chèque. Le chèque et sa version imprimable : %(url)s",
                programme=programme.name,
                value=euros(voucher.face_value_cents),
                org=org.name,
                code=voucher.code,
                until=rules.utc(voucher.expires_at).astimezone(PARIS).strftime("%d/%m/%Y"),
                url=absolute_url("vouchers.voucher_detail", voucher_id=voucher.id),
            ),
        )


def _issue(programme, org: Organisation, now: datetime | None = None):
    try:
        voucher = pv.issue_vouchers(
            db.session, programme, organisation_facts(org), 1, now=now, pending=_pending(programme, org)
        )[0]
    except ProgrammeError as error:
        raise _refusal(error) from None
    _notify_holder(voucher, org)
    return voucher


def request_voucher(actor: User, programme, org: Organisation, now: datetime | None = None):
    """An organisation member asks for a voucher: issued now within the rules, or a
    request for hub staff when the programme wants an approval. Returns the voucher
    or the request."""
    if org.id not in actor.organisation_ids:
        raise Forbidden(_("Vous n'êtes pas membre de cette structure."))
    if programme.status != ProgrammeStatus.FUNDED:
        raise ServiceError(payment_message(PaymentFailure.PROGRAMME_NOT_FUNDED))
    if programme_settings(programme).requires_approval:
        problems = eligibility_problems(programme, org)  # issuing judges it itself (`_issue`)
        if problems:
            raise ServiceError(" ".join(problems))
        if (
            db.session.scalar(
                select(VoucherRequest.id).where(
                    VoucherRequest.programme_id == programme.id,
                    VoucherRequest.organisation_id == org.id,
                    VoucherRequest.status == RequestStatus.PENDING,
                )
            )
            is not None
        ):
            raise Conflict(_("Une demande de cette structure attend déjà la validation de l'équipe du Hub."))
        request = VoucherRequest(
            programme_id=programme.id, organisation_id=org.id, requested_by_id=actor.id, status=RequestStatus.PENDING
        )
        db.session.add(request)
        db.session.flush()
        return request
    return _issue(programme, org, now=now)


def pending_requests() -> list[VoucherRequest]:
    return list(
        db.session.scalars(
            select(VoucherRequest).where(VoucherRequest.status == RequestStatus.PENDING).order_by(VoucherRequest.id)
        )
    )


def decide_request(actor: User, request: VoucherRequest, approve: bool, reason: str | None = None):
    """Hub staff approve (the voucher is issued, within the rules) or refuse with a reason."""
    if not actor.is_staff:
        raise Forbidden(_("Seule l'équipe du Hub valide les demandes de chèques."))
    if request.status != RequestStatus.PENDING:
        raise Conflict(_("Cette demande a déjà été traitée."))
    reason = (reason or "").strip()
    org = db.session.get(Organisation, request.organisation_id)
    programme = db.session.get(VoucherProgramme, request.programme_id)
    request.decided_by_id, request.decided_at = actor.id, utcnow()
    if not approve:
        if not reason:
            raise ServiceError(_("Indiquez la raison du refus."), field="reason")
        request.status, request.reason = RequestStatus.REJECTED, reason
        requester = request.requested_by
        if requester is not None:
            send_mail(
                requester.email,
                _("Votre demande de chèque — Hub du Sud"),
                _(
                    "Bonjour,\n\nVotre demande de chèque « %(programme)s » pour %(org)s n'a pas été retenue : "
                    "%(reason)s",
                    programme=programme.name,
                    org=org.name,
                    reason=reason,
                ),
            )
        db.session.flush()
        return None
    request.status = RequestStatus.APPROVED  # counted as held no more: the voucher takes its place
    db.session.flush()
    voucher = _issue(programme, org)
    request.voucher_id = voucher.id
    db.session.flush()
    return voucher


def can_see_voucher(user, voucher) -> bool:
    return user.is_authenticated and (user.is_staff or voucher.organisation_id in user.organisation_ids)


def vouchers_of(user) -> list:
    if not user.organisation_ids:
        return []
    return list(
        db.session.scalars(
            select(Voucher)
            .where(Voucher.organisation_id.in_(user.organisation_ids))
            .order_by(Voucher.issued_at.desc(), Voucher.id.desc())
        )
    )


def requests_of(user) -> list[VoucherRequest]:
    if not user.organisation_ids:
        return []
    return list(
        db.session.scalars(
            select(VoucherRequest)
            .where(
                VoucherRequest.organisation_id.in_(user.organisation_ids),
                VoucherRequest.status != RequestStatus.APPROVED,
            )
            .order_by(VoucherRequest.id.desc())
        )
    )


def check_code(raw: str) -> tuple[object | None, str | None]:
    """A typed or scanned code: ``(voucher, None)`` or ``(None, French reason)``."""
    try:
        return pv.find_by_code(db.session, raw or ""), None
    except (InvalidVoucherCode, VoucherNotFound) as error:
        return None, payment_message(error.code)
