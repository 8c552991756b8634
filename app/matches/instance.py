"""Turn database rows into a `matching.Instance` (the engine takes plain data)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

import matching
from app.accounts.models import Membership
from app.charter.registry import offer_levels, provider_levels
from app.core.models import PublicationStatus as PS
from app.core.models import utcnow
from app.directory.models import Offer, Provider
from app.directory.skills import skill_label, valid_codes
from app.directory.vocab import OFFER_CATEGORIES
from app.extensions import db
from app.matches.models import Feedback, Mission, MissionStatus, Proposal
from app.matches.models import ProposalStatus as P
from app.needs.models import Need
from app.needs.models import NeedStatus as NS

MODALITY = {"on_site": "onsite", "remote": "remote", "both": "both"}
EXCLUDING = (P.REJECTED, P.DECLINED, P.EXPIRED, P.REPLACED)  # never propose that pair again
ACTIVE_MISSIONS = (MissionStatus.PLANNED, MissionStatus.IN_PROGRESS)
CAPACITY_WINDOW_DAYS = 30  # capacities are "per month"


@dataclass
class Vocabulary:
    skill_ids: dict[str, int]
    category_ids: dict[str, int]

    @classmethod
    def current(cls) -> Vocabulary:
        return cls(
            {code: i for i, code in enumerate(sorted(valid_codes()))},
            {code: i for i, code in enumerate(OFFER_CATEGORIES)},
        )

    def skill_labels(self) -> dict[int, str]:
        return {i: _lower_first(skill_label(code)) for code, i in self.skill_ids.items()}

    def category_labels(self) -> dict[int, str]:
        return {i: _lower_first(str(OFFER_CATEGORIES[code])) for code, i in self.category_ids.items()}


@dataclass
class BuiltInstance:
    instance: matching.Instance
    vocabulary: Vocabulary
    fixed: list[tuple[int, int]]
    open_need_ids: list[int]
    skipped_needs: list[int]
    two_expert_needs: int = 0  # open needs (in the run) that ask for two complementary experts


EMBEDDED_CHARS = 300  # title and the start of the description: most of the meaning, a third of the cost


def _clip(text: str) -> str:
    return text if len(text) <= EMBEDDED_CHARS else text[:EMBEDDED_CHARS].rsplit(" ", 1)[0]


def need_text(need) -> str:
    return _clip(f"{need.title}. {need.description}")


def offer_text(offer) -> str:
    return _clip(f"{offer.title}. {offer.description}")


def fixed_pairs() -> list[tuple[int, int]]:
    """Approved proposals waiting for the provider, and active missions: kept as they are."""
    approved = db.session.execute(
        select(Proposal.need_id, Proposal.offer_id).where(Proposal.status == P.APPROVED)
    ).all()
    missions = db.session.execute(
        select(Mission.need_id, Mission.offer_id).where(Mission.status.in_(ACTIVE_MISSIONS))
    ).all()
    return [tuple(row) for row in approved] + [tuple(row) for row in missions]


def build_instance(dep_codes: list[str] | None = None, today: date | None = None) -> BuiltInstance:
    today = today or utcnow().date()
    vocab = Vocabulary.current()
    fixed = fixed_pairs()
    fixed_need_ids = {n for n, _o in fixed}

    # Open needs (and needs whose proposal still waits for staff: a new run proposes again).
    stmt = (
        select(Need)
        .where(Need.status.in_((NS.OPEN, NS.PROPOSED)) | Need.id.in_(fixed_need_ids or {-1}))
        .options(selectinload(Need.commune))
    )
    needs_rows = list(db.session.scalars(stmt))
    if dep_codes:
        needs_rows = [n for n in needs_rows if n.commune.dep_code in dep_codes or n.id in fixed_need_ids]

    def skills(codes):
        return tuple(vocab.skill_ids[c] for c in codes if c in vocab.skill_ids)

    offer_records, provider_records = supply_records(vocab)
    excluded = [
        tuple(row)
        for row in db.session.execute(
            select(Proposal.need_id, Proposal.offer_id).where(Proposal.status.in_(EXCLUDING))
        ).all()
    ]

    need_records, skipped = [], []
    for n in needs_rows:
        if n.commune.lat is None:
            skipped.append(n.id)
            continue
        need_records.append(
            matching.Need(
                id=n.id,
                lat=n.commune.lat,
                lon=n.commune.lon,
                skills=skills(n.skills),
                category=vocab.category_ids.get(n.categories[0]) if n.categories else None,
                funding=n.funding_mode,
                accepts_remote=n.modality in ("remote", "both"),
                accepts_onsite=n.modality in ("on_site", "both"),
                start=n.window_start,
                end=n.window_end,
                opened_on=(n.opened_at or n.created_at).date() if (n.opened_at or n.created_at) else None,
                org_id=n.organisation_id,
                dep_code=n.commune.dep_code,
                commune=n.commune_insee,
                text=need_text(n),
                charter_preference=n.charter_preference or "",
                accepts_category_only=bool(n.accepts_category_only),
                experts_required=2 if n.two_experts else 1,
            )
        )
    known_needs = {r.id for r in need_records}
    known_offers = {r.id for r in offer_records}
    fixed = [(n, o) for n, o in fixed if n in known_needs and o in known_offers]
    instance = matching.Instance.from_records(
        need_records,
        offer_records,
        provider_records,
        excluded_pairs=[p for p in excluded if p[0] in known_needs and p[1] in known_offers],
        fixed=fixed,
        today=today,
        n_skills=len(vocab.skill_ids),
    )
    fixed_ids = {n for n, _ in fixed}
    open_ids = [r.id for r in need_records if r.id not in fixed_ids]
    pairs = sum(1 for r in need_records if r.experts_required == 2 and r.id not in fixed_ids)
    return BuiltInstance(instance, vocab, fixed, open_ids, skipped, pairs)


def supply_records(vocab: Vocabulary) -> tuple[list[matching.Offer], list[matching.Provider]]:
    """The published offers and their providers as the engine sees them (capacity used this month,
    load, ratings, charter levels, the organisations their members belong to). `build_instance` and the
    observatory's coverage (app/observatory/coverage.py) both read them here."""
    offers_rows = list(
        db.session.scalars(
            select(Offer)
            .join(Offer.provider)
            .where(Offer.status == PS.PUBLISHED, Provider.status == PS.PUBLISHED)
            .options(selectinload(Offer.provider).selectinload(Provider.commune))
        )
    )
    provider_ids = {o.provider_id for o in offers_rows}

    since = utcnow() - timedelta(days=CAPACITY_WINDOW_DAYS)
    done_recently = dict(
        db.session.execute(
            select(Mission.offer_id, func.count())
            .where(Mission.status == MissionStatus.DONE, Mission.done_at >= since)
            .group_by(Mission.offer_id)
        ).all()
    )
    load = dict(
        db.session.execute(
            select(Mission.provider_id, func.count())
            .where(Mission.status.in_(ACTIVE_MISSIONS))
            .group_by(Mission.provider_id)
        ).all()
    )
    ratings = {
        pid: (float(avg), int(n))
        for pid, avg, n in db.session.execute(
            select(Mission.provider_id, func.avg(Feedback.rating), func.count())
            .join(Feedback.mission)
            .where(Feedback.side == "organisation")
            .group_by(Mission.provider_id)
        ).all()
    }

    # Providers may not serve the organisations their own members belong to.
    provider_members = db.session.execute(
        select(Membership.provider_id, Membership.user_id).where(Membership.provider_id.in_(provider_ids or {-1}))
    ).all()
    user_orgs = defaultdict(set)
    for user_id, org_id in db.session.execute(
        select(Membership.user_id, Membership.organisation_id).where(Membership.organisation_id.is_not(None))
    ).all():
        user_orgs[user_id].add(org_id)
    provider_orgs = defaultdict(set)
    for provider_id, user_id in provider_members:
        provider_orgs[provider_id] |= user_orgs.get(user_id, set())

    # The charter's labels: an offer's own label overrides its provider's, so the value travels with the
    # offer (`matching.Offer.charter`, the level / 5); the provider's level is kept too (offers without a
    # label of their own inherit it). Unlabelled: 0, so the component is on and "only" can exclude them.
    offer_charter = offer_levels((o.id, o.provider_id) for o in offers_rows)
    provider_charter = provider_levels(provider_ids)

    def skills(codes):
        return tuple(vocab.skill_ids[c] for c in codes if c in vocab.skill_ids)

    offer_records = []
    for o in offers_rows:
        commune = o.provider.commune
        if commune.lat is None:
            continue
        offer_records.append(
            matching.Offer(
                id=o.id,
                provider_id=o.provider_id,
                lat=commune.lat,
                lon=commune.lon,
                radius_km=float(o.provider.radius_km),
                skills=skills(o.skills),
                category=vocab.category_ids.get(o.category),
                funding=o.price_mode,
                modality=MODALITY[o.modality],
                start=o.available_from,
                end=o.available_until,
                capacity=o.capacity_per_month,
                consumed=int(done_recently.get(o.id, 0)),
                commune=o.provider.commune_insee,
                text=offer_text(o),
                charter=offer_charter.get(o.id, 0) / matching.CHARTER_LEVELS,
            )
        )
    provider_records = [
        matching.Provider(
            id=pid,
            org_ids=frozenset(provider_orgs.get(pid, set())),
            current_missions=int(load.get(pid, 0)),
            rating_mean=ratings.get(pid, (None, 0))[0],
            rating_count=ratings.get(pid, (None, 0))[1],
            charter=provider_charter.get(pid, 0) / matching.CHARTER_LEVELS,
        )
        for pid in provider_ids
    ]

    return offer_records, provider_records


def _lower_first(label: str) -> str:
    """'Conformité RGPD' → 'conformité RGPD' (explanations read as one sentence)."""
    return label[:1].lower() + label[1:]
