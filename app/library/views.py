"""Knowledge base pages: browse, resolve /r/R42 (HTML or JSON-LD), edit, files,
reports and merges, licences, producers' spaces, exports and import."""

from __future__ import annotations

import json
import os

import click
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.forms import EmptyForm
from app.billing.gateway import current_gateway, register_dev_webhook
from app.billing.responses import card_payment_answer
from app.core.access import Access, access
from app.core.errors import ServiceError
from app.core.inputs import parse_id
from app.core.jobs import commit
from app.core.web import flash_form_error
from app.extensions import db
from app.library import display, exports, purchase, services, storage
from app.library.certificate import certificate_pdf
from app.library.forms import (
    BrowseFilterForm,
    BuyForm,
    GiveLicenceForm,
    ImportForm,
    LicenceOfferForm,
    MemberForm,
    MergeForm,
    ProducerForm,
    RefundForm,
    ReportDecisionForm,
    ReportForm,
    ResourceForm,
    RevokeForm,
    UploadForm,
)
from app.library.models import (
    LicenceGrant,
    LicenceOffer,
    Producer,
    ReportStatus,
    Resource,
    ResourceFile,
    ResourceReport,
)
from app.library.models import ResourceStatus as RS
from app.library.rendering import plain_text, render_markdown

bp = Blueprint("library", __name__, cli_group="library")
PER_PAGE = 20
JSONLD = "application/ld+json"


@bp.record_once
def _configure(state) -> None:
    """Settings of the knowledge base, from the environment unless the app was given them."""
    config = state.app.config
    config.setdefault("FILES_DIR", os.environ.get("FILES_DIR") or os.path.join(state.app.instance_path, "files"))
    config.setdefault("LIBRARY_MAX_FILE_BYTES", int(os.environ.get("LIBRARY_MAX_FILE_BYTES", str(15 * 1024 * 1024))))
    state.app.jinja_env.filters["markdown"] = render_markdown
    state.app.jinja_env.filters["plain_text"] = plain_text
    state.app.jinja_env.globals["library_ui"] = display
    from payments.checkout import register_success_hook

    register_success_hook(purchase.PURPOSE, purchase.on_licence_paid)


def _page() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        return 1


def _status_code(form) -> int:
    return 422 if form.errors or getattr(form, "form_errors", None) else 200


def _get_or_404(model, ident: int):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def _resource_or_404(ident: str) -> Resource:
    number = services.parse_identifier(ident)
    resource = services.resource_by_number(number) if number else None
    if resource is None:
        abort(404)
    return resource


def _editable_or_404(ident: str) -> Resource:
    resource = _resource_or_404(ident)
    if resource.status not in services.EDITABLE or not services.can_edit_resource(current_user, resource):
        abort(404)
    return resource


def _producer_or_404(producer_id: int) -> Producer:
    producer = _get_or_404(Producer, producer_id)
    if not services.can_manage_producer(current_user, producer):
        abort(404)
    return producer


def _wanted_format() -> str:
    """'html', 'jsonld' or 'json': `?format=jsonld`, else the Accept header (HTML for browsers)."""
    asked = request.args.get("format")
    if asked in ("jsonld", "json"):
        return asked
    best = request.accept_mimetypes.best_match(["text/html", JSONLD, "application/json"], default="text/html")
    return {"text/html": "html", JSONLD: "jsonld", "application/json": "json"}[best]


def _json_response(data, status: int = 200, mimetype: str = JSONLD) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, indent=2), status=status, mimetype=mimetype)


# ------------------------------------------------------------------ browse and resolve


@bp.get("/bibliotheque/")
@access(Access.PUBLIC)
def browse():
    form = BrowseFilterForm(request.args)
    filters = {k: v for k, v in form.data.items() if v} if form.validate() else {}
    producer_id = parse_id(request.args.get("producteur"))
    producer = db.session.get(Producer, producer_id) if producer_id else None
    if producer:
        filters["producer"] = producer.id
    page = _page()
    resources, total = services.browse(filters, page=page, per_page=PER_PAGE)
    return render_template(
        "library/browse.html",
        form=form,
        resources=resources,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        producer=producer,
        my_producers=services.user_producers(current_user),
    )


