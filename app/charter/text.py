"""The charter as a versioned text and its cooperative writing: the committee, versions, consultations,
amendments, supports, comments and decisions. Plain functions; each step is written to `CharterEvent`.

Who may do what:
- the committee (a `CommitteeMember`, or hub staff) opens and closes consultations, decides on amendments
  once the consultation is closed, and publishes the next version;
- any signed-in person proposes an amendment while a consultation is open, comments, supports it (once);
- the author withdraws their amendment while the consultation is open;
- an adopted version never changes (`check_editable`).

A consultation's status follows its dates: `effective_status` reads it at any time, `advance_consultations`
moves the stored status (the periodic job can call it), and every service moves it before acting.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.accounts.services import get_user_by_email
from app.charter import signals
from app.charter.models import (
    Amendment,
    AmendmentComment,
    AmendmentKind,
    AmendmentStatus,
    AmendmentSupport,
    CharterEvent,
    CharterTheme,
    CharterVersion,
    CommitteeMember,
    Consultation,
    ConsultationStatus,
    Criterion,
    SubjectKind,
    VersionCriterion,
    VersionStatus,
)
from app.core.errors import Conflict, Forbidden, ServiceError
from app.core.models import utcnow
from app.core.states import StateMachine
from app.extensions import db

CS, AS = ConsultationStatus, AmendmentStatus

CONSULTATION_MOVES: StateMachine = StateMachine(
    "consultation",
    {
        CS.SCHEDULED: frozenset({CS.OPEN, CS.CLOSED}),
        CS.OPEN: frozenset({CS.CLOSED}),
        CS.CLOSED: frozenset({CS.PUBLISHED}),
    },
)
_DECIDED = frozenset({AS.ADOPTED, AS.ADOPTED_MODIFIED, AS.REJECTED})
AMENDMENT_MOVES: StateMachine = StateMachine(
    "amendment",
    {
        AS.SUBMITTED: _DECIDED | {AS.WITHDRAWN},
        # the committee may revise its decision until the version is published
        AS.ADOPTED: _DECIDED - {AS.ADOPTED},
        AS.ADOPTED_MODIFIED: _DECIDED,
        AS.REJECTED: _DECIDED - {AS.REJECTED},
    },
)
VERSION_MOVES: StateMachine = StateMachine("version", {VersionStatus.DRAFT: frozenset({VersionStatus.ADOPTED})})

SUBJECT_LABELS = {
    SubjectKind.PROVIDER.value: _l("prestataire"),
    SubjectKind.OFFER.value: _l("offre"),
    SubjectKind.RESOURCE.value: _l("ressource de la bibliothèque"),
    SubjectKind.ORGANISATION.value: _l("structure"),
}
KIND_LABELS = {
    AmendmentKind.ADD.value: _l("Ajouter un critère"),
    AmendmentKind.CHANGE.value: _l("Modifier un critère"),
    AmendmentKind.REMOVE.value: _l("Retirer un critère"),
}
STATUS_LABELS = {
    AS.SUBMITTED.value: _l("Déposé"),
    AS.WITHDRAWN.value: _l("Retiré par son auteur"),
    AS.ADOPTED.value: _l("Adopté"),
    AS.ADOPTED_MODIFIED.value: _l("Adopté avec modification"),
    AS.REJECTED.value: _l("Rejeté"),
    CS.SCHEDULED.value: _l("Programmée"),
    CS.OPEN.value: _l("Ouverte"),
    CS.CLOSED.value: _l("Close, en délibération"),
    CS.PUBLISHED.value: _l("Publiée"),
}
MAX_TEXT = 4000


# ---------------------------------------------------------------- committee and history


def is_committee_member(user: Any) -> bool:
    """The answer to `Access.COMMITTEE`: a `CommitteeMember` row, or hub staff."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_admin:
        return True
    return db.session.scalar(select(CommitteeMember.id).where(CommitteeMember.user_id == user.id)) is not None


def _require_committee(user: Any) -> None:
    if not is_committee_member(user):
        raise Forbidden(_("Seul le comité de la charte peut faire cela."))


