"""Open data pages: the datasets page, the files themselves, and staff's "generate now"."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from xml.sax.saxutils import escape

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from app.accounts.forms import EmptyForm
from app.core.access import Access, access
from app.core.jobs import commit, enqueue
from app.core.responses import error_response
from app.core.urls import absolute_url
from app.opendata import exports, structured

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
    enqueue(exports.run_export_job, queue="opendata")
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
