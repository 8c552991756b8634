"""The front page (`/`) and the role-aware next steps of a person's space.

Above the domains, it shows what they publish (today the directory's offers), and it knows what each
kind of person comes to do: an organisation describes its need and gets a voucher, a provider
publishes an offer and answers proposals, a funder funds a programme, a producer publishes resources.
`next_steps(user)` puts first what the person said they came for (`User.intent`), then what their
memberships make them; it is registered as a part of the space (`/espace`, app/accounts/dashboard.py)
and heads the front page of a signed-in person.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.accounts.dashboard import register_dashboard_part
from app.accounts.models import Intent, User
from app.core.access import Access, access
from app.core.models import PublicationStatus as PS
from app.directory.models import Offer, Provider
from app.directory.services import published_offers_query, with_provider_and_commune
from app.extensions import db
from app.library.services.rights import user_producers
from app.matches.missions import proposals_for_provider
from app.needs.models import NeedStatus as NS
from app.needs.services import needs_of
from app.vouchers import funders as voucher_funders
from app.vouchers import services as vouchers
from payments.codes import ProgrammeStatus

bp = Blueprint("home", __name__)

#: A need in one of these states is still alive: its organisation has described a need.
LIVE_NEEDS = (NS.DRAFT, NS.OPEN, NS.PROPOSED, NS.MATCHED, NS.IN_PROGRESS)


@dataclass(frozen=True)
class Step:
    """One useful next action: a button (`label` → `url`) and one sentence saying why."""

    role: str  # an `Intent` value, or "staff"
    label: str
    url: str
    text: str = ""


def _organisation_step(user: User) -> Step:
    role = Intent.ORGANISATION.value
    organisations = [m.organisation for m in user.memberships if m.organisation_id]
    if not organisations:
        return Step(
            role,
            _("Décrire mon besoin"),
            url_for("directory.organisation_new"),
            _(
                "Présentez d'abord votre structure en une minute ; la boussole vous aide ensuite à décrire votre besoin."
            ),
        )
    if not any(need.status in LIVE_NEEDS for need in needs_of(user)):
        return Step(
            role,
            _("Décrire mon besoin"),
            url_for("needs.boussole_step"),
            _("La boussole vous pose quelques questions et rédige votre besoin avec vous."),
        )
    for programme in vouchers.open_programmes():
        if any(not vouchers.eligibility_problems(programme, org) for org in organisations):
            return Step(
                role,
                _("Demander un chèque numérique"),
                url_for("vouchers.my_vouchers"),
                _("« %(name)s » finance l'accompagnement de votre structure.", name=programme.name),
            )
    return Step(
        role,
        _("Décrire un nouveau besoin"),
        url_for("needs.boussole_step"),
        _("Vos besoins en cours sont listés plus bas ; la boussole vous aide à en décrire un autre."),
    )


def _provider_step(user: User) -> Step:
    role = Intent.PROVIDER.value
    providers = [m.provider for m in user.memberships if m.provider_id]
    if not providers:
        return Step(
            role,
            _("Créer ma fiche prestataire"),
            url_for("directory.provider_new"),
            _("Présentez-vous, puis publiez vos offres d'accompagnement."),
        )
    if proposals_for_provider(user):
        return Step(
            role,
            _("Répondre aux propositions"),
            url_for("matches.provider_proposals"),
            _("Des structures attendent votre réponse."),
        )
    provider = providers[0]
    return Step(
        role,
        _("Publier une offre"),
        url_for("directory.offer_new", provider_id=provider.id),
        _("Une offre publiée peut être proposée aux structures qui en ont besoin.")
        if not provider.offers
        else _("Ajoutez une offre à celles de %(name)s.", name=provider.name),
    )


def _funder_step(user: User) -> Step:
    role = Intent.FUNDER.value
    if not voucher_funders.is_funder_member(user):
        return Step(
            role,
            _("Demander à représenter un financeur"),
            url_for("accounts.dashboard") + "#financer",
            _("Les financeurs sont rattachés par l'équipe du Hub : dites-lui qui vous représentez."),
        )
    programmes = voucher_funders.programmes_of(user)
    unpaid = [p for p in programmes if voucher_funders.needs_payment(p)]
    if unpaid:
        return Step(
            role,
            _("Payer le programme « %(name)s »", name=unpaid[0].name),
            url_for("vouchers.programme_pay", programme_id=unpaid[0].id),
            _("Les chèques sont émis dès que le programme est payé."),
        )
    if not any(p.status == ProgrammeStatus.FUNDED for p in programmes):
        return Step(
            role,
            _("Créer un programme"),
            url_for("vouchers.programme_new"),
            _("Un programme finance des chèques d'accompagnement numérique pour les structures que vous choisissez."),
        )
    return Step(
        role,
        _("Suivre mes programmes"),
        url_for("vouchers.funder_dashboard"),
        _("Chèques émis, utilisés, disponibles, par territoire."),
    )


def _producer_step(user: User) -> Step:
    role = Intent.PRODUCER.value
    producers = user_producers(user)
    if not producers:
        return Step(
            role,
            _("Créer mon espace producteur"),
            url_for("library.producer_new"),
            _("Votre espace producteur publie vos ressources et vend leurs licences d'usage."),
        )
    return Step(
        role,
        _("Ouvrir mon espace producteur"),
        url_for("library.producer_space", producer_id=producers[0].id),
        _("Publiez une ressource, suivez vos ventes de licences."),
    )


STEPS = {
    Intent.ORGANISATION.value: _organisation_step,
    Intent.PROVIDER.value: _provider_step,
    Intent.FUNDER.value: _funder_step,
    Intent.PRODUCER.value: _producer_step,
}


def roles_of(user: User) -> list[str]:
    """What the person comes for first (their intent), then the roles their memberships give them."""
    held = []
    if user.has_organisation:
        held.append(Intent.ORGANISATION.value)
    if user.has_provider:
        held.append(Intent.PROVIDER.value)
    if voucher_funders.is_funder_member(user):
        held.append(Intent.FUNDER.value)
    if user_producers(user):
        held.append(Intent.PRODUCER.value)
    intent = user.intent if user.intent in STEPS else Intent.ORGANISATION.value
    return [intent, *(role for role in held if role != intent)]


def next_steps(user: User) -> list[Step]:
    """The person's useful next actions, the first one first: hub staff's queue, then one per role."""
    steps = []
    if user.is_staff:
        steps.append(
            Step(
                "staff",
                _("Ouvrir la file de modération"),
                url_for("staff.queue"),
                _("Fiches, offres et modifications qui attendent l'équipe."),
            )
        )
    steps.extend(STEPS[role](user) for role in roles_of(user))
    return steps


def _space(user: User) -> dict:
    return {
        "next_steps": next_steps(user),
        "roles": roles_of(user),
        "producers": user_producers(user),
        "funders": voucher_funders.funders_of(user) if voucher_funders.is_funder_member(user) else [],
    }


register_dashboard_part("home", _space)  # the space shows the person's next steps first


@bp.get("/")
@access(Access.PUBLIC)
def index():
    offers = list(
        db.session.scalars(
            with_provider_and_commune(published_offers_query()).order_by(Offer.published_at.desc()).limit(6)
        )
    )
    counts = {
        "offers": db.session.scalar(select(func.count()).select_from(published_offers_query().subquery())),
        "providers": db.session.scalar(
            select(func.count()).select_from(Provider).where(Provider.status == PS.PUBLISHED)
        ),
    }
    step = next_steps(current_user)[0] if current_user.is_authenticated else None
    return render_template("home.html", offers=offers, counts=counts, step=step)
