"""The legal pages' versions (publish, read, compare) and the acceptance of the terms of use.

A legal page is never overwritten: staff publish a new version (number + 1) with a summary of what
changed; every version stays readable. The terms of use: each person's accepted version is recorded (at
sign-up, then each time a new version is published and they accept it at their next page)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, select

from app.core.errors import NotFound, ServiceError
from app.core.markdown import render_markdown
from app.core.models import utcnow
from app.extensions import db
from app.legal.facts import insert_facts
from app.legal.models import SLUGS, TERMS, LegalVersion, TermsAcceptance

MAX_BODY = 100_000  # characters of Markdown per language


def _known(slug: str) -> str:
    if slug not in SLUGS:
        raise NotFound(_("Cette page légale n'existe pas."))
    return slug


def current(slug: str) -> LegalVersion | None:
    """The version in force: the last one published."""
    return db.session.scalar(
        select(LegalVersion).where(LegalVersion.slug == _known(slug)).order_by(LegalVersion.number.desc()).limit(1)
    )


def version(slug: str, number: int) -> LegalVersion:
    found = db.session.scalar(
        select(LegalVersion).where(LegalVersion.slug == _known(slug), LegalVersion.number == number)
    )
    if found is None:
        raise NotFound(_("Cette version n'existe pas."))
    return found


def history(slug: str) -> list[LegalVersion]:
    """Every version, the newest first."""
    return list(
        db.session.scalars(
            select(LegalVersion).where(LegalVersion.slug == _known(slug)).order_by(LegalVersion.number.desc())
        )
    )


def _clean(text: str | None) -> str:
    # One kind of line end, no trailing spaces at the end: an edit that changes nothing is seen as such.
    return "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n")).strip() + "\n"


def publish(slug: str, body_fr: str, body_en: str, summary: str, author) -> LegalVersion:
    """A new version of the page, in force from now on (the previous ones stay readable, unchanged)."""
    body_fr, body_en, summary = _clean(body_fr), _clean(body_en), (summary or "").strip()
    if not body_fr.strip():
        raise ServiceError(_("Le texte français est obligatoire."), field="body_fr")
    if len(body_fr) > MAX_BODY or len(body_en) > MAX_BODY:
        raise ServiceError(_("Le texte est trop long (%(n)d caractères au plus).", n=MAX_BODY), field="body_fr")
    if not summary:
        raise ServiceError(_("Dites en une phrase ce qui change."), field="summary")
    previous = current(slug)
    if previous is not None and (previous.body_fr, previous.body_en) == (body_fr, body_en if body_en.strip() else ""):
        raise ServiceError(_("Le texte est identique à la version en vigueur : rien à publier."), field="body_fr")
    new = LegalVersion(
        slug=slug,
        number=(previous.number if previous else 0) + 1,
        body_fr=body_fr,
        body_en=body_en if body_en.strip() else "",
        summary=summary[:300],
        author_id=getattr(author, "id", None),
        published_at=utcnow(),
    )
    db.session.add(new)
    db.session.flush()  # two staff publishing at once: the (slug, number) constraint keeps one
    return new


def render(version: LegalVersion, locale: str) -> tuple[Markup, str]:
    """(sanitised HTML, its language): the body in the reader's language (French when it has no English),
    with its facts inserted (app/legal/facts.py)."""
    markdown, language = version.body(locale)
    return render_markdown(insert_facts(markdown, version, language), heading_ids=True), language


@dataclass
class DiffLine:
    kind: str  # "same", "added", "removed"
    text: str


def diff(old: str, new: str) -> list[DiffLine]:
    """Line by line, what changed from `old` to `new` (Markdown source), as a reader compares two texts."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    lines: list[DiffLine] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            lines.extend(DiffLine("same", line) for line in a[i1:i2])
            continue
        lines.extend(DiffLine("removed", line) for line in a[i1:i2])
        lines.extend(DiffLine("added", line) for line in b[j1:j2])
    return lines


def previous_of(version: LegalVersion) -> LegalVersion | None:
    if version.number <= 1:
        return None
    return db.session.scalar(
        select(LegalVersion).where(LegalVersion.slug == version.slug, LegalVersion.number == version.number - 1)
    )


# ---------------------------------------------------------------- the terms of use, accepted


def current_terms_number() -> int:
    return db.session.scalar(select(func.max(LegalVersion.number)).where(LegalVersion.slug == TERMS)) or 0


def accept_terms(user, number: int | None = None, at: datetime | None = None) -> TermsAcceptance | None:
    """Record that `user` accepts this version of the terms (the one in force by default); None without terms."""
    number = number or current_terms_number()
    if not number:
        return None
    existing = db.session.scalar(
        select(TermsAcceptance).where(TermsAcceptance.user_id == user.id, TermsAcceptance.version_number == number)
    )
    if existing is not None:
        return existing
    acceptance = TermsAcceptance(user_id=user.id, version_number=number, accepted_at=at or utcnow())
    db.session.add(acceptance)
    db.session.flush()
    return acceptance


def accepted_terms_number(user) -> int:
    """The latest version of the terms this person accepted. An account without any record (made before the
    acceptances were recorded, when the sign-up's checkbox accepted the fixed text that became version 1, or
    by the staff's tools) counts as having accepted version 1, or the version in force when it was created if
    newer: it is asked again only when a newer one is published."""
    recorded = db.session.scalar(
        select(func.max(TermsAcceptance.version_number)).where(TermsAcceptance.user_id == user.id)
    )
    if recorded:
        return recorded
    created = getattr(user, "created_at", None)
    in_force_then = 0
    if created is not None:
        in_force_then = (
            db.session.scalar(
                select(func.max(LegalVersion.number)).where(
                    LegalVersion.slug == TERMS, LegalVersion.published_at <= created
                )
            )
            or 0
        )
    return max(1, in_force_then)


def terms_to_accept(user) -> int:
    """The number of the terms version this person must accept before going on (0: nothing to accept)."""
    number = current_terms_number()
    return number if number > accepted_terms_number(user) else 0


def acceptances(user) -> list[TermsAcceptance]:
    return list(
        db.session.scalars(
            select(TermsAcceptance).where(TermsAcceptance.user_id == user.id).order_by(TermsAcceptance.version_number)
        )
    )


def valid_terms_number(number: int | None) -> int:
    """The version a form says the person saw, if it exists; else the one in force."""
    latest = current_terms_number()
    return number if number and 1 <= number <= latest else latest
