"""The network's figures as plain functions over plain facts (no database, no Flask).

`app.observatory.facts` reads the facts from the database; the pages, the public impact page, the
funder report and the tests all call these functions, so every audience sees the same numbers.

Conventions:
- a need belongs to the period in which it was posted (a cohort): "matched", "accepted", "completed"
  count what became of the needs posted in the period, so that the rates never exceed 100 %;
- durations are in days (fractional), from the need's posting; percentiles interpolate linearly
  between the closest ranks (numpy's default), median = 50th percentile;
- every figure meant for the public goes through `suppress` / `suppress_counts`: a group of fewer
  than `SMALL_GROUP` (5) is not shown.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

SMALL_GROUP = 5
TERRITORY_LEVELS = ("commune", "epci", "dep")


class _Suppressed:
    """The value shown instead of a figure about fewer than SMALL_GROUP people or organisations."""

    _instance: _Suppressed | None = None

    def __new__(cls) -> _Suppressed:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "SUPPRESSED"

    def __bool__(self) -> bool:
        return False


SUPPRESSED = _Suppressed()


def is_small(group_size: int) -> bool:
    """A group of 1 to 4 could be recognised; 0 (nobody) reveals no one."""
    return 0 < group_size < SMALL_GROUP


def suppress(value, group_size: int):
    """The one rule every public figure goes through: `value` computed over `group_size` members,
    or SUPPRESSED when the group is small."""
    return SUPPRESSED if is_small(group_size) else value


def suppress_counts(counts: Mapping[str, int]) -> dict[str, int | _Suppressed]:
    """Counts of one partition (e.g. needs per commune, which add up to a published total).

    Primary suppression: every count of 1 to 4. Secondary: if exactly one cell is suppressed, the
    smallest other non-zero cell is suppressed too, else the hidden one could be worked out from the
    total."""
    out: dict[str, int | _Suppressed] = {k: suppress(v, v) for k, v in counts.items()}
    hidden = [k for k, v in out.items() if v is SUPPRESSED]
    if len(hidden) == 1:
        others = sorted((v, k) for k, v in counts.items() if k not in hidden and v > 0)
        if others:
            out[others[0][1]] = SUPPRESSED
    return out


# ---------------------------------------------------------------- facts


@dataclass(frozen=True)
class Place:
    commune: str
    dep: str
    epci: str | None = None

    def key(self, level: str) -> str | None:
        return {"commune": self.commune, "dep": self.dep, "epci": self.epci}[level]


@dataclass(frozen=True)
class NeedFact:
    id: int
    place: Place
    posted_at: datetime
    status: str  # app.needs.models.NeedStatus value
    first_proposal_at: datetime | None = None  # first proposal sent to a provider
    accepted_at: datetime | None = None  # first mission (a provider accepted)
    done_at: datetime | None = None  # mission completed
    skill_groups: tuple[str, ...] = ()
    organisation_id: int | None = None


@dataclass(frozen=True)
class ProposalFact:
    need_id: int
    provider_id: int
    outcome: str  # "accepted", "declined", "expired" (answered or timed out); others are ignored
    reason: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class MissionFact:
    id: int
    need_id: int
    provider_id: int
    status: str  # planned, in_progress, done, cancelled
    done_at: datetime | None = None
    rating: int | None = None  # the organisation's rating of the provider (1-5)
    hours: float | None = None
    volunteer: bool = False


@dataclass(frozen=True)
class VoucherFact:
    id: int
    funder_id: int
    programme_id: int
    face_value_cents: int
    issued_at: datetime
    redeemed_at: datetime | None = None
    expired_at: datetime | None = None
    mission_id: int | None = None  # the mission it paid for
    place: Place | None = None  # the holder's


@dataclass(frozen=True)
class Period:
    """[start, end): days in Europe/Paris are not needed at this grain, UTC dates are compared."""

    start: date
    end: date

    def __contains__(self, moment: datetime | date | None) -> bool:
        if moment is None:
            return False
        day = moment.date() if isinstance(moment, datetime) else moment
        return self.start <= day < self.end

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        return cls(date(year, month, 1), nxt)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year + 1, 1, 1))

    def months(self) -> list[Period]:
        out, day = [], date(self.start.year, self.start.month, 1)
        while day < self.end:
            month = Period.month(day.year, day.month)
            out.append(month)
            day = month.end
        return out


# ---------------------------------------------------------------- statistics


def percentile(values: Iterable[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no value."""
    data = sorted(values)
    if not data:
        return None
    pos = (len(data) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return data[low] + (data[high] - data[low]) * (pos - low)


def days_between(start: datetime, end: datetime | None) -> float | None:
    if end is None:
        return None
    return (end - start).total_seconds() / 86400


@dataclass
class Counts:
    posted: int = 0
    matched: int = 0
    accepted: int = 0
    completed: int = 0
    cancelled: int = 0

    FIELDS = ("posted", "matched", "accepted", "completed", "cancelled")

    def add(self, need: NeedFact) -> None:
        self.posted += 1
        self.matched += need.first_proposal_at is not None
        self.accepted += need.accepted_at is not None
        self.completed += need.done_at is not None
        self.cancelled += need.status == "cancelled"

    def as_dict(self) -> dict[str, int]:
        return {f: getattr(self, f) for f in self.FIELDS}


def in_period(needs: Iterable[NeedFact], period: Period | None) -> list[NeedFact]:
    if period is None:
        return list(needs)
    start, end = period.start, period.end
    return [n for n in needs if start <= n.posted_at.date() < end]


def counts_by_territory(needs: Iterable[NeedFact], level: str, period: Period | None = None) -> dict[str, Counts]:
    """Needs posted in the period per territory (`level`: commune, epci or dep), and what became of them."""
    if level not in TERRITORY_LEVELS:
        raise ValueError(level)
    out: dict[str, Counts] = defaultdict(Counts)
    for need in in_period(needs, period):
        key = need.place.key(level)
        if key is not None:
            out[key].add(need)
    return dict(sorted(out.items()))


def totals(needs: Iterable[NeedFact], period: Period | None = None) -> Counts:
    counts = Counts()
    for need in in_period(needs, period):
        counts.add(need)
    return counts


def counts_by_month(needs: Iterable[NeedFact], period: Period) -> list[tuple[date, Counts]]:
    """One pass: each need counted in the month it was posted."""
    months = {m.start: Counts() for m in period.months()}
    for need in in_period(needs, period):
        day = need.posted_at.date()
        months[date(day.year, day.month, 1)].add(need)
    return list(months.items())


@dataclass
class Delay:
    n: int
    median: float | None
    p90: float | None


DELAY_STEPS: dict[str, Callable[[NeedFact], datetime | None]] = {
    "first_proposal": lambda n: n.first_proposal_at,
    "acceptance": lambda n: n.accepted_at,
    "completion": lambda n: n.done_at,
}


def delays(needs: Iterable[NeedFact], period: Period | None = None) -> dict[str, Delay]:
    """Days from posting to the first proposal, to acceptance, to completion (needs that got there)."""
    chosen = in_period(needs, period)
    out = {}
    for step, moment in DELAY_STEPS.items():
        values = [d for n in chosen if (d := days_between(n.posted_at, moment(n))) is not None and d >= 0]
        out[step] = Delay(len(values), percentile(values, 50), percentile(values, 90))
    return out


@dataclass
class Answers:
    answered: int
    accepted: int
    declined: int
    expired: int
    reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.answered if self.answered else None

    @property
    def decline_rate(self) -> float | None:
        return self.declined / self.answered if self.answered else None


NO_REASON = ""


def answers(proposals: Iterable[ProposalFact], period: Period | None = None) -> Answers:
    """Providers' answers to the proposals sent to them: accepted, declined (with the reasons, most
    frequent first) or left to expire."""
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for p in proposals:
        if p.outcome not in ("accepted", "declined", "expired"):
            continue
        if period is not None and p.at not in period:
            continue
        outcomes[p.outcome] += 1
        if p.outcome == "declined":
            reasons[(p.reason or NO_REASON).strip()] += 1
    return Answers(
        answered=sum(outcomes.values()),
        accepted=outcomes["accepted"],
        declined=outcomes["declined"],
        expired=outcomes["expired"],
        reasons=sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])),
    )


