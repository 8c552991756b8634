"""The right to erasure: a person deletes their account, after a grace period they can cancel.

1. `request_erasure(user, password)`: the password is asked again; the erasure is scheduled
   `ERASURE_GRACE_DAYS` (14) days later and an e-mail says so, with a link that cancels it.
2. `cancel_erasure(user)` (from the account page, or the e-mail's link): nothing happens.
3. `run_due_erasures(now)` (the retention job) calls `erase_account` for every request that is due.

`erase_account` anonymises what other rules require to keep (the ledger and accounting documents,
signed vouchers, payouts, licence grants, the mission history the other party saw, feedback) and
deletes the rest (memberships, drafts, API token, e-mails to the person, their draft assessments and
files). The account row stays as a tombstone that can never log in, so the records kept still point
somewhere ("Compte supprimé"). A structure the person was the last member of is closed first (what
`consequences` announces before the person confirms). Finally every text and JSON column that the
register of processing lists as personal is searched for the person's e-mail, full name and phone
numbers, and each one found is erased (a contact field emptied, a mention replaced): the last guard
against a copy somewhere. The ledger (append-only) is not searched: it names people by ids only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import JSON, Enum, String, Text, delete, func, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm.attributes import flag_modified

from app.accounts.models import Membership, User
from app.accounts.services import check_password
from app.charter.assessments import evidence_path
from app.charter.models import Assessment, AssessmentStatus, CommitteeMember
from app.core.access_log import AccessLogEntry
from app.core.errors import Conflict, ServiceError
from app.core.jobs import enqueue
from app.core.mail import OutboxEmail, send_mail
from app.core.models import PublicationStatus as PS
from app.core.models import utcnow
from app.directory.models import Offer, Organisation, Provider
from app.extensions import db
from app.library.models import LicenceBuyer, Producer, ProducerMember
from app.matches.models import Proposal
from app.matches.services import close_pending_for_need, withdraw_pending_for_provider
from app.needs.models import Need
from app.needs.models import NeedStatus as NS
from app.needs.services import move_need
from app.privacy.exports import exports_dir
from app.privacy.lifecycle import ErasureRequest, InactivityWarning
from app.privacy.models import DataExport
from app.privacy.register import register
from app.vouchers.models import Funder, FunderMember

DEFAULT_GRACE_DAYS = 14
ERASED_NAME = "Compte supprimé"  # the tombstone's name: data, shown as is in the records kept
ERASED_MENTION = "[effacé]"  # what replaces a mention of the person inside a longer text
NO_SYNC = {"synchronize_session": False}  # bulk statements: the session is expired after them
OPEN_NEEDS = (NS.DRAFT, NS.OPEN, NS.PROPOSED)  # closed when their organisation goes (not those with a mission)
# Not searched: the account itself (made a tombstone above), and the ledger, append-only by law and by its
# database triggers, which names people by ids only (its memos are written by the code, never typed).
NOT_SCANNED = frozenset({"user_account", "ledger_account", "ledger_transaction", "ledger_line"})


def grace_days() -> int:
    return int(current_app.config.get("ERASURE_GRACE_DAYS", DEFAULT_GRACE_DAYS))


def pending_erasure(user: User) -> ErasureRequest | None:
    return db.session.get(ErasureRequest, user.id) if user.id is not None else None


# ------------------------------------------------------------------ what happens to the structures


@dataclass
class Consequence:
    """A structure the person is the last member of, and what erasing the account does to it."""

    kind: str  # organisation, provider, producer, funder
    ident: int
    name: str
    effects: list[str] = field(default_factory=list)


def _alone(model, column, target_id: int, user_id: int) -> bool:
    others = db.session.scalar(
        select(func.count()).select_from(model).where(column == target_id, model.user_id != user_id)
    )
    return not others


def consequences(user: User) -> list[Consequence]:
    """What happens to each organisation, provider, producer or funder the person is the last member of:
    shown before the person confirms, and done by `erase_account`."""
    found: list[Consequence] = []
    for membership in user.memberships:
        if membership.organisation_id and _alone(
            Membership, Membership.organisation_id, membership.organisation_id, user.id
        ):
            org = membership.organisation
            n_open = db.session.scalar(
                select(func.count())
                .select_from(Need)
                .where(Need.organisation_id == org.id, Need.status.in_(OPEN_NEEDS))
            )
            found.append(
                Consequence(
                    "organisation",
                    org.id,
                    org.name,
                    [
                        _("Sa fiche publique est retirée de l'annuaire et de la recherche (archivée)."),
                        _("Ses besoins ouverts (%(n)s) sont clos et leurs propositions en attente retirées.", n=n_open),
                        _("Ses besoins déjà confiés à un intervenant restent suivis par lui et par l'équipe du Hub."),
                        _("L'historique de ses missions reste visible des intervenants, sans votre nom."),
                    ],
                )
            )
        if membership.provider_id and _alone(Membership, Membership.provider_id, membership.provider_id, user.id):
            provider = membership.provider
            n_pending = db.session.scalar(
                select(func.count())
                .select_from(Proposal)
                .where(Proposal.provider_id == provider.id, Proposal.status.in_(("proposed", "approved")))
            )
            found.append(
                Consequence(
                    "provider",
                    provider.id,
                    provider.name,
                    [
                        _("Sa fiche et ses offres sont retirées de l'annuaire et de la recherche (archivées)."),
                        _(
                            "Ses propositions en attente (%(n)s) sont retirées : les besoins repartent vers d'autres intervenants.",
                            n=n_pending,
                        ),
                        _(
                            "Ses coordonnées bancaires sont effacées ; les virements déjà faits restent en comptabilité."
                        ),
                    ],
                )
            )
    for member in db.session.scalars(select(ProducerMember).where(ProducerMember.user_id == user.id)):
        if _alone(ProducerMember, ProducerMember.producer_id, member.producer_id, user.id):
            producer = db.session.get(Producer, member.producer_id)
            found.append(
                Consequence(
                    "producer",
                    producer.id,
                    producer.name,
                    [_("Ses ressources restent publiées sous leur licence ; l'équipe du Hub en devient le contact.")],
                )
            )
    for member in db.session.scalars(select(FunderMember).where(FunderMember.user_id == user.id)):
        if _alone(FunderMember, FunderMember.funder_id, member.funder_id, user.id):
            funder = db.session.get(Funder, member.funder_id)
            found.append(
                Consequence(
                    "funder",
                    funder.id,
                    funder.name,
                    [_("Le financeur et ses programmes restent ; l'équipe du Hub y rattache un autre agent.")],
                )
            )
    return found


# ------------------------------------------------------------------ asking, cancelling


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="erasure-cancel")


def cancel_token(request: ErasureRequest) -> str:
    """The e-mail's link: it names this request (a later request needs a later link)."""
    return _serializer().dumps([request.user_id, _aware(request.requested_at).isoformat()])


