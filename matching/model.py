"""Plain data model of a matching instance.

Two layers:

* row records (:class:`Need`, :class:`Offer`, :class:`Provider`, in
  :mod:`matching.records`) that the web app fills from its database rows, one
  object per row;
* the columnar :class:`Instance` (numpy arrays, index space) that every algorithm
  of the package works on.  :meth:`Instance.from_records` converts the former into
  the latter; the benchmark builds an :class:`Instance` directly from arrays.

Days are integers (days since 1970-01-01).  :func:`to_day` accepts ``int``,
``datetime.date``/``datetime.datetime``, ``numpy.datetime64`` and ``None``
(open end).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

# re-exported: the records used to live here
from .records import Need as Need
from .records import Offer as Offer
from .records import Provider as Provider

# --------------------------------------------------------------------------
# Array types
# --------------------------------------------------------------------------

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
I16 = npt.NDArray[np.int16]
I8 = npt.NDArray[np.int8]
U64 = npt.NDArray[np.uint64]
Bool = npt.NDArray[np.bool_]
Str = npt.NDArray[np.str_]
#: Index arrays (edges use int32, pointers int64).
IntArray = npt.NDArray[np.integer[Any]]

# --------------------------------------------------------------------------
# Constants (data, not code)
# --------------------------------------------------------------------------

#: Funding modes, in code order.
FUNDING_MODES: tuple[str, ...] = ("volunteer", "voucher", "paid")

#: Which offer funding modes can serve a need, by need funding mode.
#: A need paid for by the organisation can also be served by a voucher-funded
#: or a volunteer offer; a voucher need by a voucher or volunteer offer; a need
#: that can only take volunteers only by volunteers.
FUNDING_COMPAT: dict[str, frozenset[str]] = {
    "volunteer": frozenset({"volunteer"}),
    "voucher": frozenset({"voucher", "volunteer"}),
    "paid": frozenset({"paid", "voucher", "volunteer"}),
}

#: Offer delivery modalities, in code order.  ``remote`` offers are delivered
#: remotely only (their radius is ignored), ``onsite`` offers on site only,
#: ``both`` either way.
MODALITIES: tuple[str, ...] = ("onsite", "remote", "both")

#: A need's wish about labelled providers (the ethical charter), by code: ``""`` none, ``"prefer"``
#: (a soft preference: the charter component weighs more for that need), ``"only"`` (a hard rule:
#: offers whose charter value is 0 are no candidates, and the checker rejects them).
CHARTER_PREFERENCES: dict[str, int] = {"": 0, "prefer": 1, "only": 2}

#: Sentinels of open-ended time windows (days).
OPEN_START: int = -(2**40)
OPEN_END: int = 2**40

#: Mean Earth radius used for every great-circle distance (km).
EARTH_RADIUS_KM: float = 6371.0088


def funding_code(mode: str) -> int:
    try:
        return FUNDING_MODES.index(mode)
    except ValueError:
        raise ValueError(f"unknown funding mode {mode!r}; expected one of {FUNDING_MODES}") from None


def modality_code(mode: str) -> int:
    try:
        return MODALITIES.index(mode)
    except ValueError:
        raise ValueError(f"unknown modality {mode!r}; expected one of {MODALITIES}") from None


def charter_preference_code(preference: str | None) -> int:
    try:
        return CHARTER_PREFERENCES[preference or ""]
    except KeyError:
        raise ValueError(
            f"unknown charter preference {preference!r}; expected one of {tuple(CHARTER_PREFERENCES)}"
        ) from None


def funding_compat_matrix() -> Bool:
    """Boolean matrix ``[need_code, offer_code]`` derived from :data:`FUNDING_COMPAT`."""
    m = np.zeros((len(FUNDING_MODES), len(FUNDING_MODES)), dtype=bool)
    for need_mode, offer_modes in FUNDING_COMPAT.items():
        for offer_mode in offer_modes:
            m[funding_code(need_mode), funding_code(offer_mode)] = True
    return m


_EPOCH = _dt.date(1970, 1, 1)


def to_day(value: object, default: int | None = None) -> int:
    """Convert a date-like value to an integer day number (days since 1970-01-01).

    ``None`` (or NaT) gives ``default``; raises if ``default`` is also ``None``.
    """
    if value is None:
        if default is None:
            raise ValueError("a day is required here")
        return default
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            if default is None:
                raise ValueError("a day is required here")
            return default
        return int(value.astype("datetime64[D]").astype(np.int64))
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return (value - _EPOCH).days
    raise TypeError(f"cannot convert {value!r} to a day number")


def day_to_date(day: int) -> _dt.date:
    return _EPOCH + _dt.timedelta(days=int(day))


# --------------------------------------------------------------------------
# Columnar instance
# --------------------------------------------------------------------------


def _csr(lists: Sequence[Sequence[int]]) -> tuple[I64, I64]:
    lens = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(lens, out=ptr[1:])
    flat = np.fromiter((int(v) for x in lists for v in x), dtype=np.int64, count=int(ptr[-1]))
    return ptr, flat


def _sorted_unique_csr(ptr: I64, values: I64) -> tuple[I64, I64]:
    """CSR lists with each row sorted and its repeats removed (the input itself when already so)."""
    if len(values) < 2 or len(ptr) < 2 or int(ptr[-1]) != len(values) or np.any(np.diff(ptr) < 0):
        return ptr, values  # too short to repeat, or malformed (the shape checks report it)
    rows = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    same_row = rows[1:] == rows[:-1]
    if not np.any(same_row & (values[1:] <= values[:-1])):
        return ptr, values
    order = np.lexsort((values, rows))
    rows, values = rows[order], values[order]
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = (rows[1:] != rows[:-1]) | (values[1:] != values[:-1])
    rows, values = rows[keep], values[keep]
    new_ptr = np.zeros(len(ptr), dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=len(ptr) - 1), out=new_ptr[1:])
    return new_ptr, values


def _ro(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False, kw_only=True)
class Instance:
    """Columnar matching instance (index space).

    Needs are indexed ``0..n_needs-1`` and offers ``0..n_offers-1``; skills are
    CSR lists (``*_skills_ptr``, ``*_skills``).  Categories are ``-1`` when
    absent.  Funding and modality are integer codes (see :data:`FUNDING_MODES`,
    :data:`MODALITIES`).  Windows use :data:`OPEN_START`/:data:`OPEN_END` for open
    ends.  ``excluded`` and ``fixed`` are ``(k, 2)`` arrays of
    ``(need_index, offer_index)``.  ``provider_charter`` is ``None`` when the
    charter input is absent (component switched off).
    """

    # needs
    need_ids: I64
    need_lat: F64
    need_lon: F64
    need_skills_ptr: I64
    need_skills: I64
    need_category: I64
    need_funding: I8
    need_remote: Bool
    need_start: I64
    need_end: I64
    need_opened: I64
    need_org: I64
    need_dep: Str
    need_commune: Str
    need_experts: I8
    # offers
    offer_ids: I64
    offer_provider: I64
    offer_lat: F64
    offer_lon: F64
    offer_radius_km: F64
    offer_skills_ptr: I64
    offer_skills: I64
    offer_category: I64
    offer_funding: I8
    offer_modality: I8
    offer_start: I64
    offer_end: I64
    offer_capacity: I64
    offer_consumed: I64
    offer_commune: Str
    # providers
    provider_ids: I64
    provider_load: I64
    provider_rating_mean: F64
    provider_rating_count: I64
    provider_org_ptr: I64
    provider_orgs: I64
    provider_charter: F64 | None = None
    #: per offer: its own charter value (NaN = inherits its provider's); ``None``: no offer has one
    offer_charter: F64 | None = None
    #: per need: :data:`CHARTER_PREFERENCES` code (0 none, 1 prefer, 2 only); ``None``: no preference anywhere
    need_charter: I8 | None = None
    # pairs
    excluded: I64 = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    fixed: I64 = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    # misc
    today: int = 0
    n_skills: int = 0
    need_texts: tuple[str, ...] | None = None
    offer_texts: tuple[str, ...] | None = None
    need_embeddings: F32 | None = None
    offer_embeddings: F32 | None = None
    need_onsite: Bool | None = None  # None: every need accepts on-site service
    #: per need: takes an offer of its category that covers none of its wanted skills; ``None``: no need does
    need_category_only: Bool | None = None

    def __post_init__(self) -> None:
        def set_(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        casts = {
            "need_ids": np.int64,
            "need_lat": np.float64,
            "need_lon": np.float64,
            "need_skills_ptr": np.int64,
            "need_skills": np.int64,
            "need_category": np.int64,
            "need_funding": np.int8,
            "need_remote": bool,
            "need_start": np.int64,
            "need_end": np.int64,
            "need_opened": np.int64,
            "need_org": np.int64,
            "need_experts": np.int8,
            "offer_ids": np.int64,
            "offer_provider": np.int64,
            "offer_lat": np.float64,
            "offer_lon": np.float64,
            "offer_radius_km": np.float64,
            "offer_skills_ptr": np.int64,
            "offer_skills": np.int64,
            "offer_category": np.int64,
            "offer_funding": np.int8,
            "offer_modality": np.int8,
            "offer_start": np.int64,
            "offer_end": np.int64,
            "offer_capacity": np.int64,
            "offer_consumed": np.int64,
            "provider_ids": np.int64,
            "provider_load": np.int64,
            "provider_rating_mean": np.float64,
            "provider_rating_count": np.int64,
            "provider_org_ptr": np.int64,
            "provider_orgs": np.int64,
        }
        for name, dt in casts.items():
            set_(name, _ro(np.asarray(getattr(self, name), dtype=dt)))
        # skill lists sorted and without repeats (a repeated id would double edges and halve the coverage)
        for side in ("need", "offer"):
            ptr, sk = _sorted_unique_csr(getattr(self, f"{side}_skills_ptr"), getattr(self, f"{side}_skills"))
            set_(f"{side}_skills_ptr", _ro(ptr))
            set_(f"{side}_skills", _ro(sk))
        for name in ("need_dep", "need_commune", "offer_commune"):
            set_(name, _ro(np.asarray(getattr(self, name), dtype=str)))
        if self.provider_charter is not None:
            set_("provider_charter", _ro(np.asarray(self.provider_charter, dtype=np.float64)))
        if self.offer_charter is not None:
            set_("offer_charter", _ro(np.asarray(self.offer_charter, dtype=np.float64)))
        if self.need_charter is not None:
            set_("need_charter", _ro(np.asarray(self.need_charter, dtype=np.int8)))
        if self.need_category_only is not None:
            set_("need_category_only", _ro(np.asarray(self.need_category_only, dtype=bool)))
        for name in ("excluded", "fixed"):
            a = np.asarray(getattr(self, name), dtype=np.int64).reshape(-1, 2)
            set_(name, _ro(a))
        for name in ("need_embeddings", "offer_embeddings"):
            v = getattr(self, name)
            if v is not None:
                set_(name, _ro(np.asarray(v, dtype=np.float32)))
        n, m, p = len(self.need_ids), len(self.offer_ids), len(self.provider_ids)
        if self.n_skills <= 0:
            mx = max(int(self.need_skills.max(initial=-1)), int(self.offer_skills.max(initial=-1)))
            set_("n_skills", mx + 1)
        # shape checks
        for name in (
            "need_lat",
            "need_lon",
            "need_category",
            "need_funding",
            "need_remote",
            "need_start",
            "need_end",
            "need_opened",
            "need_org",
            "need_dep",
            "need_commune",
            "need_experts",
        ):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has length {len(getattr(self, name))}, expected {n}")
        for name in (
            "offer_provider",
            "offer_lat",
            "offer_lon",
            "offer_radius_km",
            "offer_category",
            "offer_funding",
            "offer_modality",
            "offer_start",
            "offer_end",
            "offer_capacity",
            "offer_consumed",
            "offer_commune",
        ):
            if len(getattr(self, name)) != m:
                raise ValueError(f"{name} has length {len(getattr(self, name))}, expected {m}")
        for name in ("provider_load", "provider_rating_mean", "provider_rating_count"):
            if len(getattr(self, name)) != p:
                raise ValueError(f"{name} has length {len(getattr(self, name))}, expected {p}")
        if self.provider_charter is not None and len(self.provider_charter) != p:
            raise ValueError("provider_charter has the wrong length")
        if self.offer_charter is not None and len(self.offer_charter) != m:
            raise ValueError("offer_charter has the wrong length")
        if self.need_charter is not None and len(self.need_charter) != n:
            raise ValueError("need_charter has the wrong length")
        if self.need_category_only is not None and len(self.need_category_only) != n:
            raise ValueError("need_category_only has the wrong length")
        if len(self.need_skills_ptr) != n + 1 or len(self.offer_skills_ptr) != m + 1:
            raise ValueError("skill CSR pointers have the wrong length")
        if len(self.provider_org_ptr) != p + 1:
            raise ValueError("provider_org_ptr has the wrong length")
        if m and (self.offer_provider.min() < 0 or self.offer_provider.max() >= p):
            raise ValueError("offer_provider must index provider arrays")
        if (self.need_skills.size and (self.need_skills.min() < 0 or self.need_skills.max() >= self.n_skills)) or (
            self.offer_skills.size and (self.offer_skills.min() < 0 or self.offer_skills.max() >= self.n_skills)
        ):
            raise ValueError("skill ids must lie in [0, n_skills)")
        if np.any(self.need_start > self.need_end) or np.any(self.offer_start > self.offer_end):
            raise ValueError("a time window ends before it starts")
        for name in ("excluded", "fixed"):
            a = getattr(self, name)
            if a.size and (a[:, 0].min() < 0 or a[:, 0].max() >= n or a[:, 1].min() < 0 or a[:, 1].max() >= m):
                raise ValueError(f"{name} pairs must be (need_index, offer_index) in range")
        if self.need_texts is not None and len(self.need_texts) != n:
            raise ValueError("need_texts has the wrong length")
        if self.offer_texts is not None and len(self.offer_texts) != m:
            raise ValueError("offer_texts has the wrong length")
        if self.need_embeddings is not None and len(self.need_embeddings) != n:
            raise ValueError("need_embeddings has the wrong length")
        if self.offer_embeddings is not None and len(self.offer_embeddings) != m:
            raise ValueError("offer_embeddings has the wrong length")
        if len(np.unique(self.need_ids)) != n or len(np.unique(self.offer_ids)) != m:
            raise ValueError("need and offer ids must be unique")

    # ---- sizes --------------------------------------------------------
    @property
    def n_needs(self) -> int:
        return len(self.need_ids)

    @property
    def n_offers(self) -> int:
        return len(self.offer_ids)

    @property
    def n_providers(self) -> int:
        return len(self.provider_ids)

    # ---- helpers ----------------------------------------------------------
    def need_skill_list(self, i: int) -> list[int]:
        out: list[int] = self.need_skills[self.need_skills_ptr[i] : self.need_skills_ptr[i + 1]].tolist()
        return out

    def offer_skill_list(self, j: int) -> list[int]:
        out: list[int] = self.offer_skills[self.offer_skills_ptr[j] : self.offer_skills_ptr[j + 1]].tolist()
        return out

    def provider_org_set(self, p: int) -> set[int]:
        return set(self.provider_orgs[self.provider_org_ptr[p] : self.provider_org_ptr[p + 1]].tolist())

    @property
    def has_charter(self) -> bool:
        """Whether any provider or offer carries a charter value (the component is on)."""
        return self.provider_charter is not None or self.offer_charter is not None

    def offer_charter_values(self) -> F64:
        """Per offer: its charter value in [0, 1], its own when it has one, else its provider's
        (0 when neither is known)."""
        out = np.zeros(self.n_offers, dtype=np.float64)
        if self.provider_charter is not None:
            out = np.nan_to_num(self.provider_charter[self.offer_provider], nan=0.0)
        if self.offer_charter is not None:
            own = np.isfinite(self.offer_charter)
            out = np.where(own, self.offer_charter, out)
        result: F64 = np.clip(out, 0.0, 1.0)
        return result

    def charter_only_mask(self) -> Bool:
        """Which needs take labelled providers only (the hard rule)."""
        if self.need_charter is None:
            return np.zeros(self.n_needs, dtype=bool)
        return np.asarray(self.need_charter == CHARTER_PREFERENCES["only"], dtype=bool)

    def category_match_mask(self) -> Bool:
        """Which needs may be served on their category alone: those without a wanted skill, and those
        that accept an offer covering none of their skills (``need_category_only``)."""
        out = np.diff(self.need_skills_ptr) == 0
        if self.need_category_only is not None:
            out |= self.need_category_only
        return np.asarray(out, dtype=bool)

    def charter_prefer_mask(self) -> Bool:
        """Which needs prefer labelled providers (the soft preference)."""
        if self.need_charter is None:
            return np.zeros(self.n_needs, dtype=bool)
        return np.asarray(self.need_charter == CHARTER_PREFERENCES["prefer"], dtype=bool)

    def remaining_capacity(self) -> I64:
        """Capacity left per offer after ``consumed`` and the fixed assignments."""
        rem = self.offer_capacity - self.offer_consumed
        if len(self.fixed):
            rem = rem - np.bincount(self.fixed[:, 1], minlength=self.n_offers)
        return rem

    def need_index(self) -> dict[int, int]:
        return {int(v): i for i, v in enumerate(self.need_ids.tolist())}

    def offer_index(self) -> dict[int, int]:
        return {int(v): i for i, v in enumerate(self.offer_ids.tolist())}

    def onsite_mask(self) -> Bool:
        """Which needs accept on-site service (all, unless told otherwise)."""
        if self.need_onsite is None:
            return np.ones(len(self.need_ids), dtype=bool)
        return np.asarray(self.need_onsite, dtype=bool)

    def with_fixed(self, fixed_pairs: Iterable[tuple[int, int]]) -> Instance:
        """Copy with fixed assignments given as ``(need_id, offer_id)`` pairs."""
        return self._replace_pairs("fixed", fixed_pairs)

    def with_excluded(self, pairs: Iterable[tuple[int, int]]) -> Instance:
        """Copy with excluded pairs given as ``(need_id, offer_id)`` pairs."""
        return self._replace_pairs("excluded", pairs)

    def _replace_pairs(self, name: str, pairs: Iterable[tuple[int, int]]) -> Instance:
        ni, oi = self.need_index(), self.offer_index()
        arr = np.array([(ni[int(a)], oi[int(b)]) for a, b in pairs], dtype=np.int64).reshape(-1, 2)
        kwargs = {f: getattr(self, f) for f in self.__dataclass_fields__}
        kwargs[name] = arr
        return Instance(**kwargs)

    def replace(self, **changes: object) -> Instance:
        kwargs = {f: getattr(self, f) for f in self.__dataclass_fields__}
        kwargs.update(changes)
        return Instance(**kwargs)

    # ---- construction from records -----------------------------------------
    @classmethod
    def from_records(
        cls,
        needs: Sequence[Need],
        offers: Sequence[Offer],
        providers: Sequence[Provider],
        *,
        excluded_pairs: Iterable[tuple[int, int]] = (),
        fixed: Iterable[tuple[int, int]] = (),
        today: object = None,
        n_skills: int = 0,
        need_embeddings: F32 | None = None,
        offer_embeddings: F32 | None = None,
    ) -> Instance:
        """Build an instance from row records.

        ``excluded_pairs`` and ``fixed`` are ``(need_id, offer_id)`` pairs (ids,
        not indices).  ``fixed`` are approved/accepted proposals: their needs are
        left out of the new run and their offers' capacity is consumed.
        ``today`` defaults to the current date.
        """
        today_day = to_day(today if today is not None else _dt.date.today())
        prov_index = {p.id: i for i, p in enumerate(providers)}
        need_index = {n.id: i for i, n in enumerate(needs)}
        offer_index = {o.id: i for i, o in enumerate(offers)}
        n_ptr, n_sk = _csr([sorted(set(n.skills)) for n in needs])
        o_ptr, o_sk = _csr([sorted(set(o.skills)) for o in offers])
        p_ptr, p_orgs = _csr([sorted(p.org_ids) for p in providers])
        charter: F64 | None = None
        if any(p.charter is not None for p in providers):
            charter = np.array([np.nan if p.charter is None else float(p.charter) for p in providers], dtype=np.float64)
        offer_charter: F64 | None = None
        if any(o.charter is not None for o in offers):
            offer_charter = np.array([np.nan if o.charter is None else float(o.charter) for o in offers])
        need_charter: I8 | None = None
        if any(n.charter_preference for n in needs):
            need_charter = np.array([charter_preference_code(n.charter_preference) for n in needs], dtype=np.int8)
        try:
            offer_provider = [prov_index[o.provider_id] for o in offers]
        except KeyError as e:
            raise ValueError(f"offer refers to unknown provider {e.args[0]}") from None

        def pairs(seq: Iterable[tuple[int, int]], what: str) -> I64:
            out: list[tuple[int, int]] = []
            for a, b in seq:
                if a not in need_index or b not in offer_index:
                    raise ValueError(f"{what} pair ({a}, {b}) refers to an unknown need or offer")
                out.append((need_index[a], offer_index[b]))
            return np.array(out, dtype=np.int64).reshape(-1, 2)

        has_text = any(n.text for n in needs) or any(o.text for o in offers)
        return cls(
            need_ids=np.array([n.id for n in needs], dtype=np.int64),
            need_lat=np.array([n.lat for n in needs], dtype=np.float64),
            need_lon=np.array([n.lon for n in needs], dtype=np.float64),
            need_skills_ptr=n_ptr,
            need_skills=n_sk,
            need_category=np.array([-1 if n.category is None else n.category for n in needs], dtype=np.int64),
            need_funding=np.array([funding_code(n.funding) for n in needs], dtype=np.int8),
            need_remote=np.array([bool(n.accepts_remote) for n in needs], dtype=np.bool_),
            need_start=np.array([to_day(n.start, OPEN_START) for n in needs], dtype=np.int64),
            need_end=np.array([to_day(n.end, OPEN_END) for n in needs], dtype=np.int64),
            need_opened=np.array([to_day(n.opened_on, today_day) for n in needs], dtype=np.int64),
            need_org=np.array([-1 if n.org_id is None else n.org_id for n in needs], dtype=np.int64),
            need_dep=np.array([n.dep_code for n in needs], dtype=np.str_),
            need_commune=np.array([n.commune for n in needs], dtype=np.str_),
            need_experts=np.array([n.experts_required for n in needs], dtype=np.int8),
            offer_ids=np.array([o.id for o in offers], dtype=np.int64),
            offer_provider=np.array(offer_provider, dtype=np.int64),
            offer_lat=np.array([o.lat for o in offers], dtype=np.float64),
            offer_lon=np.array([o.lon for o in offers], dtype=np.float64),
            offer_radius_km=np.array([o.radius_km for o in offers], dtype=np.float64),
            offer_skills_ptr=o_ptr,
            offer_skills=o_sk,
            offer_category=np.array([-1 if o.category is None else o.category for o in offers], dtype=np.int64),
            offer_funding=np.array([funding_code(o.funding) for o in offers], dtype=np.int8),
            offer_modality=np.array([modality_code(o.modality) for o in offers], dtype=np.int8),
            offer_start=np.array([to_day(o.start, OPEN_START) for o in offers], dtype=np.int64),
            offer_end=np.array([to_day(o.end, OPEN_END) for o in offers], dtype=np.int64),
            offer_capacity=np.array([o.capacity for o in offers], dtype=np.int64),
            offer_consumed=np.array([o.consumed for o in offers], dtype=np.int64),
            offer_commune=np.array([o.commune for o in offers], dtype=np.str_),
            provider_ids=np.array([p.id for p in providers], dtype=np.int64),
            provider_load=np.array([p.current_missions for p in providers], dtype=np.int64),
            provider_rating_mean=np.array(
                [np.nan if p.rating_mean is None else p.rating_mean for p in providers], dtype=np.float64
            ),
            provider_rating_count=np.array([p.rating_count for p in providers], dtype=np.int64),
            provider_org_ptr=p_ptr,
            provider_orgs=p_orgs,
            provider_charter=charter,
            offer_charter=offer_charter,
            need_charter=need_charter,
            excluded=pairs(excluded_pairs, "excluded"),
            fixed=pairs(fixed, "fixed"),
            today=today_day,
            n_skills=n_skills,
            need_texts=tuple(n.text for n in needs) if has_text else None,
            offer_texts=tuple(o.text for o in offers) if has_text else None,
            need_embeddings=need_embeddings,
            offer_embeddings=offer_embeddings,
            need_onsite=np.array([bool(n.accepts_onsite) for n in needs], dtype=bool),
            need_category_only=(
                np.array([bool(n.accepts_category_only) for n in needs], dtype=bool)
                if any(n.accepts_category_only for n in needs)
                else None
            ),
        )


def labels_or_ids(ids: Iterable[int], labels: Mapping[int, str] | None) -> list[str]:
    labels = labels or {}
    return [labels.get(int(i), f"compétence {int(i)}") for i in ids]
