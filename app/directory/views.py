from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.forms import EmptyForm
from app.core.access import Access, access
from app.core.access_log import log_read
from app.core.jobs import commit
from app.core.models import PublicationStatus as PS
from app.core.web import form_status, load_or_404, safe_next, submit_form
from app.directory import services
from app.directory.forms import OfferForm, OrganisationForm, ProviderForm
from app.directory.models import Offer, Organisation, Provider
from app.extensions import db

bp = Blueprint("directory", __name__)


CATALOGUE_PARAMS = {
    "q": "q",
    "category": "categorie",
    "price_mode": "tarif",
    "modality": "modalite",
    "departement": "departement",
    "skill": "competence",
}


@bp.get("/catalogue")
@access(Access.PUBLIC)
def catalogue():
    """The catalogue is the search page (full text, facets, distance); old links keep working."""
    params = {new: [v for v in request.args.getlist(old) if v] for old, new in CATALOGUE_PARAMS.items()}
    params = {name: values for name, values in params.items() if values}  # repeated keys stay repeated
    return redirect(url_for("searching.search_page", **params), code=301)


@bp.get("/offres/<int:offer_id>")
@access(Access.PUBLIC)
def offer_detail(offer_id: int):
    offer = load_or_404(
        Offer, offer_id, where=lambda o: o.is_public or services.can_manage_provider(current_user, o.provider)
    )
    return render_template(
        "directory/offer.html",
        offer=offer,
        action_form=EmptyForm(),
        can_manage=services.can_manage_provider(current_user, offer.provider),
    )


@bp.get("/prestataires")
@access(Access.PUBLIC)
def providers():
    stmt = (
        select(Provider)
        .where(Provider.status == PS.PUBLISHED)
        .options(selectinload(Provider.commune))
        .order_by(Provider.name)
    )
    return render_template("directory/providers.html", providers=list(db.session.scalars(stmt)))


@bp.get("/prestataires/<int:provider_id>")
@access(Access.PUBLIC)
def provider_detail(provider_id: int):
    provider = load_or_404(Provider, provider_id)
    can_manage = services.can_manage_provider(current_user, provider)
    if not provider.is_public and not can_manage:
        abort(404)
    offers = [o for o in provider.offers if o.status == PS.PUBLISHED or can_manage]
    return render_template("directory/provider.html", provider=provider, offers=offers, can_manage=can_manage)


def _edited(listing) -> str:
    if services.pending_changes(listing):
        return _("Modifications enregistrées. Le nouveau site web sera visible après validation par l'équipe du Hub.")
    return _("Modifications enregistrées.")


@bp.route("/structure/nouvelle", methods=["GET", "POST"])
@access(Access.LOGIN)
def organisation_new():
    form = OrganisationForm()
    back = safe_next(request.args.get("next"), "")  # where the person was going (an offer to ask for)
    done = submit_form(
        form,
        lambda: services.create_organisation(current_user, form.values()),
        _("Votre structure est enregistrée. Vous pouvez reprendre votre demande.")
        if back
        else _("Votre structure est enregistrée. Vous pouvez maintenant décrire votre besoin."),
        back or url_for("needs.boussole_step"),
    )
    return done or (
        render_template("directory/organisation_form.html", form=form, organisation=None),
        form_status(form),
    )


@bp.route("/structure/<int:org_id>/modifier", methods=["GET", "POST"])
@access(Access.ORG_MEMBER)
def organisation_edit(org_id: int):
    org = load_or_404(Organisation, org_id, where=lambda o: services.can_manage_organisation(current_user, o))
    form = OrganisationForm(obj=org)
    if request.method == "GET":
        form.commune.process_data(org.commune)
        log_read("organisation_contact", organisations=[org.id], detail=f"organisation:{org.id}")
    done = submit_form(
        form,
        lambda: services.update_organisation(current_user, org, form.values()),
        _edited,
        url_for("accounts.dashboard"),
    )
    return done or (render_template("directory/organisation_form.html", form=form, organisation=org), form_status(form))


