"""The observatory's tables for one audience, scope and period: what the pages show (each table with
its chart and CSV), what `/impact` shows (suppressed under 5) and what the funder report files.

One function, `build`, computes them all from `app.observatory.figures`; the pages, the CSV
downloads and the report only lay them out."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import gettext as _

from app.observatory import facts as fx
from app.observatory import figures as fg
from app.observatory import svg
from app.observatory.figures import SUPPRESSED, Period
from app.territory.models import Commune

AUDIENCES = ("staff", "funder", "public")
HOUR_VALUE_CENTS = 1188  # SMIC horaire brut (2025): the value given to an hour of volunteering by default


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list]
    chart: str = ""  # "bars", "line" or "" (table only)
    series: list[int] = field(default_factory=list)  # the columns drawn (label = column 0)
    note: str = ""

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow(["" if v is None else ("<5" if v is SUPPRESSED else v) for v in row])
        return out.getvalue()

    def svg(self):
        if not self.chart:
            return ""
        labels = [str(r[0]) for r in self.rows]
        series = [(self.columns[c], [r[c] for r in self.rows]) for c in self.series]
        draw = svg.line_chart if self.chart == "line" else svg.bar_chart
        return draw(labels, series, title=self.title, desc=self.note or self.title, uid=f"chart-{self.key}")


def _days(value) -> float | object | None:
    if value is SUPPRESSED or value is None:
        return value
    return round(value, 1)


def _pct(value) -> float | object | None:
    if value is SUPPRESSED or value is None:
        return value
    return round(100 * value, 1)


def _dep_names(codes) -> dict[str, str]:
    from sqlalchemy import select

    from app.extensions import db

    rows = db.session.execute(
        select(Commune.dep_code, Commune.dep_name).where(Commune.dep_code.in_(list(codes) or ["-"])).distinct()
    ).all()
    return dict(rows)


def build(facts: fx.Facts, period: Period, audience: str) -> list[Table]:
    if audience not in AUDIENCES:
        raise ValueError(audience)
    public = audience == "public"

    def sup(value, group_size: int):
        """The public page's rule (app.observatory.figures.suppress); staff and funders see every figure."""
        return fg.suppress(value, group_size) if public else value

    tables: list[Table] = []
    cols = [_("Demandes publiées"), _("Avec proposition"), _("Acceptées"), _("Terminées"), _("Annulées")]

    # needs per département (public: each column suppressed under 5, with a second cell when needed)
    by_dep = fg.counts_by_territory(facts.needs, "dep", period)
    names = _dep_names(by_dep)
    columns = {
        f: fg.suppress_counts({k: getattr(c, f) for k, c in by_dep.items()}) if public else None
        for f in fg.Counts.FIELDS
    }
    rows = []
    for dep, counts in by_dep.items():
        values = [columns[f][dep] if public else getattr(counts, f) for f in fg.Counts.FIELDS]
        rows.append([f"{names.get(dep, dep)} ({dep})", *values])
    tables.append(Table("departements", _("Demandes par département"), [_("Département"), *cols], rows, "bars", [1, 4]))

    if not public:
        by_epci = fg.counts_by_territory(facts.needs, "epci", period)
        tables.append(
            Table(
                "epci",
                _("Demandes par intercommunalité (EPCI)"),
                [_("Intercommunalité"), *cols],
                [[fx.epci_name(k), *c.as_dict().values()] for k, c in by_epci.items()],
            )
        )
        by_commune = fg.counts_by_territory(facts.needs, "commune", period)
        commune_names = _commune_names(by_commune)
        tables.append(
            Table(
                "communes",
                _("Demandes par commune"),
                [_("Commune"), *cols],
                [[f"{commune_names.get(k, k)} ({k})", *c.as_dict().values()] for k, c in by_commune.items()],
            )
        )

    # per month
    months = fg.counts_by_month(facts.needs, period)
    month_rows = []
    for start, c in months:
        values = [c.posted, c.completed]
        if public:
            values = [sup(v, v) for v in values]
        month_rows.append([start.strftime("%m/%Y"), *values])
    tables.append(
        Table(
            "mois",
            _("Demandes publiées et terminées, par mois de publication"),
            [_("Mois"), cols[0], cols[3]],
            month_rows,
            "line",
            [1, 2],
        )
    )

    # delays
    delays = fg.delays(facts.needs, period)
    step_names = {
        "first_proposal": _("Jusqu'à la première proposition"),
        "acceptance": _("Jusqu'à l'acceptation"),
        "completion": _("Jusqu'à la fin de la mission"),
    }
    tables.append(
        Table(
            "delais",
            _("Délais depuis la publication de la demande (jours)"),
            [_("Étape"), _("Médiane"), _("90e centile"), _("Demandes")],
            [
                [
                    step_names[k],
                    _days(sup(d.median, d.n)),
                    _days(sup(d.p90, d.n)),
                    sup(d.n, d.n),
                ]
                for k, d in delays.items()
            ],
            "bars",
            [1, 2],
        )
    )

    # answers of providers
    ans = fg.answers(facts.proposals, period)
    n = ans.answered
    tables.append(
        Table(
            "reponses",
            _("Réponses des prestataires aux propositions"),
            [_("Réponse"), _("Nombre"), _("Part (%)")],
            [
                [_("Acceptées"), sup(ans.accepted, n), _pct(sup(ans.acceptance_rate, n))],
                [_("Refusées"), sup(ans.declined, n), _pct(sup(ans.decline_rate, n))],
                [
                    _("Sans réponse à temps"),
                    sup(ans.expired, n),
                    _pct(sup(ans.expired / n if n else None, n)),
                ],
            ],
            "bars",
            [1],
        )
    )
    if audience == "staff":  # reasons are free text written by providers: hub staff only
        tables.append(
            Table(
                "motifs",
                _("Motifs de refus"),
                [_("Motif"), _("Nombre")],
                [[reason or _("(sans motif)"), count] for reason, count in ans.reasons],
            )
        )

    # provider load
    load = fg.provider_load(facts.missions, period)
    tables.append(
        Table(
            "charge",
            _("Charge des prestataires (missions par prestataire)"),
            [_("Missions"), _("Prestataires")],
            [[k, sup(v, v) if public else v] for k, v in load.distribution],
            "bars",
            [1],
            note=_(
                "Part des missions assurée par le dixième le plus sollicité : %(share)s %%",
                share=_text(_pct(sup(load.busiest_tenth_share, load.providers)))
                if load.busiest_tenth_share is not None
                else "—",
            ),
        )
    )

    # satisfaction
    sat = fg.satisfaction(facts.missions, period)
    tables.append(
        Table(
            "satisfaction",
            _("Satisfaction des structures (note de 1 à 5)"),
            [_("Note"), _("Avis")],
            [[k, sup(v, sat.n) if public else v] for k, v in sat.distribution.items()],
            "bars",
            [1],
            note=_(
                "Note moyenne : %(mean)s sur %(n)s avis",
                mean=_fmt_mean(sup(sat.mean, sat.n)),
                n=_text(sup(sat.n, sat.n)),
            ),
        )
    )

    # volunteering
    hour = int(current_app.config.get("OBSERVATORY_HOUR_VALUE_CENTS", HOUR_VALUE_CENTS))
    vol = fg.volunteering(facts.missions, hour, period)
    tables.append(
        Table(
            "benevolat",
            _("Bénévolat"),
            [_("Missions bénévoles terminées"), _("Heures"), _("Valeur (€)")],
            [
                [
                    sup(vol.missions, vol.missions),
                    sup(vol.hours, vol.missions),
                    sup(round(vol.value_cents / 100), vol.missions),
                ]
            ],
            note=_("Heures valorisées à %(euros)s € de l'heure", euros=f"{hour / 100:.2f}".replace(".", ",")),
        )
    )

    # vouchers per funder (public: the network's total only)
    money = fg.vouchers_by_funder(facts.vouchers, facts.completed_mission_ids, period)
    vcols = [
        _("Chèques émis"),
        _("Chèques utilisés"),
        _("Chèques expirés"),
        _("Montant utilisé (€)"),
        _("Missions terminées"),
        _("Coût par mission terminée (€)"),
    ]

    def money_row(label, m: fg.FunderMoney):
        cost = m.cost_per_completed_mission_cents
        return [
            label,
            m.issued,
            m.used,
            m.expired,
            round(m.used_cents / 100),
            m.completed_missions,
            None if cost is None else round(cost / 100),
        ]

    if public:
        total = fg.FunderMoney(0)
        for m in money.values():
            for attr in (
                "issued",
                "issued_cents",
                "used",
                "used_cents",
                "expired",
                "expired_cents",
                "completed_missions",
            ):
                setattr(total, attr, getattr(total, attr) + getattr(m, attr))
        label, issued, used, expired, euros, completed, cost = money_row(_("Tous les financeurs"), total)
        rows = [
            [
                label,
                sup(issued, issued),
                sup(used, used),
                sup(expired, expired),
                sup(euros, used),
                sup(completed, completed),
                sup(cost, completed),
            ]
        ]
    else:
        rows = [money_row(facts.funders.get(fid, str(fid)), m) for fid, m in money.items() if fid in facts.funders]
    tables.append(
        Table("cheques", _("Chèques numériques par financeur"), [_("Financeur"), *vcols], rows, "bars", [1, 2, 3])
    )
    return tables


