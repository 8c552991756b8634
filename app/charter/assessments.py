"""Assessments, reviews and labels: the rules (the views only call these).

- A subject (a provider, an offer, a knowledge-base resource) is assessed by the members of its structure
  against the current version (the adopted `CharterVersion` with the highest number), criterion by
  criterion: those whose `applies_to` names the subject's kind. An offer not assessed on its own inherits
  its provider's label (`registry.offer_levels`).
- Subjects are known through `SUBJECTS`, one `SubjectKindInfo` per kind. Providers and offers are defined
  here (directory is below charter); resources belong to the knowledge base, which sits *above* charter in
  the layers, so `app.library.charter_subject.register()` adds them at app start (charter never imports
  library). Evidence files are checked by the same detector, registered the same way (`FILE_DETECTOR`).
- Submitting computes the level (`levels.compute_levels`). Two reviewers validate: committee members (or
  hub staff) or members of a labelled provider, never the applicant nor a member of the applicant's
  structure. A request for changes (comment required) sends the assessment back; two validations in the
  same round grant a `Label`, valid one year, and send `signals.label_granted`.
- When a version is adopted (`signals.version_adopted`), holders of labels under older versions are
  invited to re-assess; their labels stay valid until they expire. `run_label_expiry` (the daily job)
  warns 30 days before expiry, once, and expires labels (`signals.label_ended`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.accounts.models import User
from app.charter import signals
from app.charter.levels import THRESHOLDS, Scored, compute_levels
from app.charter.models import (
    Answer,
    Assessment,
    AssessmentAnswer,
    AssessmentReview,
    AssessmentStatus,
    CharterEvent,
    CharterVersion,
    CommitteeMember,
    Label,
    LabelStatus,
    ReviewDecision,
    SubjectKind,
    VersionCriterion,
    VersionStatus,
)
from app.charter.registry import active_labels
from app.core.errors import NotFound, ServiceError
from app.core.mail import send_mail
from app.core.models import utcnow
from app.core.urls import absolute_url
from app.directory.models import Offer, Provider
from app.extensions import db

LABEL_VALIDITY = timedelta(days=365)
EXPIRY_WARNING = timedelta(days=30)
VALIDATIONS_NEEDED = 2
MAX_EVIDENCE_TEXT = 4000
MAX_EVIDENCE_FILE = 10 * 1024 * 1024

ANSWER_LABELS = {
    Answer.YES: _l("Oui"),
    Answer.PARTLY: _l("En partie"),
    Answer.NO: _l("Non"),
    Answer.NOT_APPLICABLE: _l("Non applicable"),
}
STATUS_LABELS = {
    AssessmentStatus.DRAFT: _l("brouillon"),
    AssessmentStatus.SUBMITTED: _l("en relecture"),
    AssessmentStatus.CHANGES_REQUESTED: _l("modifications demandées"),
    AssessmentStatus.VALIDATED: _l("validée"),
    AssessmentStatus.WITHDRAWN: _l("retirée"),
}
KIND_LABELS = {
    SubjectKind.PROVIDER: _l("prestataire"),
    SubjectKind.OFFER: _l("offre"),
    SubjectKind.RESOURCE: _l("ressource"),
    SubjectKind.ORGANISATION: _l("structure"),
}


@dataclass(frozen=True)
class SubjectKindInfo:
    """How charter reads one kind of subject without owning it."""

    member_ids: Callable[[int], set[int] | None]  # user ids of the structure's members; None: no such subject
    name: Callable[[int], str | None]
    url: Callable[[int], str | None]
    dep_code: Callable[[int], str | None]  # the département, for the registry's territory filter
    subjects_of: Callable[[object], list[tuple[int, str]]]  # (id, name) this user may assess


SUBJECTS: dict[SubjectKind, SubjectKindInfo] = {}
#: `detect(path, filename) -> (mime type, extension agrees with content: bool | None) | None` (None: refused)
FILE_DETECTOR: list[Callable[[Path, str], tuple[str, bool | None] | None]] = []


def register_subject(kind: SubjectKind, info: SubjectKindInfo) -> None:
    SUBJECTS[kind] = info


def register_file_detector(detect: Callable[[Path, str], tuple[str, bool | None] | None]) -> None:
    FILE_DETECTOR[:] = [detect]


# --- providers and offers (directory is below charter) ---------------------------------------------


def _provider(pid: int) -> Provider | None:
    return db.session.get(Provider, pid)


def _offer(oid: int) -> Offer | None:
    return db.session.get(Offer, oid)


def _provider_members(pid: int) -> set[int] | None:
    provider = _provider(pid)
    return None if provider is None else {m.user_id for m in provider.memberships}


def _offer_members(oid: int) -> set[int] | None:
    offer = _offer(oid)
    return None if offer is None else {m.user_id for m in offer.provider.memberships}


def _providers_of(user) -> list[tuple[int, str]]:
    return [(p.id, p.name) for p in (_provider(pid) for pid in sorted(user.provider_ids)) if p is not None]


def _offers_of(user) -> list[tuple[int, str]]:
    if not user.provider_ids:
        return []
    offers = db.session.scalars(select(Offer).where(Offer.provider_id.in_(user.provider_ids)).order_by(Offer.id))
    return [(o.id, o.title) for o in offers]


def _url(endpoint: str, arg: str) -> Callable[[int], str | None]:
    def build(subject_id: int) -> str | None:
        return url_for(endpoint, **{arg: subject_id})

    return build


register_subject(
    SubjectKind.PROVIDER,
    SubjectKindInfo(
        member_ids=_provider_members,
        name=lambda pid: p.name if (p := _provider(pid)) else None,
        url=_url("directory.provider_detail", "provider_id"),
        dep_code=lambda pid: p.commune.dep_code if (p := _provider(pid)) else None,
        subjects_of=_providers_of,
    ),
)
register_subject(
    SubjectKind.OFFER,
    SubjectKindInfo(
        member_ids=_offer_members,
        name=lambda oid: o.title if (o := _offer(oid)) else None,
        url=_url("directory.offer_detail", "offer_id"),
        dep_code=lambda oid: o.provider.commune.dep_code if (o := _offer(oid)) else None,
        subjects_of=_offers_of,
    ),
)


def subject_info(kind: SubjectKind) -> SubjectKindInfo:
    info = SUBJECTS.get(kind)
    if info is None:
        raise NotFound(_("Ce type de sujet ne peut pas être évalué."))
    return info


# --- the text -------------------------------------------------------------------------------------------


def current_version() -> CharterVersion | None:
    """The adopted version with the highest number (None before the first one)."""
    return db.session.scalars(
        select(CharterVersion)
        .where(CharterVersion.status == VersionStatus.ADOPTED)
        .order_by(CharterVersion.number.desc())
        .limit(1)
    ).first()


def applicable_criteria(version: CharterVersion, kind: SubjectKind) -> list[VersionCriterion]:
    return [vc for vc in version.criteria if kind.value in (vc.applies_to or [])]


def changed_criteria(old: CharterVersion | None, new: CharterVersion) -> set[int]:
    """Criterion ids added or changed in `new` since `old` (wording, evidence, subjects or weight)."""
    if old is None or old.id == new.id:
        return set()
    before = {vc.criterion_id: vc for vc in old.criteria}
    changed = set()
    for vc in new.criteria:
        previous = before.get(vc.criterion_id)
        if previous is None or (
            previous.wording,
            previous.evidence,
            sorted(previous.applies_to or []),
            previous.weight,
        ) != (
            vc.wording,
            vc.evidence,
            sorted(vc.applies_to or []),
            vc.weight,
        ):
            changed.add(vc.criterion_id)
    return changed


def _event(actor, kind: str, entity_id: int, action: str, reason: str = "", **details) -> None:
    db.session.add(
        CharterEvent(
            actor_id=getattr(actor, "id", None),
            entity_kind=kind,
            entity_id=entity_id,
            action=action,
            reason=reason,
            details=details,
        )
    )


# --- assessing ------------------------------------------------------------------------------------------


def members_of(kind: SubjectKind, subject_id: int) -> set[int]:
    members = subject_info(kind).member_ids(subject_id)
    if members is None:
        raise NotFound(_("Sujet introuvable."))
    return members


def can_assess(user, kind: SubjectKind, subject_id: int) -> bool:
    if not getattr(user, "is_authenticated", False) or kind not in SUBJECTS:
        return False
    members = SUBJECTS[kind].member_ids(subject_id)
    return members is not None and user.id in members


def assessable_subjects(user) -> list[tuple[SubjectKind, int, str]]:
    out = []
    for kind, info in SUBJECTS.items():
        out += [(kind, sid, name) for sid, name in info.subjects_of(user)]
    return out


def latest_assessment(kind: SubjectKind, subject_id: int) -> Assessment | None:
    return db.session.scalars(
        select(Assessment)
        .where(Assessment.subject_kind == kind, Assessment.subject_id == subject_id)
        .order_by(Assessment.id.desc())
        .limit(1)
    ).first()


def open_assessment(user, kind: SubjectKind, subject_id: int) -> Assessment:
    """The assessment the user works on: the pending one of this subject, else a new draft on the
    current version. Not a member of the subject's structure: NotFound."""
    if not can_assess(user, kind, subject_id):
        raise NotFound(_("Sujet introuvable."))
    version = current_version()
    if version is None:
        raise ServiceError(_("La charte n'a pas encore de version adoptée : l'évaluation n'est pas ouverte."))
    latest = latest_assessment(kind, subject_id)
    if latest is not None and latest.status in (
        AssessmentStatus.DRAFT,
        AssessmentStatus.SUBMITTED,
        AssessmentStatus.CHANGES_REQUESTED,
    ):
        if latest.status != AssessmentStatus.SUBMITTED and latest.version_id != version.id:
            latest.version = version  # a pending draft moves to the current version
            db.session.flush()
        return latest
    assessment = Assessment(subject_kind=kind, subject_id=subject_id, version=version, applicant_id=user.id)
    db.session.add(assessment)
    db.session.flush()
    _event(user, "assessment", assessment.id, "created", subject=kind.value, subject_id=subject_id)
    return assessment


