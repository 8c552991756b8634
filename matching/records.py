"""Row records of a matching instance: one object per database row, filled by the web app.

:meth:`matching.model.Instance.from_records` turns them into the columnar instance.
Dates are anything :func:`matching.model.to_day` accepts (``None`` = open end).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Need:
    """A need posted by a small organisation.

    ``skills`` are integer skill ids; ``category`` an integer category id or
    ``None``.  ``start``/``end`` bound the wished window (``None`` = open).
    ``org_id`` is the posting organisation: providers belonging to it are
    excluded.  ``experts_required`` is 1, or 2 for a need that wants two experts
    from different providers who together cover all its skills (honoured by the
    CP-SAT solver only).
    """

    id: int
    lat: float
    lon: float
    skills: tuple[int, ...] = ()
    category: int | None = None
    funding: str = "volunteer"
    accepts_remote: bool = False
    accepts_onsite: bool = True  # False: a remote-only need (never served on site)
    start: object = None
    end: object = None
    opened_on: object = None
    org_id: int | None = None
    dep_code: str = ""
    commune: str = ""
    text: str = ""
    experts_required: int = 1
    #: Labelled providers: ``""`` no preference, ``"prefer"`` (soft: the charter component weighs
    #: more for this need, see :data:`matching.scoring.CHARTER_PREFER_WEIGHT`), ``"only"`` (hard rule:
    #: only offers whose charter value is above 0).
    charter_preference: str = ""
    #: ``True``: the need also takes an offer of its ``category`` that covers none of its wanted skills
    #: (by default a need with skills takes only offers covering at least one of them).
    accepts_category_only: bool = False


@dataclass(frozen=True)
class Offer:
    """An offer published by a provider.

    ``lat``/``lon``/``radius_km`` describe where the provider travels to (on-site
    service); ``modality`` is ``onsite``, ``remote`` or ``both``.  ``capacity``
    is the number of missions the offer can take in total and ``consumed`` the
    number already used *outside* the fixed assignments of this run.
    """

    id: int
    provider_id: int
    lat: float
    lon: float
    radius_km: float
    skills: tuple[int, ...] = ()
    category: int | None = None
    funding: str = "volunteer"
    modality: str = "onsite"
    start: object = None
    end: object = None
    capacity: int = 1
    consumed: int = 0
    commune: str = ""
    text: str = ""
    #: The offer's own charter value in [0, 1] (its own label), overriding its provider's;
    #: ``None``: the offer inherits its provider's ``charter``.
    charter: float | None = None


@dataclass(frozen=True)
class Provider:
    """A provider (volunteer expert, digital mediator, tiers-lieu).

    ``org_ids``: organisations the provider belongs to (it may not serve their
    needs).  ``current_missions``: missions in progress (load).  ``rating_mean``
    on a 1–5 scale with ``rating_count`` ratings (``None``/0 = no feedback).
    ``charter``: charter alignment in [0, 1] or ``None`` when unknown.
    """

    id: int
    org_ids: frozenset[int] = frozenset()
    current_missions: int = 0
    rating_mean: float | None = None
    rating_count: int = 0
    charter: float | None = None
    name: str = ""
