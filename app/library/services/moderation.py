"""Moderation by hub staff: reports on resources, and merges of duplicates."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.core.errors import Conflict, Forbidden, ServiceError
from app.core.models import utcnow
from app.core.states import StateMachine
from app.extensions import db
from app.library.models import LicenceGrant, ReportStatus, Resource, ResourceRelation, ResourceReport
from app.library.models import ResourceStatus as RS
from app.library.services.history import LIST_FIELDS, diff, log_event, snapshot
from app.library.services.identifiers import final_resource, format_identifier, resource_by_number
from app.library.services.resources import RESOURCE_STATES
from app.library.services.rights import EDITABLE
from app.library.vocab import REPORT_REASONS

REPORT_STATES = StateMachine(
    "report",
    {
        ReportStatus.OPEN: frozenset({ReportStatus.RESOLVED, ReportStatus.DISMISSED}),
        ReportStatus.RESOLVED: frozenset(),
        ReportStatus.DISMISSED: frozenset(),
    },
)


def report_resource(
    actor: User, resource: Resource, reason: str, message: str = "", duplicate_of: int | None = None
) -> ResourceReport:
    """Anyone signed in reports a problem: inappropriate, outdated, error, duplicate (of another Rn)."""
    if not (actor and actor.is_authenticated):
        raise Forbidden(_("Connectez-vous pour signaler une ressource."))
    if resource.status not in EDITABLE:
        raise Conflict(_("Cette ressource n'est plus en ligne."))
    if reason not in REPORT_REASONS:
        raise ServiceError(_("Choisissez la raison du signalement."), field="reason")
    message = (message or "").strip()
    if len(message) > 2000:
        raise ServiceError(_("Le message est trop long (2 000 caractères au plus)."), field="message")
    other = None
    if reason == "duplicate":
        if not duplicate_of:
            raise ServiceError(
                _("Indiquez l'identifiant de la ressource en double (par exemple R12)."), field="duplicate_of"
            )
        other = resource_by_number(int(duplicate_of))
        if other is None or other.status not in EDITABLE:
            raise ServiceError(
                _("La ressource %(id)s n'existe pas.", id=format_identifier(duplicate_of)), field="duplicate_of"
            )
        if other.id == resource.id:
            raise ServiceError(_("Indiquez une autre ressource que celle-ci."), field="duplicate_of")
    elif not message:
        raise ServiceError(_("Décrivez le problème en quelques mots."), field="message")
    already = db.session.scalar(
        select(ResourceReport.id).where(
            ResourceReport.resource_id == resource.id,
            ResourceReport.reporter_id == actor.id,
            ResourceReport.reason == reason,
            ResourceReport.status == ReportStatus.OPEN,
        )
    )
    if already:
        raise Conflict(_("Vous avez déjà signalé ce problème : l'équipe du Hub va l'examiner."))
    report = ResourceReport(resource=resource, reporter_id=actor.id, reason=reason, message=message, duplicate_of=other)
    db.session.add(report)
    db.session.flush()
    return report


def _close_report(actor: User, report: ResourceReport, target: ReportStatus, resolution: str) -> None:
    REPORT_STATES.check(report.status, target)
    report.status = target
    report.handled_by_id = actor.id
    report.handled_at = utcnow()
    report.resolution = resolution


def handle_report(actor: User, report: ResourceReport, target: ReportStatus, resolution: str = "") -> None:
    if not actor.is_staff:
        raise Forbidden(_("Seule l'équipe du Hub traite les signalements."))
    resolution = (resolution or "").strip()
    if len(resolution) > 2000:
        raise ServiceError(_("La réponse est trop longue."), field="resolution")
    if target == ReportStatus.DISMISSED and not resolution:
        raise ServiceError(_("Indiquez pourquoi le signalement est écarté."), field="resolution")
    _close_report(actor, report, target, resolution)
    db.session.flush()


def open_reports() -> list[ResourceReport]:
    stmt = (
        select(ResourceReport)
        .where(ResourceReport.status == ReportStatus.OPEN)
        .options(
            selectinload(ResourceReport.resource),
            selectinload(ResourceReport.duplicate_of),
            selectinload(ResourceReport.reporter),
        )
        .order_by(ResourceReport.created_at)
    )
    return list(db.session.scalars(stmt))


def merge_resources(actor: User, duplicate: Resource, survivor: Resource, note: str = "") -> Resource:
    """Staff merge a duplicate into a survivor: the duplicate keeps its number and redirects.

    The survivor gains the duplicate's producers, themes, audiences, languages, formats,
    relations and files (with all their versions); resources merged earlier into the
    duplicate now point at the survivor; open duplicate reports are resolved. A duplicate
    that sold licences is not merged (its holders' rights are tied to it)."""
    if not actor.is_staff:
        raise Forbidden(_("Seule l'équipe du Hub peut fusionner des ressources."))
    survivor = final_resource(survivor)
    if duplicate.id == survivor.id:
        raise ServiceError(_("Une ressource ne peut pas être fusionnée avec elle-même."), field="survivor")
    if duplicate.status not in EDITABLE:
        raise Conflict(_("%(id)s est déjà fusionnée ou supprimée.", id=duplicate.identifier), field="duplicate")
    if survivor.status not in EDITABLE:
        raise Conflict(
            _("%(id)s est supprimée : choisissez une autre ressource.", id=survivor.identifier), field="survivor"
        )
    if db.session.scalar(
        select(func.count()).select_from(LicenceGrant).where(LicenceGrant.resource_id == duplicate.id)
    ):
        raise Conflict(
            _("%(id)s a des licences vendues : elle ne peut pas être fusionnée.", id=duplicate.identifier),
            field="duplicate",
        )
    RESOURCE_STATES.check(duplicate.status, RS.MERGED)
    survivor_before, duplicate_before = snapshot(survivor), snapshot(duplicate)

    for name in LIST_FIELDS:
        setattr(survivor, name, list(dict.fromkeys(getattr(survivor, name) + getattr(duplicate, name))))
    survivor.producers = sorted(
        {p.id: p for p in survivor.producers + duplicate.producers}.values(), key=lambda p: p.name
    )
    for relation in list(duplicate.relations):
        if relation.target_id != survivor.id and not any(
            r.target_id == relation.target_id and r.kind == relation.kind for r in survivor.relations
        ):
            survivor.relations.append(ResourceRelation(target_id=relation.target_id, kind=relation.kind))
    # Relations pointing at the duplicate now point at the survivor.
    for relation in db.session.scalars(select(ResourceRelation).where(ResourceRelation.target_id == duplicate.id)):
        clash = relation.resource_id == survivor.id or db.session.scalar(
            select(ResourceRelation.id).where(
                ResourceRelation.resource_id == relation.resource_id,
                ResourceRelation.target_id == survivor.id,
                ResourceRelation.kind == relation.kind,
            )
        )
        if clash:
            db.session.delete(relation)
        else:
            relation.target_id = survivor.id
    moved = []
    for file in list(duplicate.files):
        file.resource = survivor
        if file.removed_at is None:
            moved.append(file.current.filename)
    for offer in duplicate.licence_offers:
        offer.active = False
    for earlier in db.session.scalars(select(Resource).where(Resource.merged_into_id == duplicate.id)):
        earlier.merged_into = survivor
    duplicate.status = RS.MERGED
    duplicate.merged_into = survivor
    db.session.flush()
    db.session.expire(survivor, ["relations", "files"])
    db.session.expire(duplicate, ["relations", "files"])

    merged_changes = diff(duplicate_before, snapshot(duplicate))
    if note:
        merged_changes["note"] = {"before": None, "after": note}
    log_event(duplicate, actor, "merged_into", merged_changes)
    survivor_changes = diff(survivor_before, snapshot(survivor))
    survivor_changes["merged_from"] = {"before": None, "after": duplicate.identifier}
    if moved:
        survivor_changes["files"] = {"before": None, "after": moved}
    log_event(survivor, actor, "merged_from", survivor_changes)
    for report in db.session.scalars(
        select(ResourceReport).where(
            ResourceReport.resource_id == duplicate.id,
            ResourceReport.status == ReportStatus.OPEN,
            ResourceReport.reason == "duplicate",
        )
    ):
        _close_report(actor, report, ReportStatus.RESOLVED, _("Fusionnée dans %(id)s.", id=survivor.identifier))
    db.session.flush()
    return survivor