@bp.get("/r/<ident>")
@access(Access.PUBLIC)
def resolve(ident: str):
    """The permanent address of a resource: HTML for people, JSON-LD for machines
    (Accept: application/ld+json or application/json); a merged duplicate redirects."""
    number = services.parse_identifier(ident)
    if number is None:
        abort(404)
    if ident != services.format_identifier(number):
        return redirect(url_for("library.resolve", ident=services.format_identifier(number), **request.args), 301)
    resource = services.resource_by_number(number)
    if resource is None:
        abort(404)
    fmt = _wanted_format()
    if resource.status == RS.MERGED:
        survivor = services.final_resource(resource)
        response = redirect(url_for("library.resolve", ident=survivor.identifier, **request.args), 301)
        response.vary.add("Accept")
        return response
    if resource.status == RS.DELETED:
        if fmt != "html":
            response = _json_response(
                {"@context": exports.SCHEMA, "identifier": resource.identifier, "error": "gone"},
                410,
                JSONLD if fmt == "jsonld" else "application/json",
            )
        else:
            response = Response(render_template("library/gone.html", resource=resource), 410)
        response.vary.add("Accept")
        return response
    if not services.can_see_resource(current_user, resource):
        abort(404)
    if fmt != "html":
        response = _json_response(
            exports.resource_jsonld(resource), mimetype=JSONLD if fmt == "jsonld" else "application/json"
        )
    else:
        can_edit = services.can_edit_resource(current_user, resource)
        response = Response(
            render_template(
                "library/resource.html",
                resource=resource,
                can_edit=can_edit,
                can_download=services.can_download(current_user, resource),
                grant=services.valid_grant(current_user, resource),
                offers=[o for o in resource.licence_offers if o.active],
                jsonld=json.dumps(exports.resource_jsonld(resource), ensure_ascii=False).replace("</", "<\\/"),
            )
        )
    response.vary.add("Accept")
    if resource.status != RS.PUBLISHED:
        response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/bibliotheque/export.csv")
@access(Access.PUBLIC)
def export_csv():
    response = Response(exports.csv_dump(), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=hub-du-sud-ressources.csv"
    return response


@bp.get("/bibliotheque/export.json")
@access(Access.PUBLIC)
def export_json():
    response = _json_response(exports.json_dump(), mimetype="application/json")
    response.headers["Content-Disposition"] = "attachment; filename=hub-du-sud-ressources.json"
    return response


# ------------------------------------------------------------------ create and edit


def _resource_form(resource: Resource | None) -> ResourceForm:
    form = ResourceForm(obj=resource) if resource else ResourceForm()
    producers = (
        db.session.scalars(select(Producer).order_by(Producer.name)).all()
        if current_user.is_staff
        else services.user_producers(current_user)
    )
    if resource:
        producers = list({p.id: p for p in list(producers) + list(resource.producers)}.values())
    form.producers.choices = [(p.id, p.name) for p in producers]
    if request.method == "GET":
        if resource:
            form.producers.data = [p.id for p in resource.producers]
            form.is_based_on.data = ", ".join(r.identifier for r in resource.related("is_based_on"))
            form.is_related_to.data = ", ".join(r.identifier for r in resource.related("is_related_to"))
        elif len(producers) == 1:
            form.producers.data = [producers[0].id]
    return form


@bp.route("/bibliotheque/ressources/nouvelle", methods=["GET", "POST"])
@access(Access.LOGIN)
def resource_new():
    if not current_user.is_staff and not services.user_producers(current_user):
        flash(_("Présentez-vous d'abord comme producteur : une personne ou une structure."), "info")
        return redirect(url_for("library.producer_new"))
    form = _resource_form(None)
    if form.validate_on_submit():
        try:
            resource = services.create_resource(current_user, form.values(), publish="publish" in request.form)
            commit()
            flash(_("Ressource %(id)s enregistrée. Ajoutez-lui ses fichiers.", id=resource.identifier), "success")
            return redirect(url_for("library.resource_edit", ident=resource.identifier))
        except ServiceError as error:
            db.session.rollback()
            flash_form_error(form, error)
    return render_template("library/resource_form.html", form=form, resource=None), _status_code(form)


def _edit_page(resource: Resource, form=None, upload_form=None, status: int | None = None):
    form = form or _resource_form(resource)
    return render_template(
        "library/resource_form.html",
        form=form,
        resource=resource,
        upload_form=upload_form or UploadForm(),
        version_form=UploadForm(prefix="v"),
        action_form=EmptyForm(),
    ), status or _status_code(form)


@bp.route("/r/<ident>/modifier", methods=["GET", "POST"])
@access(Access.LOGIN)
def resource_edit(ident: str):
    resource = _editable_or_404(ident)
    form = _resource_form(resource)
    if form.validate_on_submit():
        try:
            services.update_resource(current_user, resource, form.values())
            commit()
            flash(_("Modifications enregistrées."), "success")
            return redirect(url_for("library.resolve", ident=resource.identifier))
        except ServiceError as error:
            db.session.rollback()
            resource = _editable_or_404(ident)
            flash_form_error(form, error)
    return _edit_page(resource, form=form)


STATUS_ACTIONS = {"publish": RS.PUBLISHED, "unpublish": RS.DRAFT, "delete": RS.DELETED, "restore": RS.DRAFT}


@bp.post("/r/<ident>/statut")
@access(Access.LOGIN)
def resource_status(ident: str):
    resource = _resource_or_404(ident)
    allowed = services.can_edit_resource(current_user, resource) and (
        resource.status in services.EDITABLE or (resource.status == RS.DELETED and current_user.is_staff)
    )
    if not allowed:
        abort(404)
    form = EmptyForm()
    target = STATUS_ACTIONS.get(request.form.get("action", ""))
    if not form.validate_on_submit() or target is None:
        flash(_("Action inconnue ou formulaire expiré."), "error")
        return redirect(url_for("library.resolve", ident=resource.identifier))
    if not services.RESOURCE_STATES.can(resource.status, target):
        flash(_("Cette action n'est pas possible dans l'état actuel de la ressource."), "error")
        return redirect(url_for("library.resolve", ident=resource.identifier))
    try:
        services.move_resource(current_user, resource, target)
        commit()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("library.resolve", ident=ident))
    flash(
        {
            RS.PUBLISHED: _("Ressource publiée."),
            RS.DRAFT: _("Ressource remise en brouillon."),
            RS.DELETED: _(
                "Ressource supprimée. Son identifiant %(id)s ne sera jamais réattribué.", id=resource.identifier
            ),
        }[target],
        "success",
    )
    if target == RS.DELETED:
        return redirect(url_for("library.browse"))
    return redirect(url_for("library.resolve", ident=resource.identifier))