def request_for_cancel_token(token: str) -> ErasureRequest:
    try:
        user_id, stamp = _serializer().loads(token)
        request = db.session.get(ErasureRequest, int(user_id))
    except (BadSignature, TypeError, ValueError):
        request = None
        stamp = None
    if request is None or _aware(request.requested_at).isoformat() != stamp:
        raise ServiceError(_("Ce lien n'est plus valable : aucune suppression n'est prévue pour ce compte."))
    return request


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def request_erasure(user: User, password: str, cancel_url_for, now: datetime | None = None) -> ErasureRequest:
    """Schedule the erasure of the account after the grace period (the password is asked again).

    `cancel_url_for(token)` gives the e-mail's cancel link. Asking again keeps the first date."""
    if user.erased_at is not None or user.is_disabled:
        raise Conflict(_("Ce compte ne peut pas être supprimé ainsi. Contactez l'équipe du Hub."))
    if not check_password(user, password or ""):
        raise ServiceError(_("Mot de passe incorrect."), field="password")
    if user.is_admin and not db.session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.is_admin.is_(True), User.id != user.id, User.is_disabled.is_(False))
    ):
        raise Conflict(_("Vous êtes le dernier administrateur : nommez-en un autre avant de supprimer votre compte."))
    existing = pending_erasure(user)
    if existing is not None:
        return existing
    now = now or utcnow()
    request = ErasureRequest(user_id=user.id, requested_at=now, due_at=now + timedelta(days=grace_days()))
    db.session.add(request)
    db.session.flush()
    send_mail(
        user.email,
        _l("Suppression de votre compte prévue — Hub du Sud"),
        _l(
            "Bonjour,\n\nVous avez demandé la suppression de votre compte du Hub du Sud. Elle aura lieu le "
            "%(date)s : vos données seront alors effacées, ou anonymisées quand la loi impose de garder "
            "la trace d'une opération (comptabilité, missions).\n\nVous avez changé d'avis ? Annulez la "
            "suppression avant cette date : %(url)s\n\nSi vous n'êtes pas à l'origine de cette demande, "
            "annulez-la et changez votre mot de passe.",
            date=format_date(request.due_at, "long"),
            url=cancel_url_for(cancel_token(request)),
        ),
    )
    return request


