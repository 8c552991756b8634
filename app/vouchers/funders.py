"""Funders and their programmes: who acts for a funder, creating a programme, paying it by card
(`app.billing.card`), the dashboard, and the e-mail once it is funded. Services take the acting
user and plain values, flush, never commit (see `app.vouchers.services` for the organisations'
side: eligibility, requests, vouchers)."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import User
from app.accounts.services import get_user_by_email
from app.billing import card
from app.billing.messages import payment_state
from app.core import text as core_text
from app.core.errors import Conflict, Forbidden, NotFound, ServiceError
from app.core.mail import send_mail
from app.core.models import utcnow
from app.core.urls import absolute_url
from app.directory.models import Organisation
from app.directory.vocab import ORGANISATION_KINDS
from app.extensions import db
from app.ledger import Payment, Voucher, VoucherProgramme, payments_models
from app.territory.models import Commune
from app.vouchers.models import Funder, FunderMember, ProgrammeSettings
from app.vouchers.vocab import FUNDER_KINDS
from payments import rules
from payments import vouchers as pv
from payments.codes import ProgrammeStatus, VoucherStatus
from payments.models import models_for

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
STATUSES = tuple(status.value for status in VoucherStatus)

FUNDING = "programme_funding"  # the payments' purpose of a programme's funding


def euros(cents: int) -> str:
    return core_text.euros(cents)  # one money format everywhere ("10 000 €" with no-break spaces)


# ------------------------------------------------------------------ funders


def funder_ids(user) -> set[int]:
    if user is None or not getattr(user, "is_authenticated", False) or user.id is None:
        return set()
    return set(db.session.scalars(select(FunderMember.funder_id).where(FunderMember.user_id == user.id)))


def is_funder_member(user) -> bool:
    return bool(funder_ids(user))


def funders_of(user) -> list[Funder]:
    """The funders a user acts for (hub staff: all of them)."""
    query = select(Funder).order_by(Funder.name)
    if not user.is_staff:
        query = query.where(Funder.id.in_(funder_ids(user) or [-1]))
    return list(db.session.scalars(query))


def can_manage_funder(user, funder: Funder) -> bool:
    return user.is_authenticated and (user.is_staff or funder.id in funder_ids(user))


def _require_staff(actor: User) -> None:
    if not actor.is_staff:
        raise Forbidden(_("Seule l'équipe du Hub gère les financeurs."))


def create_funder(actor: User, values: dict) -> Funder:
    _require_staff(actor)
    name = (values.get("name") or "").strip()
    if not name:
        raise ServiceError(_("Indiquez le nom du financeur."), field="name")
    if values.get("kind") not in FUNDER_KINDS:
        raise ServiceError(_("Type de financeur inconnu."), field="kind")
    funder = Funder(
        name=name[:200],
        kind=values["kind"],
        dep_code=values.get("dep_code") or None,
        contact_email=(values.get("contact_email") or "").strip()[:320],
    )
    db.session.add(funder)
    db.session.flush()
    return funder


def existing_account(email: str | None) -> User:
    """The account a funder's member must already have (the staff attach it; nobody is invited)."""
    user = get_user_by_email(email or "")
    if user is None:
        raise ServiceError(_("Aucun compte avec cette adresse : la personne doit d'abord s'inscrire."), field="email")
    return user


def add_funder_member(actor: User | None, funder: Funder, email: str, *, system: bool = False) -> FunderMember:
    """Attach an existing account to a funder (hub staff, or the CLI with ``system=True``)."""
    if not system:
        _require_staff(actor)
    user = existing_account(email)
    if (
        db.session.scalar(
            select(FunderMember.id).where(FunderMember.funder_id == funder.id, FunderMember.user_id == user.id)
        )
        is not None
    ):
        raise Conflict(_("Ce compte est déjà membre de ce financeur."), field="email")
    member = FunderMember(funder=funder, user=user)
    db.session.add(member)
    db.session.flush()
    send_mail(
        user.email,
        _("Vous représentez %(funder)s sur le Hub du Sud", funder=funder.name),
        _(
            "Bonjour %(name)s,\n\nVotre compte est rattaché au financeur « %(funder)s ». Créez et financez vos "
            "programmes de chèques d'accompagnement numérique ici : %(url)s",
            name=user.full_name,
            funder=funder.name,
            url=absolute_url("vouchers.funder_dashboard"),
        ),
    )
    return member


# ------------------------------------------------------------------ programmes


