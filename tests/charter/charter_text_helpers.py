"""A small charter for the tests: two themes, v1 with three criteria, a committee member, and a consultation
on v1 (open by default)."""

from __future__ import annotations

from datetime import timedelta

from app.charter import text
from app.core.models import utcnow
from app.extensions import db

CRITERIA = [
    ("libre", "Les outils recommandés sont des logiciels libres.", "La liste des outils."),
    ("libre", "Les supports sont publiés sous licence libre.", "Un lien vers un support."),
    ("donnees", "Seules les données nécessaires sont collectées.", "Le registre des traitements."),
]


def make_v1(staff):
    themes = {
        "libre": text.create_theme("libre", "Logiciels libres et licences libres", position=0),
        "donnees": text.create_theme("donnees", "Données personnelles", position=1),
    }
    version = text.new_draft()
    for code, wording, evidence in CRITERIA:
        text.add_criterion(version, themes[code], {"wording": wording, "evidence": evidence, "weight": 2})
    db.session.refresh(version)
    return text.adopt_version(staff, version, "Première version."), themes


def charter_text_world(factory, *, open_now: bool = True) -> dict:
    staff = factory.staff()
    version, themes = make_v1(staff)
    member = factory.user(name="Nadia Comité")
    text.grant_committee(staff, member.email)
    now = utcnow()
    opens = now - timedelta(days=1) if open_now else now + timedelta(days=2)
    consultation = text.open_consultation(
        member, {"title": "Révision", "opens_at": opens, "closes_at": now + timedelta(days=10)}
    )
    factory.session.flush()
    return {
        "staff": staff,
        "committee": member,
        "version": version,
        "themes": themes,
        "consultation": consultation,
        "criteria": {vc.criterion.number: vc for vc in version.criteria},
    }