# ------------------------------------------------------------------ files


def _upload(resource: Resource, form: UploadForm, do):
    if form.validate_on_submit():
        upload = form.file.data
        try:
            do(upload.filename or "", upload.stream)
            commit()
            flash(_("Fichier enregistré."), "success")
            return redirect(url_for("library.resource_edit", ident=resource.identifier) + "#fichiers")
        except ServiceError as error:
            db.session.rollback()
            flash_form_error(form, error)
            resource = _editable_or_404(resource.identifier)
            return _edit_page(resource, upload_form=form, status=error.status if error.status != 400 else 422)
    return _edit_page(resource, upload_form=form, status=422)


@bp.post("/r/<ident>/fichiers")
@access(Access.LOGIN)
def file_add(ident: str):
    resource = _editable_or_404(ident)
    return _upload(resource, UploadForm(), lambda name, stream: services.add_file(current_user, resource, name, stream))


@bp.post("/r/<ident>/fichiers/<int:file_id>/version")
@access(Access.LOGIN)
def file_version_add(ident: str, file_id: int):
    resource = _editable_or_404(ident)
    file = db.session.get(ResourceFile, file_id)
    if file is None or file.resource_id != resource.id or file.removed_at is not None:
        abort(404)
    return _upload(
        resource,
        UploadForm(prefix="v"),
        lambda name, stream: services.add_file_version(current_user, file, name, stream),
    )


@bp.post("/r/<ident>/fichiers/<int:file_id>/retirer")
@access(Access.LOGIN)
def file_remove(ident: str, file_id: int):
    resource = _editable_or_404(ident)
    file = db.session.get(ResourceFile, file_id)
    if file is None or file.resource_id != resource.id:
        abort(404)
    if not EmptyForm().validate_on_submit() or request.form.get("action") != "remove":
        flash(_("Action inconnue ou formulaire expiré."), "error")
        return redirect(url_for("library.resource_edit", ident=resource.identifier))
    services.remove_file(current_user, file)
    commit()
    flash(_("Fichier retiré. Ses versions restent dans l'historique."), "success")
    return redirect(url_for("library.resource_edit", ident=resource.identifier) + "#fichiers")


