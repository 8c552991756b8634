"""Open data pages: the datasets page, the files themselves, and staff's "generate now"."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from xml.sax.saxutils import escape

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
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
from app.core.access import Access, access
from app.core.jobs import commit, enqueue
from app.core.responses import error_response
from app.core.security import allow_framing_on_this_page, allow_on_this_page
from app.core.urls import absolute_url
from app.core.web import by_column_or_404, form_status, load_or_404, submit_action, transaction
from app.directory import services as directory
from app.directory.vocab import OFFER_CATEGORIES, choices
from app.extensions import db
from app.opendata import exports, imports, structured
from app.opendata import jobs as import_jobs
from app.opendata.forms import PlacesImportForm
from app.opendata.models import ImportBatch, ImportedPlace, PlaceStatus
from app.territory.models import Commune

bp = Blueprint("opendata", __name__)

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@bp.get("/donnees")
@access(Access.PUBLIC)
def datasets():
    manifest = exports.read_manifest()
    files = manifest.get("files", {})
    rows = [
        (dataset, files.get(dataset.filename), _parse(files.get(dataset.filename, {}).get("updated_at")))
        for dataset in exports.DATASETS
    ]
    return render_template(
        "opendata/datasets.html",
        rows=rows,
        generated=bool(files),
        licence=exports.LICENCE,
        licence_url=exports.LICENCE_URL,
        form=EmptyForm(),
    )


def _parse(moment: str | None) -> datetime | None:
    return datetime.fromisoformat(moment) if moment else None


@bp.get("/donnees/<string:filename>")
@access(Access.PUBLIC)
def download(filename: str):
    dataset = exports.BY_FILENAME.get(filename)
    entry = exports.read_manifest().get("files", {}).get(filename) if dataset else None
    path = exports.export_folder() / filename
    if dataset is None or entry is None or not path.exists():
        abort(404)
    updated = datetime.fromisoformat(entry["updated_at"])
    since = request.args.get("depuis")
    if since is None:
        return send_file(
            path,
            mimetype=dataset.mimetype,
            conditional=True,
            etag=entry["sha256"],
            last_modified=updated,
            max_age=300,
        )
    try:
        if not _DAY.match(since):
            raise ValueError(since)
        day = date.fromisoformat(since)
    except ValueError:
        return error_response(
            400,
            _("Date invalide"),
            _("Le paramètre « depuis » attend une date au format AAAA-MM-JJ, par exemple 2026-11-01."),
        )
    body = exports.changed_since(dataset, path.read_bytes(), day)
    response = make_response(body)
    response.mimetype = dataset.mimetype
    response.set_etag(hashlib.sha256(body).hexdigest())
    response.last_modified = updated
    response.cache_control.max_age = 300
    return response.make_conditional(request)


@bp.post("/donnees/generer")
@access(Access.STAFF)
def generate():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    enqueue(exports.run_export_job)  # the "hub" queue, which every worker listens to
    commit()  # in-process (the embedded default): the files are written now; under RQ, by a worker
    flash(_("La génération des fichiers est lancée. Ils seront à jour dans quelques instants."), "success")
    return redirect(url_for("opendata.datasets"))


# ---------------------------------------------------------------- discovery: sitemap and robots.txt


def _xml(body: str):
    response = make_response('<?xml version="1.0" encoding="UTF-8"?>\n' + body)
    response.mimetype = "application/xml"
    return response


def _urlset(urls) -> str:
    items = []
    for loc, updated in urls:
        lastmod = f"<lastmod>{updated.date().isoformat()}</lastmod>" if updated else ""
        items.append(f"<url><loc>{escape(loc)}</loc>{lastmod}</url>")
    return '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "\n".join(items) + "\n</urlset>\n"


@bp.get("/sitemap.xml")
@access(Access.PUBLIC)
def sitemap():
    """One file while the site fits in one; past that, an index of numbered files."""
    pages = structured.sitemap_pages()
    if pages == 1:
        return _xml(_urlset(structured.sitemap_urls(1)))
    entries = "\n".join(
        f"<sitemap><loc>{escape(absolute_url('opendata.sitemap_page', page=n))}</loc></sitemap>"
        for n in range(1, pages + 1)
    )
    return _xml(f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}\n</sitemapindex>\n')


@bp.get("/sitemap-<int:page>.xml")
@access(Access.PUBLIC)
def sitemap_page(page: int):
    if not 1 <= page <= structured.sitemap_pages():
        abort(404)
    return _xml(_urlset(structured.sitemap_urls(page)))


# Private or endless pages: accounts, moderation, needs, the API, search results with parameters.
ROBOTS_DISALLOW = (
    "/espace",
    "/moderation",
    "/besoins",
    "/connexion",
    "/inscription",
    "/mot-de-passe",
    "/api/",
    "/widget",
    "/recherche/suggestions",
)


@bp.get("/robots.txt")
@access(Access.PUBLIC)
def robots():
    lines = [
        "User-agent: *",
        *(f"Disallow: {path}" for path in ROBOTS_DISALLOW),
        "",
        f"Sitemap: {absolute_url('opendata.sitemap')}",
    ]
    response = make_response("\n".join(lines) + "\n")
    response.mimetype = "text/plain"
    return response


# ---------------------------------------------------------------- the embeddable catalogue

WIDGET_DEFAULT_LIMIT = 10
WIDGET_MAX_LIMIT = 50


def departements() -> list[tuple[str, str]]:
    return [
        tuple(row)
        for row in db.session.execute(select(Commune.dep_code, Commune.dep_name).distinct().order_by(Commune.dep_code))
    ]


def widget_filters(args) -> tuple[dict, int, str | None]:
    """(catalogue filters, number of offers, French error or None) from the widget's query string."""
    filters: dict = {}
    dep = (args.get("departement") or "").strip().upper()
    if dep:
        if not re.fullmatch(r"\d{2,3}|2[AB]", dep) or dep not in dict(departements()):
            return {}, 0, _("Département inconnu : indiquez son numéro, par exemple 13 ou 2A.")
        filters["departement"] = dep
    category = (args.get("categorie") or "").strip()
    if category:
        if category not in OFFER_CATEGORIES:
            return {}, 0, _("Catégorie inconnue.")
        filters["category"] = category
    limit = args.get("nombre", "")
    if limit and (not limit.isdigit() or not 1 <= int(limit) <= WIDGET_MAX_LIMIT):
        return {}, 0, _("Le nombre d'offres va de 1 à %(max)d.", max=WIDGET_MAX_LIMIT)
    return filters, int(limit) if limit else WIDGET_DEFAULT_LIMIT, None