def record(actor: Any, entity_kind: str, entity_id: int, action: str, reason: str = "", **details: Any) -> CharterEvent:
    event = CharterEvent(
        actor_id=getattr(actor, "id", None),
        entity_kind=entity_kind,
        entity_id=entity_id,
        action=action,
        reason=reason,
        details=details,
        at=utcnow(),
    )
    db.session.add(event)
    return event


def committee_members() -> list[tuple[CommitteeMember, User]]:
    rows = db.session.execute(
        select(CommitteeMember, User).join(User, User.id == CommitteeMember.user_id).order_by(User.full_name)
    )
    return [(m, u) for m, u in rows]


def grant_committee(staff: User, email: str) -> CommitteeMember:
    user = get_user_by_email((email or "").strip())
    if user is None:
        raise ServiceError(_("Aucun compte n'a cette adresse e-mail."), field="email")
    if db.session.scalar(select(CommitteeMember).where(CommitteeMember.user_id == user.id)) is not None:
        raise Conflict(_("Ce compte fait déjà partie du comité."), field="email")
    member = CommitteeMember(user_id=user.id, granted_by_id=staff.id)
    db.session.add(member)
    db.session.flush()
    record(staff, "committee", user.id, "granted", name=user.full_name)
    return member


def remove_committee(staff: User, member: CommitteeMember) -> None:
    user = db.session.get(User, member.user_id)
    record(staff, "committee", member.user_id, "removed", name=user.full_name if user else "")
    db.session.delete(member)
    db.session.flush()


# ---------------------------------------------------------------- versions


def current_version() -> CharterVersion | None:
    """The latest adopted version (None before the first one)."""
    return db.session.scalars(
        select(CharterVersion)
        .where(CharterVersion.status == VersionStatus.ADOPTED)
        .order_by(CharterVersion.number.desc())
        .limit(1)
    ).first()


def adopted_versions() -> list[CharterVersion]:
    return list(
        db.session.scalars(
            select(CharterVersion)
            .where(CharterVersion.status == VersionStatus.ADOPTED)
            .order_by(CharterVersion.number.desc())
        )
    )


def version_by_number(number: int) -> CharterVersion | None:
    return db.session.scalars(
        select(CharterVersion).where(CharterVersion.number == number, CharterVersion.status == VersionStatus.ADOPTED)
    ).first()


def themes() -> list[CharterTheme]:
    return list(db.session.scalars(select(CharterTheme).order_by(CharterTheme.position, CharterTheme.id)))


def by_theme(version: CharterVersion) -> list[tuple[CharterTheme, list[VersionCriterion]]]:
    """The version's criteria grouped by theme, themes in their order, criteria by number."""
    groups: dict[int, list[VersionCriterion]] = {}
    for vc in version.criteria:
        groups.setdefault(vc.criterion.theme_id, []).append(vc)
    return [
        (theme, sorted(groups[theme.id], key=lambda vc: vc.criterion.number))
        for theme in themes()
        if theme.id in groups
    ]


def merged_amendments(version: CharterVersion) -> list[Amendment]:
    return list(
        db.session.scalars(select(Amendment).where(Amendment.merged_in_version_id == version.id).order_by(Amendment.id))
    )


def create_theme(code: str, name: str, description: str = "", position: int = 0) -> CharterTheme:
    theme = CharterTheme(code=code, name=name, description=description, position=position)
    db.session.add(theme)
    db.session.flush()
    return theme


def criterion_by_number(number: int) -> Criterion | None:
    return db.session.scalars(select(Criterion).where(Criterion.number == number)).first()


def check_editable(version: CharterVersion) -> None:
    if version.status == VersionStatus.ADOPTED:
        raise Conflict(_("La version %(label)s est adoptée : elle ne peut plus changer.", label=version.label))


def next_criterion_number() -> int:
    """Numbers are never reused: the next is the highest ever given plus one (removed criteria keep theirs)."""
    return (db.session.scalar(select(func.max(Criterion.number))) or 0) + 1