def cancel_erasure(user: User) -> bool:
    """The person changed their mind: the scheduled erasure is dropped. False when none was scheduled."""
    request = pending_erasure(user)
    if request is None:
        return False
    db.session.delete(request)
    db.session.flush()
    return True


# ------------------------------------------------------------------ erasing


def identifiers(user: User) -> dict[str, set[str]]:
    """What identifies the person in free text: their address, their name, the phone numbers they
    gave as a contact (of a need they posted, of a structure whose contact address is theirs)."""
    email = user.email.strip().lower()
    phones: set[str] = set()
    for model in (Organisation, Provider):
        phones.update(db.session.scalars(select(model.contact_phone).where(func.lower(model.contact_email) == email)))
    phones.update(
        db.session.scalars(
            select(Need.contact_phone).where(
                or_(Need.created_by_id == user.id, func.lower(Need.contact_email) == email)
            )
        )
    )
    name = " ".join((user.full_name or "").split())
    # A name is searched in free text only when it is a full name (two words or more): "Paris" or "Marie"
    # alone would erase words that are not about the person.
    full = len(name.split()) >= 2 and len(name) >= 5
    return {
        "email": {email},
        "name": {name} if full else set(),
        "phone": {p.strip() for p in phones if p and len(p.strip()) >= 6},
    }


def _close_structures(user: User, found: list[Consequence]) -> None:
    """Do what `consequences` announced, while the person is still a member."""
    for item in found:
        if item.kind == "organisation":
            org = db.session.get(Organisation, item.ident)
            needs = db.session.scalars(select(Need).where(Need.organisation_id == org.id, Need.status.in_(OPEN_NEEDS)))
            for need in list(needs):
                _close_need(need)
            _archive(org)
        elif item.kind == "provider":
            provider = db.session.get(Provider, item.ident)
            withdraw_pending_for_provider(provider.id)
            for offer in db.session.scalars(select(Offer).where(Offer.provider_id == provider.id)):
                _archive(offer)
            _archive(provider)
            provider.iban = provider.bic = provider.bank_holder = None


def _close_need(need: Need) -> None:
    """A need nobody follows any more: a draft (never shown) is deleted; an open one is closed, its pending
    proposals stopped. Closed, not cancelled: the figures count what the organisation did, not the erasure."""
    if need.status == NS.DRAFT:
        if not db.session.scalar(select(func.count()).select_from(Proposal).where(Proposal.need_id == need.id)):
            db.session.delete(need)
        return
    close_pending_for_need(need)
    if need.status == NS.PROPOSED:
        move_need(None, need, NS.OPEN, system=True)
    move_need(None, need, NS.CLOSED, _("Compte de la structure supprimé."), system=True)