@bp.get("/r/<ident>/fichiers/<int:file_id>", defaults={"version": None})
@bp.get("/r/<ident>/fichiers/<int:file_id>/v<int:version>")
@access(Access.PUBLIC)
def download(ident: str, file_id: int, version: int | None):
    """A file of a resource. Paid resources: only with a valid licence grant."""
    resource = _resource_or_404(ident)
    if resource.status == RS.MERGED:
        survivor = services.final_resource(resource)
        return redirect(url_for("library.download", ident=survivor.identifier, file_id=file_id, version=version), 301)
    if not services.can_see_resource(current_user, resource):
        abort(404)
    found = services.file_version(resource, file_id, version)
    if found is None:
        abort(404)
    if not services.can_download(current_user, resource):
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.full_path))
        return render_template(
            "library/licence_required.html", resource=resource, offers=[o for o in resource.licence_offers if o.active]
        ), 403
    path = storage.blob_path(found.blob_sha256)
    if not path.exists():
        current_app.logger.error("stored file missing: %s", path)
        abort(404)
    response = send_file(
        path,
        mimetype=found.blob.mime_type,
        as_attachment=True,
        download_name=found.filename,
        conditional=True,
        etag=found.blob_sha256,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    if resource.is_paid or resource.status != RS.PUBLISHED:
        response.headers["Cache-Control"] = "private, no-store"
    return response


# ------------------------------------------------------------------ reports and moderation


@bp.route("/r/<ident>/signaler", methods=["GET", "POST"])
@access(Access.LOGIN)
def report(ident: str):
    resource = _resource_or_404(ident)
    if resource.status not in services.EDITABLE or not services.can_see_resource(current_user, resource):
        abort(404)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            services.report_resource(
                current_user, resource, form.reason.data, form.message.data or "", duplicate_of=form.duplicate_of.number
            )
            commit()
            flash(_("Merci : l'équipe du Hub va examiner votre signalement."), "success")
            return redirect(url_for("library.resolve", ident=resource.identifier))
        except ServiceError as error:
            db.session.rollback()
            resource = _resource_or_404(ident)
            flash_form_error(form, error)
    return render_template("library/report_form.html", form=form, resource=resource), _status_code(form)


def _moderation_page(merge_form=None, status: int = 200):
    return render_template(
        "library/moderation.html",
        reports=services.open_reports(),
        decision_form=ReportDecisionForm(),
        merge_form=merge_form or MergeForm(),
    ), status


@bp.get("/bibliotheque/moderation")
@access(Access.STAFF)
def moderation():
    return _moderation_page()


@bp.post("/bibliotheque/moderation/signalements/<int:report_id>")
@access(Access.STAFF)
def report_decide(report_id: int):
    report_ = _get_or_404(ResourceReport, report_id)
    form = ReportDecisionForm()
    if not form.validate_on_submit():
        flash(_("Décision inconnue ou formulaire expiré."), "error")
        return redirect(url_for("library.moderation"))
    if report_.status != ReportStatus.OPEN:
        flash(_("Ce signalement est déjà traité."), "error")
        return redirect(url_for("library.moderation"))
    target = ReportStatus.RESOLVED if form.decision.data == "resolve" else ReportStatus.DISMISSED
    try:
        services.handle_report(current_user, report_, target, form.resolution.data or "")
        commit()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("library.moderation"))
    flash(_("Signalement traité."), "success")
    return redirect(url_for("library.moderation"))


@bp.post("/bibliotheque/moderation/fusion")
@access(Access.STAFF)
def merge():
    form = MergeForm()
    if form.validate_on_submit():
        duplicate = services.resource_by_number(form.duplicate.number)
        survivor = services.resource_by_number(form.survivor.number)
        if duplicate is None:
            form.duplicate.errors = [_("Cette ressource n'existe pas.")]
        if survivor is None:
            form.survivor.errors = [_("Cette ressource n'existe pas.")]
        if duplicate is not None and survivor is not None:
            try:
                survivor = services.merge_resources(current_user, duplicate, survivor, form.note.data or "")
                commit()
                flash(
                    _(
                        "%(dup)s est fusionnée dans %(survivor)s : son adresse redirige désormais.",
                        dup=services.format_identifier(form.duplicate.number),
                        survivor=survivor.identifier,
                    ),
                    "success",
                )
                return redirect(url_for("library.resolve", ident=survivor.identifier))
            except ServiceError as error:
                db.session.rollback()
                flash_form_error(form, error)
    return _moderation_page(merge_form=form, status=422)