def new_draft(number: int | None = None) -> CharterVersion:
    if number is None:
        number = (db.session.scalar(select(func.max(CharterVersion.number))) or 0) + 1
    version = CharterVersion(number=number, status=VersionStatus.DRAFT)
    db.session.add(version)
    db.session.flush()
    return version


def add_criterion(version: CharterVersion, theme: CharterTheme, values: dict) -> VersionCriterion:
    """A new criterion (a new, never used number) in a draft version."""
    check_editable(version)
    criterion = Criterion(number=next_criterion_number(), theme_id=theme.id)
    db.session.add(criterion)
    db.session.flush()
    return _put(version, criterion, values)


def _put(version: CharterVersion, criterion: Criterion, values: dict) -> VersionCriterion:
    vc = VersionCriterion(
        version=version,
        criterion=criterion,
        wording=values["wording"],
        evidence=values.get("evidence", ""),
        applies_to=list(values.get("applies_to") or [k.value for k in SubjectKind]),
        weight=int(values.get("weight") or 1),
        position=criterion.number,
    )
    db.session.add(vc)
    db.session.flush()
    return vc


def edit_criterion(actor: Any, vc: VersionCriterion, values: dict) -> VersionCriterion:
    """Change a criterion's text in a draft version; an adopted version refuses."""
    _require_committee(actor)
    check_editable(vc.version)
    for key in ("wording", "evidence", "applies_to", "weight"):
        if key in values:
            setattr(vc, key, values[key])
    db.session.flush()
    return vc


def adopt_version(actor: Any, version: CharterVersion, summary: str = "") -> CharterVersion:
    VERSION_MOVES.check(version.status, VersionStatus.ADOPTED)
    version.status = VersionStatus.ADOPTED
    version.adopted_at = utcnow()
    version.adopted_by_id = getattr(actor, "id", None)
    if summary:
        version.summary = summary
    db.session.flush()
    record(actor, "version", version.id, "adopted", summary, number=version.number)
    signals.version_adopted.send(version)
    return version


# ---------------------------------------------------------------- consultations


def effective_status(consultation: Consultation, now: datetime | None = None) -> ConsultationStatus:
    """The status as the dates say: scheduled until it opens, open until it closes, then closed."""
    if consultation.status in (CS.CLOSED, CS.PUBLISHED):
        return consultation.status
    now = now or utcnow()
    if now < _aware(consultation.opens_at):
        return CS.SCHEDULED
    if now < _aware(consultation.closes_at):
        return CS.OPEN
    return CS.CLOSED


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sync(consultation: Consultation, now: datetime | None = None, actor: Any = None) -> ConsultationStatus:
    """Move the stored status to what the dates say (writing each move to the history)."""
    target = effective_status(consultation, now)
    if target != consultation.status:
        CONSULTATION_MOVES.check(consultation.status, target)
        consultation.status = target
        record(actor, "consultation", consultation.id, target.value)
        db.session.flush()
    return target


def advance_consultations(now: datetime | None = None) -> int:
    """For the periodic job: move every scheduled or open consultation as its dates say. Returns the moves."""
    moved = 0
    rows = db.session.scalars(select(Consultation).where(Consultation.status.in_([CS.SCHEDULED, CS.OPEN])))
    for consultation in list(rows):
        before = consultation.status
        if sync(consultation, now) != before:
            moved += 1
    return moved


def consultations() -> list[Consultation]:
    return list(db.session.scalars(select(Consultation).order_by(Consultation.opens_at.desc())))


def active_consultation() -> Consultation | None:
    return db.session.scalars(
        select(Consultation).where(Consultation.status != CS.PUBLISHED).order_by(Consultation.id.desc()).limit(1)
    ).first()


def check_consultation_dates(values: dict) -> None:
    opens, closes = values.get("opens_at"), values.get("closes_at")
    if opens and closes and closes <= opens:
        raise ServiceError(_("La clôture doit venir après l'ouverture."), field="closes_at")