@bp.route("/prestataire/nouveau", methods=["GET", "POST"])
@access(Access.LOGIN)
def provider_new():
    form = ProviderForm()
    done = submit_form(
        form,
        lambda: services.create_provider(current_user, form.values()),
        _("Votre fiche est envoyée à l'équipe du Hub. Ajoutez dès maintenant votre première offre."),
        lambda provider: url_for("directory.offer_new", provider_id=provider.id),
    )
    return done or (render_template("directory/provider_form.html", form=form, provider=None), form_status(form))


@bp.route("/prestataire/<int:provider_id>/modifier", methods=["GET", "POST"])
@access(Access.PROVIDER_MEMBER)
def provider_edit(provider_id: int):
    provider = load_or_404(Provider, provider_id, where=lambda p: services.can_manage_provider(current_user, p))
    form = ProviderForm(obj=provider)
    if request.method == "GET":
        form.commune.process_data(provider.commune)
        log_read("provider_bank", providers=[provider.id], detail=f"provider:{provider.id}")
    done = submit_form(
        form,
        lambda: services.update_provider(current_user, provider, form.values()),
        _edited,
        url_for("directory.provider_detail", provider_id=provider.id),
    )
    return done or (render_template("directory/provider_form.html", form=form, provider=provider), form_status(form))


@bp.route("/prestataire/<int:provider_id>/offres/nouvelle", methods=["GET", "POST"])
@access(Access.PROVIDER_MEMBER)
def offer_new(provider_id: int):
    provider = load_or_404(Provider, provider_id, where=lambda p: services.can_manage_provider(current_user, p))
    form = OfferForm()
    done = submit_form(
        form,
        lambda: services.create_offer(current_user, provider, form.values(), submit="submit" in request.form),
        lambda offer: (
            _("Offre envoyée à la modération.") if offer.status == PS.SUBMITTED else _("Brouillon enregistré.")
        ),
        lambda offer: url_for("directory.offer_detail", offer_id=offer.id),
    )
    return done or (
        render_template("directory/offer_form.html", form=form, provider=provider, offer=None),
        form_status(form),
    )


@bp.route("/offres/<int:offer_id>/modifier", methods=["GET", "POST"])
@access(Access.PROVIDER_MEMBER)
def offer_edit(offer_id: int):
    offer = load_or_404(Offer, offer_id, where=lambda o: services.can_manage_provider(current_user, o.provider))
    form = OfferForm(obj=offer)
    if request.method == "GET" and offer.price_cents is not None:
        form.price.data = offer.price_cents / 100
    done = submit_form(
        form,
        lambda: services.update_offer(current_user, offer, form.values()),
        _("Modifications enregistrées."),
        url_for("directory.offer_detail", offer_id=offer.id),
    )
    return done or (
        render_template("directory/offer_form.html", form=form, provider=offer.provider, offer=offer),
        form_status(form),
    )


OWNER_OFFER_ACTIONS = {"submit": PS.SUBMITTED, "withdraw": PS.DRAFT, "archive": PS.ARCHIVED, "reopen": PS.DRAFT}


@bp.post("/offres/<int:offer_id>/statut")
@access(Access.PROVIDER_MEMBER)
def offer_status(offer_id: int):
    offer = load_or_404(Offer, offer_id, where=lambda o: services.can_manage_provider(current_user, o.provider))
    form = EmptyForm()
    target = OWNER_OFFER_ACTIONS.get(request.form.get("action", ""))
    if not form.validate_on_submit() or target is None:
        flash(_("Action inconnue ou formulaire expiré."), "error")
        return redirect(url_for("directory.offer_detail", offer_id=offer.id))
    if not services.PUBLICATION.can(offer.status, target):
        flash(_("Cette action n'est pas possible dans l'état actuel de l'offre."), "error")
        return redirect(url_for("directory.offer_detail", offer_id=offer.id))
    services.move_offer(current_user, offer, target)
    commit()
    flash(_("Statut de l'offre mis à jour."), "success")
    return redirect(url_for("directory.offer_detail", offer_id=offer.id))