def programme_settings(programme) -> ProgrammeSettings:
    settings = db.session.get(ProgrammeSettings, programme.id)
    return (
        settings
        if settings is not None
        else ProgrammeSettings(programme_id=programme.id, description="", requires_approval=False)
    )


def can_manage_programme(user, programme) -> bool:
    return user.is_authenticated and (user.is_staff or programme.funder_id in funder_ids(user))


def programmes_of(user, funder: Funder | None = None) -> list:
    query = select(VoucherProgramme).order_by(VoucherProgramme.created_at.desc(), VoucherProgramme.id.desc())
    if funder is not None:
        query = query.where(VoucherProgramme.funder_id == funder.id)
    if not user.is_staff:
        query = query.where(VoucherProgramme.funder_id.in_(funder_ids(user) or [-1]))
    return list(db.session.scalars(query))


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=PARIS)


def check_programme_money(values: dict) -> None:
    face = values.get("face_value_cents")
    if not isinstance(face, int) or not 100 <= face <= 1_000_000:
        raise ServiceError(_("La valeur d'un chèque va de 1 à 10 000 €."), field="face_value")
    count, budget = values.get("voucher_count"), values.get("budget_cents")
    if count is None and budget is None:
        raise ServiceError(_("Indiquez le nombre de chèques ou le budget."), field="voucher_count")
    if count is not None and (not isinstance(count, int) or not 1 <= count <= 100_000):
        raise ServiceError(_("Entre 1 et 100 000 chèques."), field="voucher_count")
    if budget is not None and (not isinstance(budget, int) or not face <= budget <= 500_000_000):
        raise ServiceError(_("Le budget doit couvrir au moins un chèque, et au plus 5 000 000 €."), field="budget")
    if count is not None and budget is not None and count * face != budget:
        raise ServiceError(
            _(
                "Le budget doit être égal au nombre de chèques multiplié par leur valeur "
                "(ou laissez l'un des deux vide)."
            ),
            field="budget",
        )
    if count is not None and count * face > 500_000_000:
        raise ServiceError(_("Un programme ne dépasse pas 5 000 000 €."), field="voucher_count")


def check_programme_validity(values: dict) -> None:
    validity = values.get("validity_days") or 365
    if not isinstance(validity, int) or not 30 <= validity <= 730:
        raise ServiceError(_("Entre 30 et 730 jours."), field="validity_days")


def check_programme_dates(values: dict, today: date | None = None) -> None:
    today = today or utcnow().astimezone(PARIS).date()
    valid_from, valid_until = values.get("valid_from"), values.get("valid_until")
    if valid_until is not None:
        if valid_until <= today:
            raise ServiceError(_("La date de fin doit être dans le futur."), field="valid_until")
        if valid_from is not None and valid_until <= valid_from:
            raise ServiceError(_("La date de fin doit suivre la date de début."), field="valid_until")
        start = max(valid_from or today, today)
        if valid_until - start <= timedelta(days=rules.BLOCK_DAYS_BEFORE_EXPIRY):
            raise ServiceError(
                _(
                    "Le programme doit durer plus de %(days)d jours : les chèques sont bloqués "
                    "%(days)d jours avant leur expiration.",
                    days=rules.BLOCK_DAYS_BEFORE_EXPIRY,
                ),
                field="valid_until",
            )


def _communes(values: dict) -> list[str]:
    return sorted({str(c).strip() for c in values.get("communes") or [] if str(c).strip()})


def check_programme_eligibility(values: dict) -> None:
    kinds = list(values.get("organisation_kinds") or [])
    if any(kind not in ORGANISATION_KINDS for kind in kinds):
        raise ServiceError(_("Type de structure inconnu."), field="organisation_kinds")
    departements = [str(d) for d in values.get("departements") or []]
    if any(not (len(d) in (2, 3) and d[:2].isalnum()) for d in departements):
        raise ServiceError(_("Département inconnu."), field="departements")
    communes = _communes(values)
    if len(communes) > 300:
        raise ServiceError(_("300 communes au plus : choisissez plutôt des départements."), field="communes")
    if communes:
        known = set(db.session.scalars(select(Commune.insee).where(Commune.insee.in_(communes))))
        unknown = [c for c in communes if c not in known]
        if unknown:
            raise ServiceError(_("Codes INSEE inconnus : %(codes)s", codes=", ".join(unknown[:10])), field="communes")
    max_per = values.get("max_per_organisation")
    if max_per is not None and (not isinstance(max_per, int) or not 1 <= max_per <= 1000):
        raise ServiceError(_("Entre 1 et 1 000."), field="max_per_organisation")


