"""A person with a life on the hub (structures, needs, a mission, feedback, e-mails, a file), and the
search for any trace of them in every table, every text column and every stored file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import JSON, Enum, String, Text, func, or_, select
from sqlalchemy import cast as sql_cast

from app.core.mail import send_mail
from app.extensions import db

EMAIL = "zoe.martin-lefevre@exemple.fr"
NAME = "Zoé Martin-Lefèvre"
PHONE = "06 12 34 56 78"
PASSWORD = "correct horse battery staple"
PROVIDER_NAME = "Atelier Zéphyrin Numérique"


@dataclass
class Life:
    person: object
    org: object
    provider: object
    colleague_org: object
    open_need: object
    draft_need: object
    mission: object
    other_provider_user: object


def person_with_a_life(factory) -> Life:
    """Zoé: the last member of an organisation and of a provider; a member (with a colleague) of another
    organisation; a need matched and done (feedback given on both sides), an open need, a draft; e-mails
    to her and about her; her phone as a contact."""
    from app.directory.services import update_organisation
    from app.matches.missions import confirm_completion, give_feedback
    from app.matches.requests import request_with_need
    from app.matches.services import respond

    person = factory.user(email=EMAIL, name=NAME, password=PASSWORD)
    org = factory.organisation(owner=person, contact_email=EMAIL, contact_phone=PHONE, name="Les Amis du Vallon")
    colleague = factory.user(name="Camille Collègue")
    colleague_org = factory.organisation(owner=colleague, name="Quartier Solidaire")
    from app.accounts.services import add_membership

    add_membership(person, organisation=colleague_org)
    # her own provider, far from the needs (Nice, no remote work): the engine never proposes it
    provider = factory.provider(
        owner=person,
        name=PROVIDER_NAME,
        commune="06088",
        radius_km=5,
        remote_capable=False,
        contact_email=EMAIL,
        contact_phone=PHONE,
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        bank_holder=NAME,
    )
    factory.offer(provider=provider, title="Tableurs pour débutants", skills=["gestion.collaboratif"])

    other = factory.user(intent="provider", name="Paul Prestataire")
    other_provider = factory.provider(owner=other, name="Médiation du Vallon")
    other_offer = factory.offer(provider=other_provider)
    done_need = factory.need(organisation=org, user=person, contact_name=NAME, contact_email=EMAIL, contact_phone=PHONE)
    # she asked for the offer directly; the provider accepted (no engine run: fast)
    mission = respond(other, request_with_need(person, other_offer, done_need), accept=True)
    confirm_completion(person, mission)
    confirm_completion(other, mission)
    give_feedback(person, mission, 5, f"Merci de la part de {NAME} !")
    give_feedback(other, mission, 4, f"Accueil chaleureux de Zoé ({EMAIL}).")
    open_need = factory.need(organisation=org, user=person, title="Une boutique en ligne", contact_phone=PHONE)
    draft_need = factory.need(organisation=org, user=person, publish=False, title="Brouillon de besoin")
    # a moderated change that names her (kept in the listing's history as JSON)
    update_organisation(person, org, {"description": f"Écrire à {NAME}, {PHONE}."})
    send_mail("equipe@hubdusud.example.org", "Nouvelle structure", f"{NAME} <{EMAIL}> a créé une structure.")
    send_mail(EMAIL, "Bienvenue", "Bonjour !")
    # a file of hers: evidence uploaded for a label assessment of her provider, still a draft
    from app.charter import assessments
    from app.charter.models import SubjectKind
    from tests.charter.labels_helpers import tiny_version

    tiny_version()
    assessment = assessments.open_assessment(person, SubjectKind.PROVIDER, provider.id)
    criterion_id = assessments.applicable_criteria(assessment.version, SubjectKind.PROVIDER)[0].criterion_id
    evidence = assessments.AnswerInput(
        answer="yes", text="", file_bytes=f"Attestation de {NAME}, {EMAIL}".encode(), file_name="attestation.txt"
    )
    assert assessments.save_answers(person, assessment, {criterion_id: evidence}) == {}
    db.session.flush()
    return Life(person, org, provider, colleague_org, open_need, draft_need, mission, other)


def text_columns(table):
    return [c for c in table.columns if isinstance(c.type, String | Text | JSON) and not isinstance(c.type, Enum)]


def traces(values: tuple[str, ...] = (EMAIL, NAME, PHONE)) -> list[str]:
    """Every `table.column: value` in the database that contains one of `values` (case-insensitive;
    JSON columns searched in their text, accents escaped or not). One query per table."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = text_columns(table)
        if not columns:
            continue
        conditions = []
        for column in columns:
            is_json = isinstance(column.type, JSON)
            searched = func.lower(sql_cast(column, Text) if is_json else column)
            needles = {v.lower() for v in values}
            if is_json:
                needles |= {json.dumps(v)[1:-1].lower() for v in values}
            conditions.extend(searched.contains(n, autoescape=True) for n in needles)
        for row in db.session.execute(select(*columns).where(or_(*conditions))).all():
            for column, value in zip(columns, row, strict=True):
                text = (json.dumps(value) if isinstance(column.type, JSON) else str(value or "")).lower()
                if any(v.lower() in text or json.dumps(v)[1:-1].lower() in text for v in values):
                    found.append(f"{table.name}.{column.name}: {value!r}")
    return found


def file_traces(values: tuple[str, ...] = (EMAIL, NAME, PHONE)) -> list[str]:
    root = Path(current_app.config["FILES_DIR"])
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "ignore").lower()
            found.extend(f"{path}: {v}" for v in values if v.lower() in text or v.lower() in path.name.lower())
    return found