def open_consultation(actor: Any, values: dict) -> Consultation:
    _require_committee(actor)
    title = (values.get("title") or "").strip()
    if not title:
        raise ServiceError(_("Donnez un titre à la consultation."), field="title")
    check_consultation_dates(values)
    base = current_version()
    if base is None:
        raise Conflict(_("Aucune version adoptée de la charte : rien à amender."))
    if active_consultation() is not None:
        raise Conflict(_("Une consultation est déjà en cours : publiez sa version avant d'en ouvrir une autre."))
    consultation = Consultation(
        base_version_id=base.id,
        title=title,
        description=(values.get("description") or "").strip(),
        opens_at=values["opens_at"],
        closes_at=values["closes_at"],
        status=CS.SCHEDULED,
        created_by_id=actor.id,
    )
    db.session.add(consultation)
    db.session.flush()
    record(actor, "consultation", consultation.id, "created", title=title, base=base.label)
    sync(consultation)
    return consultation


def close_consultation(actor: Any, consultation: Consultation) -> Consultation:
    """The committee closes a consultation now (before its closing date)."""
    _require_committee(actor)
    status = sync(consultation)
    if status == CS.CLOSED:
        return consultation
    CONSULTATION_MOVES.check(status, CS.CLOSED)
    now = utcnow()
    consultation.closes_at = now
    if _aware(consultation.opens_at) > now:
        consultation.opens_at = now
    consultation.status = CS.CLOSED
    db.session.flush()
    record(actor, "consultation", consultation.id, "closed", early=True)
    return consultation


def _require_open(consultation: Consultation) -> None:
    if sync(consultation) != CS.OPEN:
        raise Conflict(_("La consultation n'est pas ouverte : plus d'amendement, de commentaire ni de soutien."))


# ---------------------------------------------------------------- amendments


def _text(values: dict, key: str) -> str:
    return (values.get(key) or "").strip()


def base_criteria(consultation: Consultation) -> dict[int, VersionCriterion]:
    """{criterion id: its text in the consultation's base version}."""
    return {vc.criterion_id: vc for vc in consultation.base_version.criteria}


def check_amendment(consultation: Consultation, values: dict) -> dict:
    """The cleaned values of an amendment, or a ServiceError naming the field."""
    try:
        kind = AmendmentKind(values.get("kind"))
    except ValueError:
        raise ServiceError(_("Choisissez le type d'amendement."), field="kind") from None
    clean: dict[str, Any] = {"kind": kind, "rationale": _text(values, "rationale")}
    if kind in (AmendmentKind.CHANGE, AmendmentKind.REMOVE):
        base = base_criteria(consultation)
        criterion_id = values.get("criterion_id")
        try:
            criterion_id = int(criterion_id) if criterion_id not in (None, "") else None
        except (TypeError, ValueError):
            criterion_id = None
        if criterion_id not in base:
            raise ServiceError(
                _("Choisissez un critère de la version %(label)s.", label=consultation.base_version.label),
                field="criterion_id",
            )
        clean["criterion_id"] = criterion_id
        clean["theme_id"] = base[criterion_id].criterion.theme_id
    if kind in (AmendmentKind.ADD, AmendmentKind.CHANGE):
        wording = _text(values, "wording")
        if not wording:
            raise ServiceError(_("Écrivez le texte du critère proposé."), field="wording")
        if len(wording) > MAX_TEXT:
            raise ServiceError(_("Le texte est trop long."), field="wording")
        clean["wording"] = wording
        clean["evidence"] = _text(values, "evidence")[:MAX_TEXT]
        applies = [a for a in (values.get("applies_to") or []) if a in SUBJECT_LABELS]
        weight = values.get("weight")
        if kind == AmendmentKind.ADD:
            theme_id = values.get("theme_id")
            try:
                theme = db.session.get(CharterTheme, int(theme_id)) if theme_id not in (None, "") else None
            except (TypeError, ValueError):
                theme = None
            if theme is None:
                raise ServiceError(_("Choisissez le thème du nouveau critère."), field="theme_id")
            clean["theme_id"] = theme.id
        clean["applies_to"] = applies
        try:
            clean["weight"] = int(weight) if weight not in (None, "") else None
        except (TypeError, ValueError):
            clean["weight"] = None
        if clean["weight"] is not None and not 1 <= clean["weight"] <= 3:
            raise ServiceError(_("Le poids va de 1 à 3."), field="weight")
    if not clean["rationale"]:
        raise ServiceError(_("Expliquez pourquoi vous proposez cet amendement."), field="rationale")
    if len(clean["rationale"]) > MAX_TEXT:
        raise ServiceError(_("Le texte est trop long."), field="rationale")
    return clean