def _check_programme_values(values: dict, today: date) -> dict:
    """The programme's rules (the programme form runs each at once too: one pass), then its normalised values."""
    check_programme_money(values)
    check_programme_validity(values)
    check_programme_dates(values, today)
    check_programme_eligibility(values)
    return {
        "face": values["face_value_cents"],
        "count": values.get("voucher_count"),
        "budget": values.get("budget_cents"),
        "validity": values.get("validity_days") or 365,
        "eligibility": rules.Eligibility(
            organisation_kinds=list(values.get("organisation_kinds") or []),
            departements=[str(d) for d in values.get("departements") or []],
            communes=_communes(values),
            max_per_organisation=values.get("max_per_organisation"),
            require_siret=bool(values.get("require_siret", True)),
        ),
    }


def create_programme(actor: User, funder: Funder, values: dict, today: date | None = None):
    """A draft programme of ``funder``; usable once paid (see `pay_programme`)."""
    if not can_manage_funder(actor, funder):
        raise Forbidden(_("Vous ne représentez pas ce financeur."))
    name = (values.get("name") or "").strip()
    if not name:
        raise ServiceError(_("Indiquez le nom du programme."), field="name")
    today = today or utcnow().astimezone(PARIS).date()
    checked = _check_programme_values(values, today)
    valid_from, valid_until = values.get("valid_from"), values.get("valid_until")
    programme = pv.create_programme(
        db.session,
        funder_id=funder.id,
        name=name[:200],
        face_value_cents=checked["face"],
        voucher_count=checked["count"],
        budget_cents=checked["budget"] if checked["count"] is None else None,
        validity_days=checked["validity"],
        valid_from=_start_of_day(valid_from) if valid_from else None,
        valid_until=_start_of_day(valid_until + timedelta(days=1)) if valid_until else None,
        eligibility=checked["eligibility"],
    )
    db.session.add(
        ProgrammeSettings(
            programme_id=programme.id,
            description=values.get("description") or "",
            requires_approval=bool(values.get("requires_approval")),
            created_by_id=actor.id,
        )
    )
    db.session.flush()
    return programme


# ------------------------------------------------------------------ paying a programme (card first)


def programme_payments(programme) -> list:
    return list(
        db.session.scalars(
            select(Payment).where(Payment.reference == f"programme:{programme.id}").order_by(Payment.id.desc())
        )
    )


def needs_payment(programme) -> bool:
    return programme.status in (ProgrammeStatus.DRAFT, ProgrammeStatus.AWAITING_PAYMENT)


def _customer(gateway, funder: Funder, *, fresh: bool = False) -> str:
    """The funder's Stripe customer, created once (``fresh``: a new one, Stripe lost the old)."""
    if funder.stripe_customer_id and not fresh:
        return funder.stripe_customer_id
    customer = gateway.create_customer(
        email=funder.contact_email or None, name=funder.name, metadata={"hub_funder": str(funder.id)}
    )
    funder.stripe_customer_id = customer.id
    db.session.flush()
    return customer.id


def start_card_setup(actor: User, programme, gateway):
    """The payment page: a SetupIntent on which Stripe.js saves the funder's card
    (``confirmCardSetup``); the page then posts the card's PaymentMethod to `pay_programme`."""
    if not can_manage_programme(actor, programme):
        raise NotFound(_("Programme introuvable."))
    if not needs_payment(programme):
        raise Conflict(_("Ce programme est déjà payé."))
    funder = db.session.get(Funder, programme.funder_id)
    return card.setup_card(
        gateway,
        metadata={"hub_reference": f"programme:{programme.id}"},
        customer=lambda fresh: _customer(gateway, funder, fresh=fresh),
    )


