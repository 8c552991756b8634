"""Usage licences: a producer's offers and grants on a resource, revocations, a holder's licences and
certificates; buying a licence by card (the page's script talks JSON), refunds."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.forms import EmptyForm
from app.billing.gateway import current_gateway, register_dev_webhook
from app.billing.responses import card_payment_answer
from app.core.access import Access, access
from app.core.errors import ServiceError
from app.core.web import load_or_404, transaction
from app.extensions import db
from app.library import purchase
from app.library.certificate import certificate_pdf
from app.library.forms import BuyForm, GiveLicenceForm, LicenceOfferForm, RefundForm, RevokeForm
from app.library.models import LicenceGrant, LicenceOffer, Resource
from app.library.models import ResourceStatus as RS
from app.library.services.licences import (
    add_licence_offer,
    give_licence,
    grants_for_holder,
    revoke_licence,
    set_offer_active,
)
from app.library.services.rights import (
    can_edit_resource,
    can_manage_grant,
    can_see_grant,
    grant_is_valid,
    is_producer_member,
    valid_grant,
)
from app.library.views.common import bp, editable_or_404, resource_or_404

# ------------------------------------------------------------------ a producer's offers and grants


def _offer_form(resource: Resource) -> LicenceOfferForm:
    form = LicenceOfferForm()
    sellers = [p for p in resource.producers if current_user.is_staff or is_producer_member(current_user, p)]
    form.producer.choices = [(p.id, p.name) for p in sellers]
    return form


def _give_form(resource: Resource) -> GiveLicenceForm:
    form = GiveLicenceForm(prefix="give")
    form.offer.choices = [
        (o.id, f"{o.label} ({o.price_cents / 100:.2f} €)".replace(".", ","))
        for o in resource.licence_offers
        if o.active and (current_user.is_staff or is_producer_member(current_user, o.producer))
    ]
    return form


def _licences_page(resource: Resource, offer_form=None, give_form=None, status: int = 200):
    grants = list(
        db.session.scalars(
            select(LicenceGrant).where(LicenceGrant.resource_id == resource.id).order_by(LicenceGrant.starts_at.desc())
        )
    )
    return render_template(
        "library/licences.html",
        resource=resource,
        offer_form=offer_form or _offer_form(resource),
        give_form=give_form or _give_form(resource),
        action_form=EmptyForm(),
        revoke_form=RevokeForm(),
        grants=grants,
        is_valid=grant_is_valid,
        can_manage_grant=lambda g: can_manage_grant(current_user, g),
    ), status


@bp.route("/r/<ident>/licences", methods=["GET", "POST"])
@access(Access.LOGIN)
def licences(ident: str):
    """A producer's licence offers on a resource: add, withdraw, give; the grants made."""
    resource = editable_or_404(ident)
    form = _offer_form(resource)
    if request.method == "POST":
        if form.validate_on_submit():
            with transaction(form) as tx:
                add_licence_offer(current_user, resource, form.values())
            if tx.ok:
                flash(_("Licence mise en vente."), "success")
                return redirect(url_for("library.licences", ident=resource.identifier))
            resource = editable_or_404(ident)
        return _licences_page(resource, offer_form=form, status=422)
    return _licences_page(resource)


@bp.post("/r/<ident>/licences/<int:offer_id>/statut")
@access(Access.LOGIN)
def licence_offer_status(ident: str, offer_id: int):
    resource = editable_or_404(ident)
    offer = load_or_404(LicenceOffer, offer_id, where=lambda o: o.resource_id == resource.id)
    action = request.form.get("action")
    if not EmptyForm().validate_on_submit() or action not in ("withdraw", "reopen"):
        flash(_("Action inconnue ou formulaire expiré."), "error")
        return redirect(url_for("library.licences", ident=resource.identifier))
    with transaction() as tx:
        set_offer_active(current_user, offer, action == "reopen")
    if not tx.ok:
        return redirect(url_for("library.licences", ident=ident))
    flash(_("Licence mise à jour."), "success")
    return redirect(url_for("library.licences", ident=resource.identifier))


@bp.post("/r/<ident>/licences/attribuer")
@access(Access.LOGIN)
def licence_give(ident: str):
    resource = editable_or_404(ident)
    form = _give_form(resource)
    if form.validate_on_submit():
        offer = db.session.get(LicenceOffer, form.offer.data)  # one of the form's choices
        with transaction(form) as tx:
            grant = give_licence(current_user, offer, form.email.data, form.holder_name.data or "")
        if tx.ok:
            flash(_("Licence %(code)s attribuée à %(name)s.", code=grant.code, name=grant.holder_name), "success")
            return redirect(url_for("library.licences", ident=resource.identifier))
        resource = editable_or_404(ident)
    return _licences_page(resource, give_form=form, status=422)


def _managed_grant_or_404(grant_id: int) -> LicenceGrant:
    return load_or_404(LicenceGrant, grant_id, where=lambda grant: can_manage_grant(current_user, grant))