def _archive(entity) -> None:
    """A listing nobody manages any more leaves the directory (a system move, the person's own)."""
    if entity.status != PS.ARCHIVED:
        entity.status = PS.ARCHIVED


def _delete_drafts(user: User) -> None:
    """Their drafts: needs never published, assessments never submitted (with their uploaded files)."""
    for need in db.session.scalars(select(Need).where(Need.created_by_id == user.id, Need.status == NS.DRAFT)):
        if not db.session.scalar(select(func.count()).select_from(Proposal).where(Proposal.need_id == need.id)):
            db.session.delete(need)
    for assessment in db.session.scalars(
        select(Assessment).where(Assessment.applicant_id == user.id, Assessment.status == AssessmentStatus.DRAFT)
    ):
        remove_files_after_commit(evidence_path(answer) for answer in assessment.answers)
        db.session.delete(assessment)


def remove_files(paths: list[str]) -> None:
    """The job: delete these files (after the commit that stopped naming them)."""
    for path in paths:
        Path(path).unlink(missing_ok=True)


def remove_files_after_commit(paths) -> None:
    """A rolled-back erasure keeps its files: they go only once the rows naming them are gone."""
    kept = [str(p) for p in paths if p is not None]
    if kept:
        enqueue(remove_files, paths=kept, coalesce=True)


def _delete_own(user: User, email: str) -> None:
    """What is the person's alone and needed by no one: deleted."""
    for model in (Membership, FunderMember, ProducerMember, CommitteeMember, LicenceBuyer):
        db.session.execute(delete(model).where(model.user_id == user.id), execution_options=NO_SYNC)
    db.session.execute(delete(OutboxEmail).where(func.lower(OutboxEmail.recipient) == email), execution_options=NO_SYNC)
    for model in (ErasureRequest, InactivityWarning):
        db.session.execute(delete(model).where(model.user_id == user.id), execution_options=NO_SYNC)
    # their exports (and the archives), the log of staff reads of their data: for them alone
    exports = list(db.session.scalars(select(DataExport).where(DataExport.user_id == user.id)))
    remove_files_after_commit(exports_dir() / export.filename for export in exports if export.filename)
    db.session.execute(delete(DataExport).where(DataExport.user_id == user.id), execution_options=NO_SYNC)
    db.session.execute(
        delete(AccessLogEntry).where(AccessLogEntry.subject_user_id == user.id), execution_options=NO_SYNC
    )


def _tombstone(user: User, now: datetime) -> None:
    user.email = f"efface-{user.id}@efface.invalid"
    user.full_name = ERASED_NAME
    user.password_hash = "!erased"  # no password hashes to this: it can never log in
    user.api_token_hash = None
    user.api_token_created_at = None
    user.email_confirmed_at = None
    user.last_login_at = None
    user.is_staff = user.is_admin = False
    user.is_disabled = True
    user.erased_at = now
    user.end_sessions()


def erase_account(user_id: int, now: datetime | None = None) -> bool:
    """Erase the account now (the job at the end of the grace period; retention for unused accounts).
    Idempotent: an account already erased is left as it is (False)."""
    user = db.session.get(User, user_id)
    if user is None or user.erased_at is not None:
        return False
    now = now or utcnow()
    found = identifiers(user)
    _delete_drafts(user)
    _close_structures(user, consequences(user))
    _delete_own(user, next(iter(found["email"])))
    db.session.flush()
    scrubbed = scrub_everywhere(found)
    db.session.expire_all()
    user = db.session.get(User, user_id)
    _tombstone(user, now)
    _touch(scrubbed)
    db.session.flush()
    return True