def label_of(kind: SubjectKind, subject_id: int) -> Label | None:
    """The subject's active label; an offer without one of its own shows its provider's."""
    label = active_labels(kind, [subject_id]).get(subject_id)
    if label is None and kind == SubjectKind.OFFER and (offer := _offer(subject_id)) is not None:
        label = active_labels(SubjectKind.PROVIDER, [offer.provider_id]).get(offer.provider_id)
    return label


def highlighted_criteria(assessment: Assessment) -> set[int]:
    """The criteria changed since the version of the subject's current label (re-assessment)."""
    label = active_labels(assessment.subject_kind, [assessment.subject_id]).get(assessment.subject_id)
    if label is None or label.version_id == assessment.version_id:
        return set()
    return changed_criteria(label.version, assessment.version)


def valid_evidence_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in url)


@dataclass
class AnswerInput:
    answer: str
    text: str = ""
    url: str = ""
    file_name: str = ""
    file_bytes: bytes | None = None


def _check_file(data: bytes, filename: str) -> tuple[str, str]:
    """(mime type, extension) of a valid evidence file, or ServiceError."""
    if len(data) > MAX_EVIDENCE_FILE:
        raise ServiceError(_("Le fichier dépasse 10 Mo."))
    if not FILE_DETECTOR:
        raise ServiceError(_("Les pièces jointes ne sont pas acceptées pour l'instant."))
    folder = Path(current_app.config["FILES_DIR"]) / "charter"
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / f"tmp-{secrets.token_hex(8)}"
    probe.write_bytes(data)
    try:
        found = FILE_DETECTOR[0](probe, filename)
    finally:
        probe.unlink(missing_ok=True)
    if found is None:
        raise ServiceError(_("Ce type de fichier n'est pas accepté (PDF, image, document bureautique ou texte)."))
    mime, agrees = found
    if agrees is False:
        raise ServiceError(_("Le fichier ne correspond pas à son extension : son contenu est d'un autre type."))
    return mime, Path(filename).suffix.lower()


