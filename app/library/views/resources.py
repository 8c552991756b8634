"""Resources: browse, resolve /r/R42 (HTML or JSON-LD), the open exports, create, edit, publish."""

from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.forms import EmptyForm
from app.core.access import Access, access
from app.core.inputs import parse_id
from app.core.web import form_status, transaction
from app.extensions import db
from app.library import exports
from app.library.forms import BrowseFilterForm, ResourceForm, UploadForm
from app.library.models import Producer, Resource
from app.library.models import ResourceStatus as RS
from app.library.services import resources as resource_services
from app.library.services.identifiers import final_resource, format_identifier, parse_identifier, resource_by_number
from app.library.services.rights import (
    EDITABLE,
    can_download,
    can_edit_resource,
    can_see_resource,
    user_producers,
    valid_grant,
)
from app.library.views.common import (
    JSONLD,
    PER_PAGE,
    bp,
    editable_or_404,
    json_response,
    page_number,
    resource_or_404,
    wanted_format,
)

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
    page = page_number()
    resources, total = resource_services.browse(filters, page=page, per_page=PER_PAGE)
    return render_template(
        "library/browse.html",
        form=form,
        resources=resources,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        producer=producer,
        my_producers=user_producers(current_user),
    )


@bp.get("/r/<ident>")
@access(Access.PUBLIC)
def resolve(ident: str):
    """The permanent address of a resource: HTML for people, JSON-LD for machines
    (Accept: application/ld+json or application/json); a merged duplicate redirects."""
    number = parse_identifier(ident)
    if number is None:
        abort(404)
    if ident != format_identifier(number):
        return redirect(url_for("library.resolve", ident=format_identifier(number), **request.args), 301)
    resource = resource_by_number(number)
    if resource is None:
        abort(404)
    fmt = wanted_format()
    if resource.status == RS.MERGED:
        survivor = final_resource(resource)
        response = redirect(url_for("library.resolve", ident=survivor.identifier, **request.args), 301)
        response.vary.add("Accept")
        return response
    if resource.status == RS.DELETED:
        if fmt != "html":
            response = json_response(
                {"@context": exports.SCHEMA, "identifier": resource.identifier, "error": "gone"},
                410,
                JSONLD if fmt == "jsonld" else "application/json",
            )
        else:
            response = Response(render_template("library/gone.html", resource=resource), 410)
        response.vary.add("Accept")
        return response
    if not can_see_resource(current_user, resource):
        abort(404)
    if fmt != "html":
        response = json_response(
            exports.resource_jsonld(resource), mimetype=JSONLD if fmt == "jsonld" else "application/json"
        )
    else:
        response = Response(
            render_template(
                "library/resource.html",
                resource=resource,
                can_edit=can_edit_resource(current_user, resource),
                can_download=can_download(current_user, resource),
                grant=valid_grant(current_user, resource),
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
    response = json_response(exports.json_dump(), mimetype="application/json")
    response.headers["Content-Disposition"] = "attachment; filename=hub-du-sud-ressources.json"
    return response


# ------------------------------------------------------------------ create and edit


def resource_form(resource: Resource | None) -> ResourceForm:
    form = ResourceForm(obj=resource) if resource else ResourceForm()
    form.resource = resource  # its related resources may not include itself (checked with the fields)
    producers = (
        db.session.scalars(select(Producer).order_by(Producer.name)).all()
        if current_user.is_staff
        else user_producers(current_user)
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


def edit_page(resource: Resource, form=None, upload_form=None, status: int | None = None):
    """The edit page of a resource: its metadata form, its files and their upload forms."""
    form = form or resource_form(resource)
    return render_template(
        "library/resource_form.html",
        form=form,
        resource=resource,
        upload_form=upload_form or UploadForm(),
        version_form=UploadForm(prefix="v"),
        action_form=EmptyForm(),
    ), status or form_status(form)


@bp.route("/bibliotheque/ressources/nouvelle", methods=["GET", "POST"])
@access(Access.LOGIN)
def resource_new():
    if not current_user.is_staff and not user_producers(current_user):
        flash(_("Présentez-vous d'abord comme producteur : une personne ou une structure."), "info")
        return redirect(url_for("library.producer_new"))
    form = resource_form(None)
    if form.validate_on_submit():
        with transaction(form) as tx:
            resource = resource_services.create_resource(current_user, form.values(), publish="publish" in request.form)
        if tx.ok:
            flash(_("Ressource %(id)s enregistrée. Ajoutez-lui ses fichiers.", id=resource.identifier), "success")
            return redirect(url_for("library.resource_edit", ident=resource.identifier))
    return render_template("library/resource_form.html", form=form, resource=None), form_status(form)


@bp.route("/r/<ident>/modifier", methods=["GET", "POST"])
@access(Access.LOGIN)
def resource_edit(ident: str):
    resource = editable_or_404(ident)
    form = resource_form(resource)
    if form.validate_on_submit():
        with transaction(form) as tx:
            resource_services.update_resource(current_user, resource, form.values())
        if tx.ok:
            flash(_("Modifications enregistrées."), "success")
            return redirect(url_for("library.resolve", ident=resource.identifier))
        resource = editable_or_404(ident)  # rolled back: still editable?
    return edit_page(resource, form=form)


STATUS_ACTIONS = {"publish": RS.PUBLISHED, "unpublish": RS.DRAFT, "delete": RS.DELETED, "restore": RS.DRAFT}


@bp.post("/r/<ident>/statut")
@access(Access.LOGIN)
def resource_status(ident: str):
    resource = resource_or_404(ident)
    allowed = can_edit_resource(current_user, resource) and (
        resource.status in EDITABLE or (resource.status == RS.DELETED and current_user.is_staff)
    )
    if not allowed:
        abort(404)
    form = EmptyForm()
    target = STATUS_ACTIONS.get(request.form.get("action", ""))
    if not form.validate_on_submit() or target is None:
        flash(_("Action inconnue ou formulaire expiré."), "error")
        return redirect(url_for("library.resolve", ident=resource.identifier))
    if not resource_services.RESOURCE_STATES.can(resource.status, target):
        flash(_("Cette action n'est pas possible dans l'état actuel de la ressource."), "error")
        return redirect(url_for("library.resolve", ident=resource.identifier))
    with transaction() as tx:
        resource_services.move_resource(current_user, resource, target)
    if not tx.ok:
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
