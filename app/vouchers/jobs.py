"""The daily voucher job: `flask hub vouchers-expiry` runs it by hand (or from cron), and with
RQ it is `app.core.jobs.run_job("app.vouchers.jobs:run_expiry")` on the "hub" queue, once a day.

`payments.vouchers.run_expiry` blocks vouchers 15 days before expiry and expires them at the
end (their value goes back to the funder's credit in the ledger); here, the vouchers it marks
for warning (30 days before expiry, once) are announced to their holders and to the funders.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask_babel import gettext as _

from app.core.mail import send_mail
from app.core.urls import absolute_url
from app.directory.models import Organisation
from app.extensions import db
from app.ledger import VoucherProgramme
from app.vouchers.funders import PARIS, euros
from app.vouchers.models import Funder
from payments import vouchers as pv
from payments.rules import utc


def _day(value: datetime) -> str:
    return utc(value).astimezone(PARIS).strftime("%d/%m/%Y")


def run_expiry(now: datetime | None = None) -> dict:
    """Flushes; the caller (CLI, job runner) commits."""
    report = pv.run_expiry(db.session, now=now)
    emails = 0
    by_organisation: dict[int, list] = defaultdict(list)
    by_programme: dict[int, list] = defaultdict(list)
    for voucher in report.to_warn:
        by_organisation[voucher.organisation_id].append(voucher)
        by_programme[voucher.programme_id].append(voucher)
    for organisation_id, vouchers in by_organisation.items():
        org = db.session.get(Organisation, organisation_id)
        if org is None:
            continue
        recipients = {m.user.email for m in org.memberships} | ({org.contact_email} if org.contact_email else set())
        lines = "\n".join(f"- {v.code} ({euros(v.face_value_cents)}) : {_day(v.expires_at)}" for v in vouchers)
        for email in sorted(recipients):
            send_mail(
                email,
                _("Vos chèques d'accompagnement numérique expirent bientôt — Hub du Sud"),
                _(
                    "Bonjour,\n\nCes chèques de %(org)s expirent bientôt ; ils ne peuvent plus être réservés "
                    "15 jours avant leur date d'expiration :\n%(lines)s\n\nDécrivez un besoin financé par chèque "
                    "pour les utiliser : %(url)s",
                    org=org.name,
                    lines=lines,
                    url=absolute_url("vouchers.my_vouchers"),
                ),
            )
            emails += 1
    for programme_id, vouchers in by_programme.items():
        programme = db.session.get(VoucherProgramme, programme_id)
        funder = db.session.get(Funder, programme.funder_id) if programme is not None else None
        if funder is None:
            continue
        recipients = {m.user.email for m in funder.members} | (
            {funder.contact_email} if funder.contact_email else set()
        )
        for email in sorted(recipients):
            send_mail(
                email,
                _("Des chèques de « %(name)s » expirent dans 30 jours", name=programme.name),
                _(
                    "Bonjour,\n\n%(n)d chèque(s) du programme « %(name)s » (%(value)s) expirent dans 30 jours "
                    "sans avoir été utilisés. À l'expiration, leur valeur vous revient (crédit financeur).\n"
                    "Suivi du programme : %(url)s",
                    n=len(vouchers),
                    name=programme.name,
                    value=euros(sum(v.face_value_cents for v in vouchers)),
                    url=absolute_url("vouchers.programme_detail", programme_id=programme.id),
                ),
            )
            emails += 1
    return {
        "warned": len(report.to_warn),
        "blocked": len(report.blocked),
        "expired": len(report.expired),
        "skipped": len(report.skipped),
        "emails": emails,
    }
