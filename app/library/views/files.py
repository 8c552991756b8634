"""Files of a resource: upload a file or a new version, remove one, download (paid: with a licence)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.forms import EmptyForm
from app.core.access import Access, access
from app.core.web import load_or_404, transaction
from app.library import storage
from app.library.forms import UploadForm
from app.library.models import Resource, ResourceFile
from app.library.models import ResourceStatus as RS
from app.library.services.files import add_file, add_file_version, file_version, remove_file
from app.library.services.identifiers import final_resource
from app.library.services.rights import can_download, can_see_resource
from app.library.views.common import bp, editable_or_404, resource_or_404
from app.library.views.resources import edit_page


def _upload(resource: Resource, form: UploadForm, do):
    """Store the uploaded file with `do(name, stream)`; a refusal re-renders the edit page with its status."""
    if form.validate_on_submit():
        upload = form.file.data
        with transaction(form) as tx:
            do(upload.filename or "", upload.stream)
        if tx.ok:
            flash(_("Fichier enregistré."), "success")
            return redirect(url_for("library.resource_edit", ident=resource.identifier) + "#fichiers")
        resource = editable_or_404(resource.identifier)
        return edit_page(resource, upload_form=form, status=tx.status)
    return edit_page(resource, upload_form=form, status=422)


@bp.post("/r/<ident>/fichiers")
@access(Access.LOGIN)
def file_add(ident: str):
    resource = editable_or_404(ident)
    return _upload(resource, UploadForm(), lambda name, stream: add_file(current_user, resource, name, stream))


@bp.post("/r/<ident>/fichiers/<int:file_id>/version")
@access(Access.LOGIN)
def file_version_add(ident: str, file_id: int):
    resource = editable_or_404(ident)
    file = load_or_404(ResourceFile, file_id, where=lambda f: f.resource_id == resource.id and f.removed_at is None)
    return _upload(
        resource,
        UploadForm(prefix="v"),
        lambda name, stream: add_file_version(current_user, file, name, stream),
    )


@bp.post("/r/<ident>/fichiers/<int:file_id>/retirer")
@access(Access.LOGIN)
def file_remove(ident: str, file_id: int):
    resource = editable_or_404(ident)
    file = load_or_404(ResourceFile, file_id, where=lambda f: f.resource_id == resource.id)
    if not EmptyForm().validate_on_submit() or request.form.get("action") != "remove":
        flash(_("Action inconnue ou formulaire expiré."), "error")
        return redirect(url_for("library.resource_edit", ident=resource.identifier))
    with transaction() as tx:
        remove_file(current_user, file)
    if tx.ok:
        flash(_("Fichier retiré. Ses versions restent dans l'historique."), "success")
    return redirect(url_for("library.resource_edit", ident=resource.identifier) + "#fichiers")


@bp.get("/r/<ident>/fichiers/<int:file_id>", defaults={"version": None})
@bp.get("/r/<ident>/fichiers/<int:file_id>/v<int:version>")
@access(Access.PUBLIC)
def download(ident: str, file_id: int, version: int | None):
    """A file of a resource. Paid resources: only with a valid licence grant."""
    resource = resource_or_404(ident)
    if resource.status == RS.MERGED:
        survivor = final_resource(resource)
        return redirect(url_for("library.download", ident=survivor.identifier, file_id=file_id, version=version), 301)
    if not can_see_resource(current_user, resource):
        abort(404)
    found = file_version(resource, file_id, version)
    if found is None:
        abort(404)
    if not can_download(current_user, resource):
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