@dataclass
class Load:
    providers: int
    missions: int
    per_provider_median: float | None
    busiest_tenth_share: float | None  # share of the missions done by the busiest 10 % of providers
    distribution: list[tuple[int, int]]  # (missions, number of providers with that many)


def provider_load(missions: Iterable[MissionFact], period: Period | None = None) -> Load:
    """Missions per provider (cancelled ones excluded; period: by completion, or all when None)."""
    per: Counter[int] = Counter()
    for m in missions:
        if m.status == "cancelled":
            continue
        if period is not None and m.done_at not in period:
            continue
        per[m.provider_id] += 1
    counts = sorted(per.values(), reverse=True)
    total = sum(counts)
    top = math.ceil(len(counts) / 10)
    return Load(
        providers=len(counts),
        missions=total,
        per_provider_median=percentile(counts, 50),
        busiest_tenth_share=(sum(counts[:top]) / total) if total else None,
        distribution=sorted(Counter(counts).items()),
    )


@dataclass
class Satisfaction:
    n: int
    mean: float | None
    distribution: dict[int, int]


def satisfaction(missions: Iterable[MissionFact], period: Period | None = None) -> Satisfaction:
    ratings = [m.rating for m in missions if m.rating is not None and (period is None or m.done_at in period)]
    return Satisfaction(
        n=len(ratings),
        mean=(sum(ratings) / len(ratings)) if ratings else None,
        distribution={r: ratings.count(r) for r in range(1, 6)},
    )