def save_answers(user, assessment: Assessment, inputs: dict[int, AnswerInput]) -> dict[str, str]:
    """Checks every answer first; any error: nothing is saved, {criterion ident: French message}."""
    if assessment.applicant_id is not None and not can_assess(user, assessment.subject_kind, assessment.subject_id):
        raise NotFound(_("Évaluation introuvable."))
    if assessment.status not in (AssessmentStatus.DRAFT, AssessmentStatus.CHANGES_REQUESTED):
        raise ServiceError(_("Cette évaluation est en relecture : elle ne peut plus être modifiée."))
    criteria = {vc.criterion_id: vc for vc in applicable_criteria(assessment.version, assessment.subject_kind)}
    errors: dict[str, str] = {}
    checked: dict[int, tuple[AnswerInput, tuple[str, str] | None]] = {}
    for criterion_id, item in inputs.items():
        vc = criteria.get(criterion_id)
        if vc is None:
            continue
        ident = vc.criterion.ident
        if not item.answer:
            continue
        if item.answer not in {a.value for a in Answer}:
            errors[ident] = _("Réponse inconnue.")
            continue
        if len(item.text) > MAX_EVIDENCE_TEXT:
            errors[ident] = _("La preuve dépasse %(n)d caractères.", n=MAX_EVIDENCE_TEXT)
            continue
        if item.url and not valid_evidence_url(item.url.strip()):
            errors[ident] = _("L'adresse de la preuve doit être une adresse web complète (http:// ou https://).")
            continue
        file_info = None
        if item.file_bytes:
            try:
                file_info = _check_file(item.file_bytes, item.file_name)
            except ServiceError as error:
                errors[ident] = str(error.message)
                continue
        checked[criterion_id] = (item, file_info)
    if errors:
        return errors
    existing = {a.criterion_id: a for a in assessment.answers}
    folder = Path(current_app.config["FILES_DIR"]) / "charter"
    for criterion_id, (item, file_info) in checked.items():
        row = existing.get(criterion_id)
        if row is None:
            row = AssessmentAnswer(criterion_id=criterion_id, answer=Answer(item.answer))
            assessment.answers.append(row)
        row.answer = Answer(item.answer)
        row.evidence_text = item.text.strip()
        row.evidence_url = item.url.strip()
        if file_info is not None and item.file_bytes:
            stored = f"{secrets.token_hex(16)}{file_info[1]}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / stored).write_bytes(item.file_bytes)
            row.evidence_file, row.evidence_file_name, row.evidence_file_type = (
                stored,
                item.file_name[:255],
                file_info[0],
            )
    db.session.flush()
    return {}