def pay_programme(actor: User, programme, payment_method: str, gateway):
    """The server confirms the PaymentIntent with the card saved on the SetupIntent, once per
    programme whatever the number of clicks (`app.billing.card`). Returns a `CardResult`:
    ``info.succeeded`` (funded now), ``info.requires_action`` (3-D Secure: the page calls
    ``confirmCardPayment``, the webhook settles) or ``info.failed`` (``info.message_code``,
    nothing recorded as paid)."""
    if not can_manage_programme(actor, programme):
        raise NotFound(_("Programme introuvable."))
    funder = db.session.get(Funder, programme.funder_id)

    def charge() -> card.Charge:
        db.session.refresh(programme)  # under the lock: a click that waited sees the programme paid
        if not needs_payment(programme):
            raise Conflict(_("Ce programme est déjà payé."))
        amount = programme.budget_cents
        return card.Charge(
            amount_cents=amount,
            currency=programme.currency,
            settlement=rules.programme_funding_settlement(programme.id, amount),
            reference=f"programme:{programme.id}",
        )

    result = card.pay_by_card(
        gateway,
        purpose=FUNDING,
        buyer_ref=f"funder:{programme.funder_id}",
        item_ref=f"programme:{programme.id}",
        payment_method=payment_method,
        charge=charge,
        customer=lambda fresh: _customer(gateway, funder, fresh=fresh),
        busy_message=_("Un paiement est déjà en cours pour ce programme : attendez sa confirmation."),
    )
    if programme.status == ProgrammeStatus.DRAFT:
        programme.status = ProgrammeStatus.AWAITING_PAYMENT.value
        db.session.flush()
    return result


def funding_state(programme) -> dict:
    """What the payment page polls while the webhook is on its way."""
    funded = programme.status == ProgrammeStatus.FUNDED
    return {
        "programme": programme.status,
        "funded": funded,
        "done": funded,
        **payment_state(programme_payments(programme)),
    }


# ------------------------------------------------------------------ dashboard


def dashboard(programmes: list) -> dict:
    """Funded, issued, reserved, redeemed, blocked, expired and still available, in total,
    per programme and per département of the holders."""
    per_programme = []
    totals = {"funded_cents": 0, "available_cents": 0, **{s: {"count": 0, "cents": 0} for s in STATUSES}}
    for programme in programmes:
        figures = pv.programme_figures(db.session, programme)
        per_programme.append((programme, figures))
        totals["funded_cents"] += figures["funded_cents"]
        totals["available_cents"] += figures["available_cents"]
        for status in STATUSES:
            totals[status]["count"] += figures["vouchers"][status]["count"]
            totals[status]["cents"] += figures["vouchers"][status]["cents"]
    territories: dict[str, dict] = {}
    ids = [p.id for p in programmes]
    if ids:
        rows = db.session.execute(
            select(Commune.dep_code, Commune.dep_name, Voucher.status, func.count(), func.sum(Voucher.face_value_cents))
            .join(Organisation, Organisation.id == Voucher.organisation_id)
            .join(Commune, Commune.insee == Organisation.commune_insee)
            .where(Voucher.programme_id.in_(ids))
            .group_by(Commune.dep_code, Commune.dep_name, Voucher.status)
        ).all()
        for dep_code, dep_name, status, count, cents in rows:
            entry = territories.setdefault(
                dep_code,
                {
                    "code": dep_code,
                    "name": dep_name,
                    "total_cents": 0,
                    **{s: {"count": 0, "cents": 0} for s in STATUSES},
                },
            )
            entry[status] = {"count": int(count), "cents": int(cents or 0)}
            entry["total_cents"] += int(cents or 0)
    return {
        "programmes": per_programme,
        "totals": totals,
        "territories": sorted(territories.values(), key=lambda t: t["code"]),
    }


# ------------------------------------------------------------------ payment hooks


def on_programme_funded(session, payment) -> None:
    """`payments.checkout` success hook of ``programme_funding`` (called once per payment,
    in the transaction that settles it): the funder's members are told by e-mail."""
    if models_for(session) is not payments_models or not payment.reference:
        return  # another binding (the payments package's own tests)
    programme = session.get(VoucherProgramme, int(payment.reference.split(":")[1]))
    funder = session.get(Funder, programme.funder_id) if programme is not None else None
    if funder is None:
        return
    recipients = {m.user.email for m in funder.members}
    if funder.contact_email:
        recipients.add(funder.contact_email)
    for email in sorted(recipients):
        send_mail(
            email,
            _("Paiement reçu : « %(name)s » est actif — Hub du Sud", name=programme.name),
            _(
                "Bonjour,\n\nNous avons reçu le paiement de %(amount)s pour le programme « %(name)s ». "
                "Les structures éligibles peuvent maintenant recevoir leurs chèques.\nSuivi du programme : %(url)s",
                amount=euros(payment.amount_cents),
                name=programme.name,
                url=absolute_url("vouchers.programme_detail", programme_id=programme.id),
            ),
        )
