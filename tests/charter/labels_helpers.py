"""Helpers of the labels' tests: a tiny adopted charter version (helper chtext builds the real text), and a
provider assessed and submitted through the services."""

from __future__ import annotations

from app.charter import assessments as svc
from app.charter.models import (
    CharterTheme,
    CharterVersion,
    CommitteeMember,
    Criterion,
    SubjectKind,
    VersionCriterion,
    VersionStatus,
)
from app.core.models import utcnow
from app.extensions import db

ALL = [SubjectKind.PROVIDER.value, SubjectKind.OFFER.value, SubjectKind.RESOURCE.value]


def tiny_version(number: int = 1, changed_wording: str | None = None) -> CharterVersion:
    """v1: two themes, four criteria (C1..C4). A later number copies the previous one, C2 reworded if asked."""
    libre = db.session.query(CharterTheme).filter_by(code="libre").first()
    if libre is None:
        libre = CharterTheme(code="libre", name="Logiciels et licences libres", position=1)
        donnees = CharterTheme(code="donnees", name="Données personnelles", position=2)
        db.session.add_all([libre, donnees])
        db.session.flush()
        criteria = [
            Criterion(number=1, theme=libre),
            Criterion(number=2, theme=libre),
            Criterion(number=3, theme=donnees),
            Criterion(number=4, theme=donnees),
        ]
        db.session.add_all(criteria)
        db.session.flush()
    else:
        criteria = db.session.query(Criterion).order_by(Criterion.number).all()
    version = CharterVersion(number=number, status=VersionStatus.ADOPTED, adopted_at=utcnow(), summary="test")
    wordings = {
        1: "Les outils utilisés sont des logiciels libres.",
        2: changed_wording or "Les productions sont publiées sous licence libre.",
        3: "Aucune donnée personnelle n'est revendue.",
        4: "Les données sont hébergées en Europe.",
    }
    for position, criterion in enumerate(criteria):
        version.criteria.append(
            VersionCriterion(
                criterion=criterion,
                wording=wordings[criterion.number],
                evidence="Une page publique",
                applies_to=ALL,
                weight=2 if criterion.number == 1 else 1,
                position=position,
            )
        )
    db.session.add(version)
    db.session.flush()
    return version


def committee(factory, name="Membre du comité"):
    user = factory.user(name=name)
    db.session.add(CommitteeMember(user_id=user.id))
    db.session.flush()
    return user


def answer_all(user, assessment, answer="yes"):
    inputs = {
        vc.criterion_id: svc.AnswerInput(answer=answer, text="Voir notre site")
        for vc in svc.applicable_criteria(assessment.version, assessment.subject_kind)
    }
    assert svc.save_answers(user, assessment, inputs) == {}


def submitted_provider(factory, answer="yes", **provider_values):
    owner = factory.user(intent="provider")
    provider = factory.provider(owner=owner, **provider_values)
    assessment = svc.open_assessment(owner, SubjectKind.PROVIDER, provider.id)
    answer_all(owner, assessment, answer)
    svc.submit(owner, assessment)
    return owner, provider, assessment