def score(assessment: Assessment) -> tuple[int, dict[str, int]]:
    by_criterion = {vc.criterion_id: vc for vc in assessment.version.criteria}
    return compute_levels(
        Scored(theme=vc.criterion.theme.code, weight=vc.weight, answer=a.answer)
        for a in assessment.answers
        if (vc := by_criterion.get(a.criterion_id)) is not None
    )


def submit(user, assessment: Assessment) -> Assessment:
    if not can_assess(user, assessment.subject_kind, assessment.subject_id):
        raise NotFound(_("Évaluation introuvable."))
    if assessment.status not in (AssessmentStatus.DRAFT, AssessmentStatus.CHANGES_REQUESTED):
        raise ServiceError(_("Cette évaluation est déjà en relecture."))
    answered = {a.criterion_id for a in assessment.answers}
    missing = [
        vc.criterion.ident
        for vc in applicable_criteria(assessment.version, assessment.subject_kind)
        if vc.criterion_id not in answered
    ]
    if missing:
        raise ServiceError(_("Répondez à chaque critère avant d'envoyer : %(list)s.", list=", ".join(missing)))
    level, theme_levels = score(assessment)
    if level < 1:
        raise ServiceError(
            _(
                "Le niveau calculé est 0 : au moins %(share)d %% des critères applicables doivent être remplis "
                "pour un label.",
                share=THRESHOLDS[-1][1],
            )
        )
    assessment.level, assessment.theme_levels = level, theme_levels
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_at = utcnow()
    assessment.applicant_id = user.id
    db.session.flush()
    _event(user, "assessment", assessment.id, "submitted", level=level)
    return assessment


# --- reviewing ------------------------------------------------------------------------------------------