@bp.post("/bibliotheque/licences/<int:grant_id>/revoquer")
@access(Access.LOGIN)
def licence_revoke(grant_id: int):
    grant = _managed_grant_or_404(grant_id)
    form = RevokeForm()
    back = (
        url_for("library.licences", ident=grant.resource.identifier)
        if can_edit_resource(current_user, grant.resource)
        else url_for("library.my_licences")
    )
    if not form.validate_on_submit():
        flash(_("Indiquez la raison de la révocation."), "error")
        return redirect(back)
    with transaction() as tx:
        revoke_licence(grant, actor=current_user, reason=form.reason.data)
    if tx.ok:
        flash(_("Licence révoquée."), "success")
    return redirect(back)


# ------------------------------------------------------------------ a holder's licences


@bp.get("/bibliotheque/mes-licences")
@access(Access.LOGIN)
def my_licences():
    return render_template("library/my_licences.html", grants=grants_for_holder(current_user), is_valid=grant_is_valid)


@bp.get("/bibliotheque/licences/<int:grant_id>/certificat.pdf")
@access(Access.LOGIN)
def certificate(grant_id: int):
    grant = load_or_404(LicenceGrant, grant_id, where=lambda g: can_see_grant(current_user, g))
    response = Response(certificate_pdf(grant), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename=certificat-{grant.code}.pdf"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ------------------------------------------------------------------ buying a licence by card


def _offer_on_sale_or_404(ident: str, offer_id: int) -> LicenceOffer:
    resource = resource_or_404(ident)
    if resource.status != RS.PUBLISHED:
        abort(404)
    return load_or_404(LicenceOffer, offer_id, where=lambda offer: offer.resource_id == resource.id)


def _refusal(offer: LicenceOffer) -> str | None:
    """Why the current user cannot buy `offer` (None: they can)."""
    try:
        purchase.check_can_buy(current_user, offer)
    except ServiceError as error:
        return str(error.message)
    return None


@bp.get("/r/<ident>/licences/<int:offer_id>/acheter")
@access(Access.LOGIN)
def buy(ident: str, offer_id: int):
    """The payment page. It creates nothing at Stripe: the card step asks for its SetupIntent."""
    offer = _offer_on_sale_or_404(ident, offer_id)
    return render_template(
        "library/buy.html",
        offer=offer,
        resource=offer.resource,
        form=BuyForm(),
        refusal=_refusal(offer),
        publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY", ""),
        grant=valid_grant(current_user, offer.resource),
    )


@bp.post("/r/<ident>/licences/<int:offer_id>/acheter/carte")
@access(Access.LOGIN)
def buy_card(ident: str, offer_id: int):
    """Called by the page's script: a SetupIntent for Stripe.js's confirmCardSetup (JSON)."""
    offer = _offer_on_sale_or_404(ident, offer_id)
    if not EmptyForm().validate_on_submit():
        return jsonify(status="invalid", message=_("Formulaire expiré : rechargez la page.")), 400
    register_dev_webhook()  # localstripe forgets it at each restart (no-op against Stripe)
    with transaction(show=False) as tx:  # commits the buyer's Stripe customer, created once
        setup = purchase.start_card_setup(current_user, offer, current_gateway())
    if tx.error is not None:
        return jsonify(status="refused", message=str(tx.error.message)), tx.error.status
    return jsonify(status="ready", client_secret=setup.client_secret)


@bp.post("/r/<ident>/licences/<int:offer_id>/acheter")
@access(Access.LOGIN)
def buy_confirm(ident: str, offer_id: int):
    """Called by the page's script with the saved card's PaymentMethod; answers JSON."""
    offer = _offer_on_sale_or_404(ident, offer_id)
    form = BuyForm()
    if not form.validate_on_submit():
        return jsonify(
            status="invalid", message=_("Moyen de paiement invalide. Rechargez la page et recommencez.")
        ), 400
    return card_payment_answer(
        lambda: purchase.pay_licence(
            current_user, offer, form.payment_method.data, form.holder_name.data or "", current_gateway()
        ),
        redirect=url_for("library.my_licences"),
        success_message=_("Paiement reçu : votre licence est active. Vous pouvez télécharger la ressource."),
    )


@bp.get("/r/<ident>/licences/<int:offer_id>/acheter/etat")
@access(Access.LOGIN)
def buy_state(ident: str, offer_id: int):
    offer = _offer_on_sale_or_404(ident, offer_id)
    state = purchase.checkout_state(current_user, offer)
    if state["granted"]:
        state["redirect"] = url_for("library.my_licences")
    return jsonify(state)


@bp.post("/bibliotheque/licences/<int:grant_id>/rembourser")
@access(Access.LOGIN)
def licence_refund(grant_id: int):
    """The seller (or staff) refunds a licence paid by card: the grant is revoked."""
    grant = _managed_grant_or_404(grant_id)
    form = RefundForm()
    back = (
        url_for("library.licences", ident=grant.resource.identifier)
        if can_edit_resource(current_user, grant.resource)
        else url_for("library.moderation")
    )
    if not form.validate_on_submit():
        flash(_("Indiquez la raison du remboursement."), "error")
        return redirect(back)
    with transaction() as tx:
        purchase.refund_licence(current_user, grant, current_gateway(), form.reason.data, absorb=form.absorb.data)
    if tx.ok:
        flash(_("Paiement remboursé, licence révoquée."), "success")
    return redirect(back)