# ------------------------------------------------------------------ licences


def _offer_form(resource: Resource) -> LicenceOfferForm:
    form = LicenceOfferForm()
    sellers = [p for p in resource.producers if current_user.is_staff or services.is_producer_member(current_user, p)]
    form.producer.choices = [(p.id, p.name) for p in sellers]
    return form


def _give_form(resource: Resource) -> GiveLicenceForm:
    form = GiveLicenceForm(prefix="give")
    form.offer.choices = [
        (o.id, f"{o.label} ({o.price_cents / 100:.2f} €)".replace(".", ","))
        for o in resource.licence_offers
        if o.active and (current_user.is_staff or services.is_producer_member(current_user, o.producer))
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
        is_valid=services.grant_is_valid,
        can_manage_grant=lambda g: services.can_manage_grant(current_user, g),
    ), status


@bp.route("/r/<ident>/licences", methods=["GET", "POST"])
@access(Access.LOGIN)
def licences(ident: str):
    """A producer's licence offers on a resource: add, withdraw, give; the grants made."""
    resource = _editable_or_404(ident)
    form = _offer_form(resource)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.add_licence_offer(current_user, resource, form.values())
                commit()
                flash(_("Licence mise en vente."), "success")
                return redirect(url_for("library.licences", ident=resource.identifier))
            except ServiceError as error:
                db.session.rollback()
                resource = _editable_or_404(ident)
                flash_form_error(form, error)
        return _licences_page(resource, offer_form=form, status=422)
    return _licences_page(resource)


@bp.post("/r/<ident>/licences/<int:offer_id>/statut")
@access(Access.LOGIN)
def licence_offer_status(ident: str, offer_id: int):
    resource = _editable_or_404(ident)
    offer = db.session.get(LicenceOffer, offer_id)
    if offer is None or offer.resource_id != resource.id:
        abort(404)
    action = request.form.get("action")
    if not EmptyForm().validate_on_submit() or action not in ("withdraw", "reopen"):
        flash(_("Action inconnue ou formulaire expiré."), "error")
        return redirect(url_for("library.licences", ident=resource.identifier))
    try:
        services.set_offer_active(current_user, offer, action == "reopen")
        commit()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("library.licences", ident=ident))
    flash(_("Licence mise à jour."), "success")
    return redirect(url_for("library.licences", ident=resource.identifier))


@bp.post("/r/<ident>/licences/attribuer")
@access(Access.LOGIN)
def licence_give(ident: str):
    resource = _editable_or_404(ident)
    form = _give_form(resource)
    if form.validate_on_submit():
        offer = db.session.get(LicenceOffer, form.offer.data)
        try:
            grant = services.give_licence(current_user, offer, form.email.data, form.holder_name.data or "")
            commit()
            flash(_("Licence %(code)s attribuée à %(name)s.", code=grant.code, name=grant.holder_name), "success")
            return redirect(url_for("library.licences", ident=resource.identifier))
        except ServiceError as error:
            db.session.rollback()
            resource = _editable_or_404(ident)
            flash_form_error(form, error)
    return _licences_page(resource, give_form=form, status=422)


@bp.post("/bibliotheque/licences/<int:grant_id>/revoquer")
@access(Access.LOGIN)
def licence_revoke(grant_id: int):
    grant = _get_or_404(LicenceGrant, grant_id)
    if not services.can_manage_grant(current_user, grant):
        abort(404)
    form = RevokeForm()
    back = (
        url_for("library.licences", ident=grant.resource.identifier)
        if services.can_edit_resource(current_user, grant.resource)
        else url_for("library.my_licences")
    )
    if not form.validate_on_submit():
        flash(_("Indiquez la raison de la révocation."), "error")
        return redirect(back)
    try:
        services.revoke_licence(grant, actor=current_user, reason=form.reason.data)
        commit()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(back)
    flash(_("Licence révoquée."), "success")
    return redirect(back)