@dataclass
class Volunteering:
    missions: int
    hours: float
    value_cents: int


def volunteering(
    missions: Iterable[MissionFact], hourly_value_cents: int, period: Period | None = None
) -> Volunteering:
    """Hours of completed volunteer missions and their value at `hourly_value_cents` an hour."""
    done = [m for m in missions if m.volunteer and m.status == "done" and (period is None or m.done_at in period)]
    hours = sum(m.hours or 0 for m in done)
    return Volunteering(len(done), hours, round(hours * hourly_value_cents))


@dataclass
class FunderMoney:
    funder_id: int
    issued: int = 0
    issued_cents: int = 0
    used: int = 0
    used_cents: int = 0
    expired: int = 0
    expired_cents: int = 0
    completed_missions: int = 0

    @property
    def cost_per_completed_mission_cents(self) -> int | None:
        return round(self.used_cents / self.completed_missions) if self.completed_missions else None


def vouchers_by_funder(
    vouchers: Iterable[VoucherFact], completed_mission_ids: set[int], period: Period | None = None
) -> dict[int, FunderMoney]:
    """Per funder: vouchers issued, used (redeemed) and expired in the period, and the money used
    divided by the completed missions those vouchers paid for."""
    out: dict[int, FunderMoney] = {}
    missions: dict[int, set[int]] = defaultdict(set)
    for v in vouchers:
        f = out.setdefault(v.funder_id, FunderMoney(v.funder_id))
        if period is None or v.issued_at in period:
            f.issued += 1
            f.issued_cents += v.face_value_cents
        if v.redeemed_at is not None and (period is None or v.redeemed_at in period):
            f.used += 1
            f.used_cents += v.face_value_cents
            if v.mission_id in completed_mission_ids:
                missions[v.funder_id].add(v.mission_id)
        if v.expired_at is not None and (period is None or v.expired_at in period):
            f.expired += 1
            f.expired_cents += v.face_value_cents
    for funder_id, ids in missions.items():
        out[funder_id].completed_missions = len(ids)
    return dict(sorted(out.items()))