def _text(value) -> str:
    if value is SUPPRESSED:
        return "<5"
    if value is None:
        return "—"
    return str(value).replace(".", ",") if isinstance(value, float) else str(value)


def _fmt_mean(value) -> str:
    if value is SUPPRESSED:
        return "<5"
    if value is None:
        return "—"
    return f"{value:.1f}".replace(".", ",")


def _commune_names(codes) -> dict[str, str]:
    from sqlalchemy import select

    from app.extensions import db

    return dict(
        db.session.execute(select(Commune.insee, Commune.name).where(Commune.insee.in_(list(codes) or ["-"]))).all()
    )


def default_period(today: date) -> Period:
    """The last twelve months, this one included."""
    months = today.year * 12 + today.month - 1 - 11
    start = date(months // 12, months % 12 + 1, 1)
    return Period(start, Period.month(today.year, today.month).end)


def parse_period(start: str | None, end: str | None, today: date) -> Period:
    """`du`/`au` as YYYY-MM (months, both included); anything else: the default period. Raises
    ValueError for a period that ends before it starts or spans more than 10 years."""
    if not start and not end:
        return default_period(today)
    try:
        y1, m1 = (int(x) for x in (start or "").split("-"))
        y2, m2 = (int(x) for x in (end or start or "").split("-"))
        period = Period(Period.month(y1, m1).start, Period.month(y2, m2).end)
    except (ValueError, TypeError) as error:
        raise ValueError("period") from error
    if period.end <= period.start or (period.end - period.start).days > 3660:
        raise ValueError("period")
    return period