@bp.get("/bibliotheque/mes-licences")
@access(Access.LOGIN)
def my_licences():
    return render_template(
        "library/my_licences.html", grants=services.grants_for_holder(current_user), is_valid=services.grant_is_valid
    )


@bp.get("/bibliotheque/licences/<int:grant_id>/certificat.pdf")
@access(Access.LOGIN)
def certificate(grant_id: int):
    grant = _get_or_404(LicenceGrant, grant_id)
    if not services.can_see_grant(current_user, grant):
        abort(404)
    response = Response(certificate_pdf(grant), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename=certificat-{grant.code}.pdf"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ------------------------------------------------------------------ buying a licence by card


def _offer_on_sale_or_404(ident: str, offer_id: int) -> LicenceOffer:
    resource = _resource_or_404(ident)
    offer = db.session.get(LicenceOffer, offer_id)
    if offer is None or offer.resource_id != resource.id or resource.status != RS.PUBLISHED:
        abort(404)
    return offer


def _refusal(offer: LicenceOffer) -> str | None:
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
        grant=services.valid_grant(current_user, offer.resource),
    )


@bp.post("/r/<ident>/licences/<int:offer_id>/acheter/carte")
@access(Access.LOGIN)
def buy_card(ident: str, offer_id: int):
    """Called by the page's script: a SetupIntent for Stripe.js's confirmCardSetup (JSON)."""
    offer = _offer_on_sale_or_404(ident, offer_id)
    if not EmptyForm().validate_on_submit():
        return jsonify(status="invalid", message=_("Formulaire expiré : rechargez la page.")), 400
    register_dev_webhook()  # localstripe forgets it at each restart (no-op against Stripe)
    try:
        setup = purchase.start_card_setup(current_user, offer, current_gateway())
        commit()  # the buyer's Stripe customer, created once
    except ServiceError as error:
        db.session.rollback()
        return jsonify(status="refused", message=str(error.message)), error.status
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
    grant = _get_or_404(LicenceGrant, grant_id)
    if not services.can_manage_grant(current_user, grant):
        abort(404)
    form = RefundForm()
    back = (
        url_for("library.licences", ident=grant.resource.identifier)
        if services.can_edit_resource(current_user, grant.resource)
        else url_for("library.moderation")
    )
    if not form.validate_on_submit():
        flash(_("Indiquez la raison du remboursement."), "error")
        return redirect(back)
    try:
        purchase.refund_licence(current_user, grant, current_gateway(), form.reason.data, absorb=form.absorb.data)
        commit()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(back)
    flash(_("Paiement remboursé, licence révoquée."), "success")
    return redirect(back)


# ------------------------------------------------------------------ producers


@bp.get("/bibliotheque/producteurs")
@access(Access.PUBLIC)
def producers():
    rows = db.session.scalars(select(Producer).order_by(Producer.name)).all()
    return render_template("library/producers.html", producers=rows)


@bp.get("/bibliotheque/producteurs/<int:producer_id>")
@access(Access.PUBLIC)
def producer_detail(producer_id: int):
    producer = _get_or_404(Producer, producer_id)
    return render_template(
        "library/producer.html",
        producer=producer,
        resources=services.producer_resources(producer, include_unpublished=False),
        can_manage=services.can_manage_producer(current_user, producer),
    )


@bp.route("/bibliotheque/producteurs/nouveau", methods=["GET", "POST"])
@access(Access.LOGIN)
def producer_new():
    form = ProducerForm()
    if form.validate_on_submit():
        try:
            producer = services.create_producer(current_user, form.values())
            commit()
            flash(_("Votre espace producteur est créé. Publiez votre première ressource."), "success")
            return redirect(url_for("library.producer_space", producer_id=producer.id))
        except ServiceError as error:
            db.session.rollback()
            flash_form_error(form, error)
    return render_template("library/producer_form.html", form=form, producer=None), _status_code(form)


@bp.route("/bibliotheque/producteurs/<int:producer_id>/modifier", methods=["GET", "POST"])
@access(Access.LOGIN)
def producer_edit(producer_id: int):
    producer = _producer_or_404(producer_id)
    form = ProducerForm(obj=producer)
    if form.validate_on_submit():
        try:
            services.update_producer(current_user, producer, form.values())
            commit()
            flash(_("Modifications enregistrées."), "success")
            return redirect(url_for("library.producer_space", producer_id=producer.id))
        except ServiceError as error:
            db.session.rollback()
            flash_form_error(form, error)
    return render_template("library/producer_form.html", form=form, producer=producer), _status_code(form)


