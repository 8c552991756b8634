"""Read the facts the figures are computed from (app.observatory.figures) out of the database, for one
scope: the whole network (staff, the public page) or what a funder funds.

A funder's scope: its programmes (their vouchers) and the territories it funds — its own
département, the départements and communes its programmes are open to, and the départements of the
organisations holding its vouchers. Needs, proposals and missions outside those territories are not
read at all, so no page or report of a funder can show another funder's programmes or territories.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import func, literal, select

from app.directory.models import Offer, Organisation
from app.extensions import db
from app.ledger import Voucher, VoucherProgramme
from app.matches.models import Feedback, Mission, Proposal
from app.needs.models import Need
from app.needs.models import NeedStatus as NS
from app.observatory import figures as fg
from app.territory.models import Commune
from app.vouchers.models import Funder

OUTLINES = Path(__file__).resolve().parents[2] / "data" / "sud-outlines.json.gz"
log = logging.getLogger(__name__)
ANSWERS = ("accepted", "declined", "expired")


def outlines() -> dict:
    """The outlines and EPCI of the Région Sud (OUTLINES_FILE: data/sud-outlines.json.gz, built by
    scripts/build_outlines.py). Without the file (an install that did not ship data/), no map and no EPCI."""
    return _read_outlines(current_app.config.get("OUTLINES_FILE") or str(OUTLINES))


@lru_cache(maxsize=2)
def _read_outlines(path: str) -> dict:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return json.load(fh)
    except OSError:
        log.warning("no commune outlines at %s: the observatory draws no map and reports no EPCI", path)
        return {"communes": {}, "epci": {}}


def epci_of(insee: str) -> str | None:
    entry = outlines()["communes"].get(insee)
    return entry.get("epci") if entry else None


def epci_name(code: str) -> str:
    entry = outlines()["epci"].get(code)
    return entry["name"] if entry else code


@dataclass
class Scope:
    """None: everything (hub staff, the public page's aggregates)."""

    funder_ids: set[int] | None = None
    programme_ids: set[int] = field(default_factory=set)
    deps: set[str] = field(default_factory=set)
    communes: set[str] = field(default_factory=set)

    @property
    def everything(self) -> bool:
        return self.funder_ids is None

    def covers(self, place: fg.Place) -> bool:
        return self.everything or place.dep in self.deps or place.commune in self.communes


def funder_scope(funder_ids: set[int]) -> Scope:
    programmes = list(
        db.session.scalars(select(VoucherProgramme).where(VoucherProgramme.funder_id.in_(funder_ids or {-1})))
    )
    scope = Scope(funder_ids=set(funder_ids), programme_ids={p.id for p in programmes})
    for dep in db.session.scalars(select(Funder.dep_code).where(Funder.id.in_(funder_ids or {-1}))):
        if dep:
            scope.deps.add(dep)
    for p in programmes:
        rules = p.eligibility or {}
        scope.deps.update(str(d) for d in rules.get("departements") or [])
        scope.communes.update(str(c) for c in rules.get("communes") or [])
    if scope.programme_ids:
        scope.deps.update(
            db.session.scalars(
                select(Commune.dep_code)
                .join(Organisation, Organisation.commune_insee == Commune.insee)
                .join(Voucher, Voucher.organisation_id == Organisation.id)
                .where(Voucher.programme_id.in_(scope.programme_ids))
                .distinct()
            )
        )
    return scope


@dataclass
class Facts:
    needs: list[fg.NeedFact]
    proposals: list[fg.ProposalFact]
    missions: list[fg.MissionFact]
    vouchers: list[fg.VoucherFact]
    funders: dict[int, str]

    @property
    def completed_mission_ids(self) -> set[int]:
        return {m.id for m in self.missions if m.status == "done"}


def _place(insee: str, dep: str) -> fg.Place:
    return fg.Place(insee, dep, epci_of(insee))


def load(scope: Scope | None = None, group_of: dict[str, str] | None = None) -> Facts:
    """Every fact of the scope, in a handful of queries (no query per row). `group_of` (skill → its
    group) fills each need's skill groups; without it their skills are not read (the figures do not
    need them)."""
    scope = scope or Scope()
    run = db.session.connection().execute  # plain rows: no ORM result processing (50,000 needs)
    rows = run(
        select(
            Need.id,
            Need.commune_insee,
            Commune.dep_code,
            Need.opened_at,
            Need.created_at,
            Need.status,
            Need.skills if group_of else literal(None),
            Need.organisation_id,
        )
        .join(Commune, Commune.insee == Need.commune_insee)
        .where(Need.status != NS.DRAFT)
    ).all()
    places, by_commune = {}, {}
    for need_id, insee, dep, *_rest in rows:
        place = by_commune.get(insee)
        if place is None:
            place = by_commune[insee] = _place(insee, dep)
        places[need_id] = place
    wanted = {nid for nid, place in places.items() if scope.covers(place)}

    first_sent = dict(
        run(
            select(Proposal.need_id, func.min(Proposal.sent_at))
            .where(Proposal.sent_at.is_not(None))
            .group_by(Proposal.need_id)
        ).all()
    )
    mission_rows = run(
        select(
            Mission.id,
            Mission.need_id,
            Mission.provider_id,
            Mission.status,
            Mission.created_at,
            Mission.done_at,
            Offer.duration_hours,
            Offer.price_mode,
        ).join(Offer, Offer.id == Mission.offer_id)
    ).all()
    ratings = dict(
        run(
            select(Feedback.mission_id, func.min(Feedback.rating))
            .where(Feedback.side == "organisation")
            .group_by(Feedback.mission_id)
        ).all()
    )
    accepted_at: dict[int, object] = {}
    done_at: dict[int, object] = {}
    missions = []
    for mid, need_id, provider_id, status, created, done, hours, price_mode in mission_rows:
        status = getattr(status, "value", status)
        if need_id not in wanted:
            continue
        if created is not None and (need_id not in accepted_at or created < accepted_at[need_id]):
            accepted_at[need_id] = created
        if status == "done" and done is not None and (need_id not in done_at or done < done_at[need_id]):
            done_at[need_id] = done
        missions.append(
            fg.MissionFact(
                mid, need_id, provider_id, status, done, ratings.get(mid), float(hours or 0), price_mode == "volunteer"
            )
        )

    needs = []
    for need_id, _insee, _dep, opened, created, status, skills, org_id in rows:
        if need_id not in wanted:
            continue
        needs.append(
            fg.NeedFact(
                id=need_id,
                place=places[need_id],
                posted_at=opened or created,
                status=getattr(status, "value", status),
                first_proposal_at=first_sent.get(need_id),
                accepted_at=accepted_at.get(need_id),
                done_at=done_at.get(need_id),
                skill_groups=tuple(sorted({group_of[s] for s in skills or [] if s in group_of})) if group_of else (),
                organisation_id=org_id,
            )
        )

    proposals = [
        fg.ProposalFact(need_id, provider_id, getattr(status, "value", status), reason or "", responded or updated)
        for need_id, provider_id, status, reason, responded, updated in run(
            select(
                Proposal.need_id,
                Proposal.provider_id,
                Proposal.status,
                Proposal.reason,
                Proposal.responded_at,
                Proposal.updated_at,
            ).where(Proposal.status.in_(ANSWERS))
        ).all()
        if need_id in wanted
    ]

    voucher_query = (
        select(
            Voucher.id,
            VoucherProgramme.funder_id,
            Voucher.programme_id,
            Voucher.face_value_cents,
            Voucher.issued_at,
            Voucher.redeemed_at,
            Voucher.expired_at,
            Voucher.reserved_for,
            Commune.insee,
            Commune.dep_code,
        )
        .join(VoucherProgramme, VoucherProgramme.id == Voucher.programme_id)
        .outerjoin(Organisation, Organisation.id == Voucher.organisation_id)
        .outerjoin(Commune, Commune.insee == Organisation.commune_insee)
    )
    if not scope.everything:
        voucher_query = voucher_query.where(Voucher.programme_id.in_(scope.programme_ids or {-1}))
    vouchers = []
    for vid, funder_id, programme_id, face, issued, redeemed, expired, reserved, insee, dep in run(voucher_query).all():
        mission_id = None
        if reserved and reserved.startswith("mission:") and reserved[8:].isdigit():
            mission_id = int(reserved[8:])
        vouchers.append(
            fg.VoucherFact(
                vid,
                funder_id,
                programme_id,
                face,
                issued,
                redeemed,
                expired,
                mission_id,
                _place(insee, dep) if insee else None,
            )
        )
    funder_query = select(Funder.id, Funder.name)
    if not scope.everything:
        funder_query = funder_query.where(Funder.id.in_(scope.funder_ids or {-1}))
    funders = dict(db.session.execute(funder_query).all())
    # Completed missions paid by vouchers of the scope count for the cost per mission even when the
    # need lies outside its territories (a funder may fund organisations from elsewhere).
    extra = {v.mission_id for v in vouchers if v.mission_id} - {m.id for m in missions}
    if extra:
        for mid, need_id, provider_id, status, _created, done, hours, price_mode in mission_rows:
            if mid in extra:
                missions.append(
                    fg.MissionFact(
                        mid,
                        need_id,
                        provider_id,
                        getattr(status, "value", status),
                        done,
                        None,
                        float(hours or 0),
                        price_mode == "volunteer",
                    )
                )
    return Facts(needs, proposals, missions, vouchers, funders)


def needs_by_funding_source(facts: Facts) -> dict[int, set[int]]:
    """Funder id → the needs its vouchers paid missions of."""
    by_mission = {m.id: m.need_id for m in facts.missions}
    out: dict[int, set[int]] = defaultdict(set)
    for v in facts.vouchers:
        if v.mission_id in by_mission:
            out[v.funder_id].add(by_mission[v.mission_id])
    return out