def is_reviewer(user) -> bool:
    """Committee members (and hub staff), or members of a structure holding an active label."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_admin:
        return True
    if db.session.scalar(select(CommitteeMember.id).where(CommitteeMember.user_id == user.id)):
        return True
    return bool(active_labels(SubjectKind.PROVIDER, user.provider_ids))


def current_round(assessment: Assessment) -> int:
    return 1 + sum(1 for r in assessment.reviews if r.decision == ReviewDecision.CHANGES)


def review_refusal(user, assessment: Assessment) -> str | None:
    """Why this user may not review this assessment now (None: they may)."""
    if not is_reviewer(user):
        return _("Seuls les membres du comité de la charte et les structures labellisées relisent les évaluations.")
    if user.id == assessment.applicant_id:
        return _("Vous ne pouvez pas relire votre propre évaluation.")
    if user.id in members_of(assessment.subject_kind, assessment.subject_id):
        return _("Vous ne pouvez pas relire l'évaluation de votre propre structure.")
    if assessment.status != AssessmentStatus.SUBMITTED:
        return _("Cette évaluation n'attend pas de relecture.")
    rnd = current_round(assessment)
    if any(r.reviewer_id == user.id and r.round == rnd for r in assessment.reviews):
        return _("Vous avez déjà relu cette évaluation.")
    return None


def to_review(user) -> list[Assessment]:
    if not is_reviewer(user):
        return []
    pending = db.session.scalars(
        select(Assessment).where(Assessment.status == AssessmentStatus.SUBMITTED).order_by(Assessment.submitted_at)
    ).all()
    return [a for a in pending if review_refusal(user, a) is None]


def review(user, assessment: Assessment, decision: str, comment: str) -> Label | None:
    """Validate or ask for changes. The second validation of the round grants the label (returned)."""
    refusal = review_refusal(user, assessment)
    if refusal:
        raise ServiceError(refusal)
    try:
        choice = ReviewDecision(decision)
    except ValueError:
        raise ServiceError(_("Choisissez : valider ou demander des modifications.")) from None
    comment = (comment or "").strip()
    if choice == ReviewDecision.CHANGES and not comment:
        raise ServiceError(_("Dites ce qu'il faut modifier : le commentaire est obligatoire."), field="comment")
    rnd = current_round(assessment)
    assessment.reviews.append(AssessmentReview(reviewer_id=user.id, round=rnd, decision=choice, comment=comment))
    db.session.flush()
    _event(user, "assessment", assessment.id, f"review_{choice.value}", reason=comment)
    if choice == ReviewDecision.CHANGES:
        assessment.status = AssessmentStatus.CHANGES_REQUESTED
        _mail_members(
            assessment.subject_kind,
            assessment.subject_id,
            _("Votre évaluation de la charte : modifications demandées — Hub du Sud"),
            lambda name: _(
                "Bonjour,\n\nUne relectrice ou un relecteur demande des modifications à l'évaluation de %(name)s :\n\n"
                "%(comment)s\n\nReprenez-la ici : %(url)s",
                name=name,
                comment=comment,
                url=absolute_url(
                    "charter_labels.assess", kind=assessment.subject_kind.value, subject_id=assessment.subject_id
                ),
            ),
        )
        db.session.flush()
        return None
    validations = sum(1 for r in assessment.reviews if r.round == rnd and r.decision == ReviewDecision.VALIDATE)
    if validations >= VALIDATIONS_NEEDED:
        return grant_label(assessment)
    return None


def can_see_evidence(user, assessment: Assessment) -> bool:
    """The subject's members, and reviewers who may judge it (never outside the review)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if can_assess(user, assessment.subject_kind, assessment.subject_id):
        return True
    return is_reviewer(user) and user.id not in members_of(assessment.subject_kind, assessment.subject_id)


def evidence_path(answer: AssessmentAnswer) -> Path | None:
    if not answer.evidence_file:
        return None
    path = Path(current_app.config["FILES_DIR"]) / "charter" / answer.evidence_file
    return path if path.is_file() else None


def next_public_id(year: int) -> str:
    prefix = f"L-{year}-"
    count = db.session.scalar(select(func.count(Label.id)).where(Label.public_id.like(f"{prefix}%"))) or 0
    return f"{prefix}{count + 1:04d}"