def _space_page(producer: Producer, member_form=None, status: int = 200):
    sales = services.sales_for_producer(producer)
    paid = [g for g in sales if g.amount_cents and g.status.value == "active"]
    return render_template(
        "library/producer_space.html",
        producer=producer,
        resources=services.producer_resources(producer, include_unpublished=True),
        sales=sales,
        total_cents=sum(g.amount_cents for g in paid),
        member_form=member_form or MemberForm(),
        is_valid=services.grant_is_valid,
        owed_cents=purchase.producer_balance_cents(producer.id),
        fee_percent=f"{purchase.fee_bps() / 100:g}".replace(".", ","),
    ), status


@bp.get("/bibliotheque/producteurs/<int:producer_id>/espace")
@access(Access.LOGIN)
def producer_space(producer_id: int):
    """A producer's space: its resources (drafts included), its sales; payouts come with the ledger."""
    return _space_page(_producer_or_404(producer_id))


@bp.post("/bibliotheque/producteurs/<int:producer_id>/membres")
@access(Access.LOGIN)
def producer_member_add(producer_id: int):
    producer = _producer_or_404(producer_id)
    form = MemberForm()
    if form.validate_on_submit():
        try:
            services.add_producer_member(current_user, producer, form.email.data)
            commit()
            flash(_("Membre ajouté."), "success")
            return redirect(url_for("library.producer_space", producer_id=producer.id))
        except ServiceError as error:
            db.session.rollback()
            producer = _producer_or_404(producer_id)
            flash_form_error(form, error)
    return _space_page(producer, member_form=form, status=422)


@bp.route("/bibliotheque/producteurs/<int:producer_id>/import", methods=["GET", "POST"])
@access(Access.LOGIN)
def producer_import(producer_id: int):
    producer = _producer_or_404(producer_id)
    form = ImportForm()
    report_ = None
    if form.validate_on_submit():
        try:
            report_ = exports.import_csv(
                current_user,
                producer,
                form.file.data.read(exports.MAX_IMPORT_BYTES + 1),
                publish=bool(form.publish.data),
            )
            commit()
        except ServiceError as error:
            db.session.rollback()
            producer = _producer_or_404(producer_id)
            flash_form_error(form, error)
    return render_template(
        "library/import.html",
        form=form,
        producer=producer,
        report=report_,
        columns=exports.CSV_COLUMNS,
        required=exports.REQUIRED_COLUMNS,
    ), _status_code(form)


# ------------------------------------------------------------------ command line


@bp.cli.command("gc-files")
@click.option("--dry-run", is_flag=True, help="List the orphan files without removing them.")
def gc_files(dry_run: bool):
    """Remove stored files that no row refers to (uploads of rolled-back transactions)."""
    orphans = services.collect_orphan_files()
    for path in orphans:
        click.echo(str(path))
        if not dry_run:
            path.unlink(missing_ok=True)
    click.echo(f"{len(orphans)} orphan file(s){' found' if dry_run else ' removed'}")


@bp.cli.command("import-csv")
@click.argument("producer_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--as-user", "email", required=True, help="E-mail of the member (or staff) who imports.")
@click.option("--publish", is_flag=True)
def import_csv_cmd(producer_id: int, path: str, email: str, publish: bool):
    """Import resources from a CSV file for a producer, and print the report."""
    from app.accounts.services import get_user_by_email

    user = get_user_by_email(email)
    producer = db.session.get(Producer, producer_id)
    if user is None or producer is None:
        raise click.ClickException("unknown user or producer")
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        result = exports.import_csv(user, producer, data, publish=publish)
        commit()
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message))
    for line, identifier, title in result.created:
        click.echo(f"line {line}: {identifier} {title}")
    for line, reasons in result.rejected:
        click.echo(f"line {line}: REJECTED: {'; '.join(reasons)}")
    for line, why in result.skipped:
        click.echo(f"line {line}: skipped: {why}")
    click.echo(f"{len(result.created)} created, {len(result.rejected)} rejected, {len(result.skipped)} skipped")