@bp.get("/widget")
@access(Access.PUBLIC)
def widget():
    """A light page for partners' iframes: the only page that may be framed by other sites."""
    allow_framing_on_this_page(tuple(current_app.config.get("WIDGET_FRAME_ANCESTORS", "*").split()))
    filters, limit, error = widget_filters(request.args)
    if error:
        return render_template("opendata/widget.html", error=error, offers=[], total=0, filters={}), 400
    offers, total = directory.catalogue(filters, page=1, per_page=limit)
    more = absolute_url(
        "searching.search_page",
        **({"departement": filters["departement"]} if "departement" in filters else {}),
        **({"categorie": filters["category"]} if "category" in filters else {}),
    )
    return render_template("opendata/widget.html", error=None, offers=offers, total=total, filters=filters, more=more)


@bp.get("/donnees/widget")
@access(Access.FUNDER)
def widget_snippet():
    """Staff and partners (funders) build the snippet to paste in their site, and see it live."""
    allow_on_this_page({"frame-src": ("'self'",)})  # the live preview is the widget itself
    filters, limit, error = widget_filters(request.args)
    params = {}
    if not error:
        if "departement" in filters:
            params["departement"] = filters["departement"]
        if "category" in filters:
            params["categorie"] = filters["category"]
        if limit != WIDGET_DEFAULT_LIMIT:
            params["nombre"] = limit
    return render_template(
        "opendata/widget_snippet.html",
        error=error,
        departements=departements(),
        categories=choices(OFFER_CATEGORIES),
        params=params,
        limit=limit or WIDGET_DEFAULT_LIMIT,
        widget_url=absolute_url("opendata.widget", **params),
        widget_base=absolute_url("opendata.widget"),
    ), (400 if error else 200)