def grant_label(assessment: Assessment, now: datetime | None = None) -> Label:
    now = now or utcnow()
    assessment.status = AssessmentStatus.VALIDATED
    label = Label(
        public_id=next_public_id(now.year),
        subject_kind=assessment.subject_kind,
        subject_id=assessment.subject_id,
        assessment_id=assessment.id,
        version_id=assessment.version_id,
        level=assessment.level or 0,
        theme_levels=dict(assessment.theme_levels or {}),
        granted_at=now,
        expires_at=now + LABEL_VALIDITY,
        status=LabelStatus.ACTIVE,
    )
    db.session.add(label)
    db.session.flush()
    _event(None, "label", label.id, "granted", public_id=label.public_id, level=label.level)
    signals.label_granted.send(label)
    return label


# --- mail, re-assessment, expiry ------------------------------------------------------------------------


def _mail_members(kind: SubjectKind, subject_id: int, subject, body: Callable[[str], object]) -> int:
    info = SUBJECTS.get(kind)
    if info is None:
        return 0
    name = info.name(subject_id) or ""
    sent = 0
    for user_id in sorted(info.member_ids(subject_id) or set()):
        user = db.session.get(User, user_id)
        if user is not None:
            send_mail(user.email, subject, body(name))
            sent += 1
    return sent


def invite_reassessment(version: CharterVersion) -> int:
    """Invite the holders of active labels under older versions to re-assess (the labels stay valid)."""
    labels = db.session.scalars(
        select(Label)
        .join(CharterVersion, Label.version_id == CharterVersion.id)
        .where(Label.status == LabelStatus.ACTIVE, CharterVersion.number < version.number)
    ).all()
    sent = 0
    for label in labels:
        sent += _mail_members(
            label.subject_kind,
            label.subject_id,
            _("La charte passe en %(version)s : réévaluez votre label — Hub du Sud", version=version.label),
            lambda name, label=label: _(
                "Bonjour,\n\nLa version %(version)s de la charte du numérique éthique est adoptée. Le label %(id)s "
                "de %(name)s reste valable jusqu'au %(date)s. Réévaluez-le sur la nouvelle version : les critères "
                "modifiés sont signalés dans le formulaire.\n\n%(url)s",
                version=version.label,
                id=label.public_id,
                name=name,
                date=label.expires_at.strftime("%d/%m/%Y"),
                url=absolute_url("charter_labels.assess", kind=label.subject_kind.value, subject_id=label.subject_id),
            ),
        )
    return sent


def _on_version_adopted(version: CharterVersion, **_kw) -> None:
    invite_reassessment(version)


signals.version_adopted.connect(_on_version_adopted)


def run_label_expiry(now: datetime | None = None) -> dict[str, int]:
    """Warn holders 30 days before expiry (once) and expire the labels whose date passed. Flushes;
    the caller commits. Safe to run twice."""
    now = now or utcnow()
    active = db.session.scalars(select(Label).where(Label.status == LabelStatus.ACTIVE).order_by(Label.id)).all()
    warned = expired = 0
    for label in active:
        expires_at = label.expires_at if label.expires_at.tzinfo else label.expires_at.replace(tzinfo=now.tzinfo)
        if expires_at <= now:
            label.status = LabelStatus.EXPIRED
            db.session.flush()
            _event(None, "label", label.id, "expired", public_id=label.public_id)
            signals.label_ended.send(label)
            expired += 1
        elif label.expiry_warned_at is None and expires_at - now <= EXPIRY_WARNING:
            label.expiry_warned_at = now
            _mail_members(
                label.subject_kind,
                label.subject_id,
                _("Votre label de la charte expire bientôt — Hub du Sud"),
                lambda name, label=label: _(
                    "Bonjour,\n\nLe label %(id)s de %(name)s (niveau %(level)d) expire le %(date)s. "
                    "Renouvelez-le en réévaluant votre structure : %(url)s",
                    id=label.public_id,
                    name=name,
                    level=label.level,
                    date=label.expires_at.strftime("%d/%m/%Y"),
                    url=absolute_url(
                        "charter_labels.assess", kind=label.subject_kind.value, subject_id=label.subject_id
                    ),
                ),
            )
            warned += 1
    db.session.flush()
    return {"warned": warned, "expired": expired}