def propose_amendment(user: User, consultation: Consultation, values: dict) -> Amendment:
    _require_open(consultation)
    clean = check_amendment(consultation, values)
    amendment = Amendment(consultation_id=consultation.id, author_id=user.id, status=AS.SUBMITTED, **clean)
    db.session.add(amendment)
    db.session.flush()
    record(user, "amendment", amendment.id, "proposed", clean["rationale"], kind=clean["kind"].value)
    return amendment


def withdraw_amendment(user: User, amendment: Amendment) -> Amendment:
    if amendment.author_id != user.id:
        raise Forbidden(_("Seul l'auteur d'un amendement peut le retirer."))
    _require_open(amendment.consultation)
    AMENDMENT_MOVES.check(amendment.status, AS.WITHDRAWN)
    amendment.status = AS.WITHDRAWN
    db.session.flush()
    record(user, "amendment", amendment.id, "withdrawn")
    return amendment


def comment(user: User, amendment: Amendment, body: str) -> AmendmentComment:
    body = (body or "").strip()
    if not body:
        raise ServiceError(_("Écrivez votre commentaire."), field="body")
    if len(body) > MAX_TEXT:
        raise ServiceError(_("Le texte est trop long."), field="body")
    _require_open(amendment.consultation)
    row = AmendmentComment(amendment_id=amendment.id, author_id=user.id, body=body)
    db.session.add(row)
    db.session.flush()
    record(user, "amendment", amendment.id, "commented")
    return row


def has_supported(user: Any, amendment: Amendment) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return any(s.user_id == user.id for s in amendment.supports)


def support(user: User, amendment: Amendment) -> AmendmentSupport | None:
    """One support per account: a second one (a double click) changes nothing. Returns the new support."""
    _require_open(amendment.consultation)
    if amendment.status != AS.SUBMITTED:
        raise Conflict(_("Cet amendement ne reçoit plus de soutien."))
    if amendment.author_id == user.id:
        raise Conflict(_("Vous êtes l'auteur de cet amendement."))
    if db.session.scalar(
        select(AmendmentSupport.id).where(
            AmendmentSupport.amendment_id == amendment.id, AmendmentSupport.user_id == user.id
        )
    ):
        return None
    try:
        with db.session.begin_nested():  # two requests at once: the unique constraint keeps one
            row = AmendmentSupport(amendment_id=amendment.id, user_id=user.id)
            db.session.add(row)
    except IntegrityError:
        return None
    record(user, "amendment", amendment.id, "supported")
    return row


def unsupport(user: User, amendment: Amendment) -> bool:
    _require_open(amendment.consultation)
    row = db.session.scalars(
        select(AmendmentSupport).where(
            AmendmentSupport.amendment_id == amendment.id, AmendmentSupport.user_id == user.id
        )
    ).first()
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    db.session.expire(amendment, ["supports"])
    record(user, "amendment", amendment.id, "support_withdrawn")
    return True


