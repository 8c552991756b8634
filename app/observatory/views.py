"""The observatory's pages: hub staff (everything, with the coverage map), a funder (its programmes and
the territories it funds), the public impact page (aggregated, groups under 5 suppressed); each table
as CSV. Views parse the period, pick the scope, call `report.build`, render."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import format_datetime, format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from app.core.access import Access, access
from app.core.errors import ServiceError
from app.core.inputs import parse_id
from app.core.models import utcnow
from app.observatory import exports, report, svg
from app.observatory import facts as fx
from app.observatory.figures import SUPPRESSED
from app.observatory.jobs import build_report
from app.observatory.services import current_coverage, group_label
from app.vouchers.funders import funders_of

bp = Blueprint("observatory", __name__)


@bp.context_processor
def _helpers():
    return {"suppressed": SUPPRESSED, "format_figure": format_figure}


def format_figure(value) -> str:
    """12 345,5 in French, 12,345.5 in English (the reader's locale)."""
    if isinstance(value, float) and value != int(value):
        return format_decimal(round(value, 1), format="#,##0.0")
    return format_decimal(int(value), format="#,##0")


def _period():
    try:
        return report.parse_period(request.args.get("du"), request.args.get("au"), utcnow().date())
    except ValueError as error:
        raise ServiceError(_("Période invalide : indiquez les mois sous la forme AAAA-MM.")) from error


def _funder_scope():
    """The funders the user acts for, or the one chosen among them (`financeur`); hub staff: any."""
    mine = funders_of(current_user)
    wanted = parse_id(request.args.get("financeur"))
    if wanted is not None:
        mine = [f for f in mine if f.id == wanted]
        if not mine:
            abort(404)
    return mine, fx.funder_scope({f.id for f in mine})


def _tables(scope: fx.Scope, audience: str, period):
    return report.build(fx.load(scope), period, audience)


def _csv(tables, key: str, filename: str) -> Response:
    table = next((t for t in tables if t.key == key), None)
    if table is None:
        abort(404)
    response = Response("\ufeff" + table.csv(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}-{key}.csv"'
    return response


def _coverage_view(group: str | None = None):
    """The coverage snapshot, and its map: without `group`, the open needs no provider can serve per
    commune; with a skill group, where its providers can come on site, only remotely, or not at all
    (communes with open needs of the group outlined)."""
    coverage = current_coverage()
    white = coverage.white_zones()
    groups = [(code, group_label(code)) for code in coverage.groups]
    if group is not None and group not in coverage.groups:
        abort(404)
    if group is None:
        unserved = {}
        for row in white:
            unserved[row["insee"]] = unserved.get(row["insee"], 0) + row["open_needs"]
        covered_none = {p.insee for i, p in enumerate(coverage.places) if (coverage.providers[i] == 0).all()}
        drawing = svg.commune_map(
            fx.outlines(),
            {p.insee: 0 for p in coverage.places} | unserved,
            title=_("Zones blanches : demandes ouvertes sans prestataire possible, par commune"),
            desc=_("%(n)s communes avec des demandes ouvertes qu'aucun prestataire ne peut servir", n=len(unserved)),
            classes=[
                (0, _("Aucune demande non servie")),
                (1, _("1 demande non servie")),
                (2, _("2 à 4")),
                (5, _("5 ou plus")),
            ],
            highlight=covered_none,
        )
    else:
        j = coverage.groups.index(group)
        reach = {
            p.insee: 0 if coverage.providers[i, j] == 0 else (1 if coverage.onsite[i, j] == 0 else 2)
            for i, p in enumerate(coverage.places)
        }
        with_needs = {p.insee for i, p in enumerate(coverage.places) if coverage.open_needs[i, j] > 0}
        drawing = svg.commune_map(
            fx.outlines(),
            reach,
            title=_("Couverture : %(group)s", group=dict(groups)[group]),
            desc=_(
                "%(none)s communes sans prestataire, %(remote)s servies à distance seulement",
                none=sum(1 for v in reach.values() if v == 0),
                remote=sum(1 for v in reach.values() if v == 1),
            ),
            classes=[
                (0, _("Aucun prestataire possible")),
                (1, _("À distance seulement")),
                (2, _("Intervention sur place possible")),
            ],
            colors=("#d7301f", "#fdd49e", "#e8f1f8"),
            highlight=with_needs,
        )
    per_group = [
        (
            code,
            label,
            int((coverage.providers[:, j] == 0).sum()),
            int((coverage.onsite[:, j] == 0).sum()),
            int(coverage.open_needs[:, j].sum()),
        )
        for j, (code, label) in enumerate(groups)
    ]
    return coverage, white, drawing, per_group, dict(groups)


@bp.get("/observatoire/")
@access(Access.STAFF)
def staff_page():
    period = _period()
    group = request.args.get("groupe") or None
    coverage, white, drawing, per_group, labels = _coverage_view(group)
    return render_template(
        "observatory/page.html",
        audience="staff",
        period=period,
        tables=_tables(fx.Scope(), "staff", period),
        coverage=coverage,
        white=white[:200],
        white_total=len(white),
        map_svg=drawing,
        coverage_when=format_datetime(coverage.computed_at, "short") if coverage.computed_at else "—",
        per_group=per_group,
        map_group=group,
        group_labels=labels,
        csv_endpoint="observatory.staff_csv",
        csv_args={},
    )


@bp.get("/observatoire/<key>.csv")
@access(Access.STAFF)
def staff_csv(key: str):
    if key == "zones-blanches":
        white = current_coverage().white_zones()
        rows = [
            [r["insee"], r["name"], r["dep"], r["population"], group_label(r["group"]), r["open_needs"]] for r in white
        ]
        table = report.Table(
            key,
            "",
            [
                _("Code INSEE"),
                _("Commune"),
                _("Département"),
                _("Population"),
                _("Compétences"),
                _("Demandes ouvertes"),
            ],
            rows,
        )
        return _csv([table], key, "observatoire")
    return _csv(_tables(fx.Scope(), "staff", _period()), key, "observatoire")


@bp.get("/financeur/observatoire/")
@access(Access.FUNDER)
def funder_page():
    period = _period()
    funders, scope = _funder_scope()
    return render_template(
        "observatory/page.html",
        audience="funder",
        period=period,
        funders=funders,
        scope=scope,
        tables=_tables(scope, "funder", period),
        csv_endpoint="observatory.funder_csv",
        csv_args={"financeur": request.args.get("financeur")} if request.args.get("financeur") else {},
    )


@bp.get("/financeur/observatoire/<key>.csv")
@access(Access.FUNDER)
def funder_csv(key: str):
    _funders, scope = _funder_scope()
    return _csv(_tables(scope, "funder", _period()), key, "financeur")


@bp.get("/impact")
@access(Access.PUBLIC)
def impact():
    period = _period()
    return render_template(
        "observatory/page.html",
        audience="public",
        period=period,
        tables=_tables(fx.Scope(), "public", period),
        csv_endpoint="observatory.impact_csv",
        csv_args={},
    )


@bp.get("/impact/<key>.csv")
@access(Access.PUBLIC)
def impact_csv(key: str):
    return _csv(_tables(fx.Scope(), "public", _period()), key, "impact")


@bp.get("/financeur/observatoire/rapport.<fmt>")
@access(Access.FUNDER)
def funder_report(fmt: str):
    """The report of one funder (`financeur`, required when the user acts for several) for the period,
    as PDF or ODS: the same tables as the page."""
    if fmt not in ("pdf", "ods"):
        abort(404)
    period = _period()
    funders, _scope = _funder_scope()
    if len(funders) != 1:
        raise ServiceError(_("Choisissez le financeur du rapport."))
    built = build_report(funders[0], period)
    body, mime = (built.pdf, exports.PDF_MIME) if fmt == "pdf" else (built.ods, exports.ODS_MIME)
    response = Response(body, mimetype=mime)
    name = f"rapport-{funders[0].id}-{period.start:%Y-%m}.{fmt}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