def _touch(changed: dict[str, set[int]]) -> None:
    """Rows changed by the column search went round the ORM: mark them changed, so that whoever follows the
    session's changes (the search index keeps its documents in step) sees them."""
    classes = {mapper.local_table.name: mapper for mapper in db.Model.registry.mappers}
    for table, ids in changed.items():
        mapper = classes.get(table)
        if mapper is None:
            continue
        attribute = next(a.key for a in mapper.column_attrs if not a.columns[0].primary_key)
        for ident in ids:
            row = db.session.get(mapper.class_, ident)
            if row is not None:
                flag_modified(row, attribute)


def run_due_erasures(now: datetime | None = None) -> int:
    """Erase every account whose grace period is over. Returns how many were erased."""
    now = now or utcnow()
    due = list(db.session.scalars(select(ErasureRequest.user_id).where(ErasureRequest.due_at <= now)))
    return sum(1 for user_id in due if erase_account(user_id, now))


# ------------------------------------------------------------------ the last guard: every column


def _patterns(found: dict[str, set[str]]) -> list[tuple[str, re.Pattern]]:
    return [
        (kind, re.compile(re.escape(value), re.IGNORECASE))
        for kind in ("email", "phone", "name")
        for value in sorted(found.get(kind, ()), key=len, reverse=True)
    ]


def _scrub_text(value: str, patterns) -> str:
    for kind, pattern in patterns:
        if pattern.fullmatch(value.strip()):
            return "" if kind in ("email", "phone") else ERASED_NAME
        value = pattern.sub(ERASED_MENTION, value)
    return value


def _scrub_json(value, patterns):
    if isinstance(value, str):
        return _scrub_text(value, patterns)
    if isinstance(value, list):
        return [_scrub_json(item, patterns) for item in value]
    if isinstance(value, dict):
        return {key: _scrub_json(item, patterns) for key, item in value.items()}
    return value


def _needles(found: dict[str, set[str]], as_json: bool) -> set[str]:
    needles = set()
    for values in found.values():
        for value in values:
            needles.add(value.lower())
            if as_json:  # JSON columns store non-ASCII letters escaped (\u00e9)
                needles.add(json.dumps(value)[1:-1].lower())
                needles.add(json.dumps(value.lower())[1:-1].lower())
    return needles


def text_columns(table):
    return [
        c
        for c in table.columns
        if isinstance(c.type, String | Text | JSON) and not isinstance(c.type, Enum) and not c.foreign_keys
    ]


def scrub_everywhere(found: dict[str, set[str]]) -> dict[str, set[int]]:
    """Search every text and JSON column the register of processing lists as personal for the identifiers;
    erase each one found (reference data such as communes is never touched).
    Returns, per table with a single integer key, the ids of the rows changed. One query per table."""
    patterns = _patterns(found)
    changed: dict[str, set[int]] = {}
    if not patterns:
        return changed
    reg = register()
    for table in db.metadata.sorted_tables:
        personal = reg.personal_columns(table.name)  # only what the register says may hold personal data
        columns = [c for c in text_columns(table) if c.name in personal]
        if table.name in NOT_SCANNED or not columns:
            continue
        keys = list(table.primary_key.columns)
        conditions = []
        for column in columns:
            is_json = isinstance(column.type, JSON)
            searched = func.lower(sql_cast(column, Text) if is_json else column)
            conditions.extend(searched.contains(n, autoescape=True) for n in _needles(found, is_json))
        for row in db.session.execute(select(*keys, *columns).where(or_(*conditions))).all():
            key_values, values = row[: len(keys)], row[len(keys) :]
            new_values = {}
            for column, value in zip(columns, values, strict=True):
                if value is None:
                    continue
                new = _scrub_json(value, patterns) if isinstance(column.type, JSON) else _scrub_text(value, patterns)
                if new != value:
                    new_values[column.name] = new
            if not new_values:
                continue
            where = [k == v for k, v in zip(keys, key_values, strict=True)]
            db.session.execute(update(table).where(*where).values(new_values))
            if len(keys) == 1 and isinstance(key_values[0], int):
                changed.setdefault(table.name, set()).add(key_values[0])
    return changed