def decide(actor: Any, amendment: Amendment, values: dict) -> Amendment:
    """The committee's decision, once the consultation is closed: adopted, adopted as modified (with its own
    wording), or rejected (with a reason)."""
    _require_committee(actor)
    if sync(amendment.consultation) != CS.CLOSED:
        raise Conflict(_("Le comité décide une fois la consultation close."))
    try:
        target = AS(values.get("decision"))
    except ValueError:
        raise ServiceError(_("Choisissez une décision."), field="decision") from None
    if target not in _DECIDED:
        raise ServiceError(_("Choisissez une décision."), field="decision")
    reason = _text(values, "reason")
    wording = _text(values, "wording")
    if target == AS.REJECTED and not reason:
        raise ServiceError(_("Un rejet doit être motivé."), field="reason")
    if target == AS.ADOPTED_MODIFIED:
        if amendment.kind == AmendmentKind.REMOVE:
            raise ServiceError(_("Un retrait s'adopte tel quel ou se rejette."), field="decision")
        if not wording:
            raise ServiceError(_("Écrivez le texte retenu par le comité."), field="wording")
    AMENDMENT_MOVES.check(amendment.status, target)
    amendment.status = target
    amendment.decision_reason = reason
    amendment.decided_wording = wording if target == AS.ADOPTED_MODIFIED else ""
    amendment.decided_evidence = _text(values, "evidence") if target == AS.ADOPTED_MODIFIED else ""
    amendment.decided_by_id = actor.id
    amendment.decided_at = utcnow()
    db.session.flush()
    record(actor, "amendment", amendment.id, target.value, reason)
    return amendment


def publish(actor: Any, consultation: Consultation, summary: str = "") -> CharterVersion:
    """The next version: the base version's criteria with the adopted amendments merged, adopted at once."""
    _require_committee(actor)
    if sync(consultation) != CS.CLOSED:
        raise Conflict(_("La version se publie une fois la consultation close."))
    pending = [a for a in consultation.amendments if a.status == AS.SUBMITTED]
    if pending:
        raise Conflict(_("Décidez d'abord de chaque amendement (%(n)d en attente).", n=len(pending)))
    base = consultation.base_version
    adopted = [a for a in consultation.amendments if a.status in (AS.ADOPTED, AS.ADOPTED_MODIFIED)]
    changes = {a.criterion_id: a for a in adopted if a.kind == AmendmentKind.CHANGE}
    removed = {a.criterion_id for a in adopted if a.kind == AmendmentKind.REMOVE}
    version = new_draft()
    for vc in base.criteria:
        if vc.criterion_id in removed:
            continue
        values = {"wording": vc.wording, "evidence": vc.evidence, "applies_to": vc.applies_to, "weight": vc.weight}
        if vc.criterion_id in changes:
            values |= _amended(changes[vc.criterion_id])
        _put(version, vc.criterion, values)
    for amendment in adopted:
        if amendment.kind == AmendmentKind.ADD:
            theme = db.session.get(CharterTheme, amendment.theme_id)
            vc = add_criterion(version, theme, {"weight": 1} | _amended(amendment))
            record(actor, "amendment", amendment.id, "criterion_created", ident=vc.criterion.ident)
        amendment.merged_in_version_id = version.id
    if not summary.strip():
        with force_locale("fr"):  # stored with the charter's text, in French whoever publishes it
            summary = _(
                "%(n)d amendement(s) adopté(s) lors de la consultation « %(title)s ».",
                n=len(adopted),
                title=consultation.title,
            )
    db.session.refresh(version)
    adopt_version(actor, version, summary)
    CONSULTATION_MOVES.check(consultation.status, CS.PUBLISHED)
    consultation.status = CS.PUBLISHED
    consultation.published_version_id = version.id
    db.session.flush()
    record(actor, "consultation", consultation.id, "published", version=version.label)
    return version


def _amended(amendment: Amendment) -> dict:
    modified = amendment.status == AS.ADOPTED_MODIFIED
    values: dict[str, Any] = {"wording": amendment.decided_wording if modified else amendment.wording}
    evidence = amendment.decided_evidence if modified and amendment.decided_evidence else amendment.evidence
    if evidence:
        values["evidence"] = evidence
    if amendment.applies_to:
        values["applies_to"] = amendment.applies_to
    if amendment.weight:
        values["weight"] = amendment.weight
    return values


def events(limit: int = 300) -> list[tuple[CharterEvent, User | None]]:
    rows = db.session.execute(
        select(CharterEvent, User)
        .outerjoin(User, User.id == CharterEvent.actor_id)
        .where(CharterEvent.entity_kind.in_(["version", "consultation", "amendment", "committee"]))
        .order_by(CharterEvent.at.desc(), CharterEvent.id.desc())
        .limit(limit)
    )
    return [(e, u) for e, u in rows]


def users_by_id(ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted)))}