# ---------------------------------------------------------------- imports as invitations


@bp.route("/donnees/imports", methods=["GET", "POST"])
@access(Access.STAFF)
def places_import():
    """Staff import a national file; every record becomes a proposed merge or a place to claim."""
    form = PlacesImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read(imports.MAX_IMPORT_BYTES + 1)
        with transaction(form) as tx:
            batch = imports.prepare_import(current_user, upload.filename or "", content)
            import_jobs.store_upload(batch, content)
            enqueue(import_jobs.run_import_job, batch.id)
        if tx.ok:
            return redirect(url_for("opendata.import_report", batch_id=batch.id))
    batches = list(db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(20)))
    return render_template(
        "opendata/imports.html",
        form=form,
        batches=batches,
        places=imports.places_by_status(),
        action_form=EmptyForm(),
        PlaceStatus=PlaceStatus,
    ), form_status(form)


@bp.get("/donnees/imports/<int:batch_id>")
@access(Access.STAFF)
def import_report(batch_id: int):
    batch = load_or_404(ImportBatch, batch_id)
    return render_template("opendata/import_report.html", batch=batch)


@bp.get("/donnees/imports/<int:batch_id>/etat")
@access(Access.STAFF)
def import_progress(batch_id: int):
    """What the report page's progress bar polls while the job runs."""
    batch = load_or_404(ImportBatch, batch_id)
    return {"status": batch.status, "done": batch.done, "total": batch.total}


@bp.post("/donnees/lieux/<int:place_id>/fusion")
@access(Access.STAFF)
def place_merge(place_id: int):
    place = load_or_404(ImportedPlace, place_id)
    if not EmptyForm().validate_on_submit() or request.form.get("action") not in ("confirm", "refuse"):
        abort(400)
    confirm = request.form["action"] == "confirm"
    return submit_action(
        lambda: imports.decide_merge(current_user, place, confirm),
        _("Fusion confirmée.") if confirm else _("Fusion refusée : le lieu attend d'être revendiqué."),
        url_for("opendata.places_import"),
    )


@bp.post("/donnees/lieux/<int:place_id>/revendication")
@access(Access.STAFF)
def place_claim_decision(place_id: int):
    place = load_or_404(ImportedPlace, place_id)
    if not EmptyForm().validate_on_submit() or request.form.get("action") not in ("approve", "refuse"):
        abort(400)
    approve = request.form["action"] == "approve"
    return submit_action(
        lambda: imports.decide_claim(current_user, place, approve),
        _("Revendication acceptée : le lieu est devenu un prestataire.") if approve else _("Revendication refusée."),
        url_for("opendata.places_import"),
    )


@bp.route("/lieux/revendiquer/<string:token>", methods=["GET", "POST"])
@access(Access.LOGIN)
def claim(token: str):
    """The invitation's link: the place's people claim it (at once from the place's own domain)."""
    place = by_column_or_404(ImportedPlace, ImportedPlace.claim_token, token)
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        with transaction() as tx:
            imports.claim_place(current_user, place)
        if tx.ok:
            if place.status == PlaceStatus.CLAIMED:
                flash(
                    _("Votre lieu est maintenant votre fiche prestataire : complétez-la, puis ajoutez vos offres."),
                    "success",
                )
                return redirect(url_for("directory.provider_edit", provider_id=place.provider_id))
            flash(
                _(
                    "Votre demande est enregistrée. Votre adresse n'est pas sur le domaine du lieu : l'équipe du Hub la vérifie."
                ),
                "success",
            )
        return redirect(url_for("opendata.claim", token=token))
    return render_template("opendata/claim.html", place=place, form=form, PlaceStatus=PlaceStatus)
