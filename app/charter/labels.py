"""The public registry of labels: who is labelled, at which level, under which version, meeting which
criteria; its filters, its open data (CSV and JSON with stable identifiers) and the embeddable badge."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from sqlalchemy import select

from app.charter.assessments import SUBJECTS
from app.charter.models import Answer, CharterTheme, Label, LabelStatus
from app.core.models import utcnow
from app.extensions import db

SUBJECT_IDENT_PREFIX = {"provider": "P", "offer": "O", "resource": "R", "organisation": "S"}


@dataclass
class RegistryEntry:
    label: Label
    name: str
    url: str | None
    dep_code: str | None
    criteria_met: list[str] = field(default_factory=list)  # public criterion identifiers answered "yes"

    @property
    def subject_ident(self) -> str:
        """Stable identifier of the subject in the open data: kind and id ("provider:12")."""
        return f"{self.label.subject_kind.value}:{self.label.subject_id}"


def _aware(value: datetime, now: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=now.tzinfo)


def is_valid(label: Label, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return label.status == LabelStatus.ACTIVE and _aware(label.expires_at, now) > now


def label_by_public_id(public_id: str) -> Label | None:
    return db.session.scalar(select(Label).where(Label.public_id == public_id))


def entry_for(label: Label) -> RegistryEntry:
    info = SUBJECTS.get(label.subject_kind)
    name = (info.name(label.subject_id) if info else None) or _("(sujet supprimé)")
    met = sorted((a.criterion.number, a.criterion.ident) for a in label.assessment.answers if a.answer == Answer.YES)
    return RegistryEntry(
        label=label,
        name=name,
        url=info.url(label.subject_id) if info else None,
        dep_code=info.dep_code(label.subject_id) if info else None,
        criteria_met=[ident for _n, ident in met],
    )


def registry(
    territory: str = "", theme: str = "", level: int | None = None, now: datetime | None = None
) -> list[RegistryEntry]:
    """Every valid label, filtered: `territory` a département code, `theme` a theme code (the label reaches
    level 1 at least in that theme; with `level`, at least that level in it), `level` the minimum level."""
    now = now or utcnow()
    labels = db.session.scalars(
        select(Label)
        .where(Label.status == LabelStatus.ACTIVE, Label.expires_at > now)
        .order_by(Label.level.desc(), Label.granted_at.desc(), Label.id)
    ).all()
    out = []
    for label in labels:
        if theme:
            theme_level = int((label.theme_levels or {}).get(theme, 0))
            if theme_level < max(level or 1, 1):
                continue
        elif level and label.level < level:
            continue
        entry = entry_for(label)
        if territory and entry.dep_code != territory:
            continue
        out.append(entry)
    return out


def themes() -> list[CharterTheme]:
    return list(db.session.scalars(select(CharterTheme).order_by(CharterTheme.position, CharterTheme.id)))


OPEN_DATA_FIELDS = (
    "label_id",
    "subject",
    "subject_kind",
    "subject_id",
    "name",
    "level",
    "theme_levels",
    "charter_version",
    "granted_at",
    "expires_at",
    "departement",
    "criteria_met",
    "verification_url",
)


def open_data_rows(entries: list[RegistryEntry], verify_url) -> list[dict]:
    return [
        {
            "label_id": e.label.public_id,
            "subject": e.subject_ident,
            "subject_kind": e.label.subject_kind.value,
            "subject_id": e.label.subject_id,
            "name": e.name,
            "level": e.label.level,
            "theme_levels": dict(sorted((e.label.theme_levels or {}).items())),
            "charter_version": e.label.version.label,
            "granted_at": e.label.granted_at.date().isoformat(),
            "expires_at": e.label.expires_at.date().isoformat(),
            "departement": e.dep_code or "",
            "criteria_met": e.criteria_met,
            "verification_url": verify_url(e.label.public_id),
        }
        for e in entries
    ]


def to_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=OPEN_DATA_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            row
            | {
                "theme_levels": " ".join(f"{k}:{v}" for k, v in row["theme_levels"].items()),
                "criteria_met": " ".join(row["criteria_met"]),
            }
        )
    return buffer.getvalue()


def badge_svg(label: Label, now: datetime | None = None) -> str:
    """A small, self-contained SVG: the level and the validity ("expiré" once it is no longer valid)."""
    now = now or utcnow()
    valid = is_valid(label, now)
    left = _("Charte numérique éthique")
    right = (
        _("niveau %(level)d · jusqu'au %(date)s", level=label.level, date=label.expires_at.strftime("%d/%m/%Y"))
        if valid
        else _("niveau %(level)d · expiré", level=label.level)
    )
    title = _("Label %(id)s de la charte du numérique éthique : %(state)s", id=label.public_id, state=right)
    left_w, right_w = 8 + 6 * len(left), 8 + 6 * len(right)
    width = left_w + right_w
    colour = "#1d6b38" if valid else "#6b6b6b"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="24" viewBox="0 0 {width} 24" '
        f'role="img" aria-labelledby="t">'
        f'<title id="t">{escape(title)}</title>'
        f'<rect width="{left_w}" height="24" fill="#24323f"/>'
        f'<rect x="{left_w}" width="{right_w}" height="24" fill="{colour}"/>'
        f'<g fill="#ffffff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="6" y="16">{escape(left)}</text>'
        f'<text x="{left_w + 6}" y="16">{escape(right)}</text>'
        f"</g></svg>"
    )
