"""Helpers of the matching tests (pure library: no Flask)."""

from __future__ import annotations

import itertools

import numpy as np

from matching.model import OPEN_END, OPEN_START, Instance

#: South-west corners of test boxes over metropolitan France and overseas.
PLACES: dict[str, tuple[float, float]] = {
    "marseille": (43.0, 5.0),
    "brest": (48.2, -4.8),  # west of Greenwich
    "nantes": (47.0, -1.9),
    "bordeaux_greenwich": (44.6, -0.4),  # straddles longitude 0
    "lille": (50.4, 2.8),
    "strasbourg": (48.4, 7.5),
    "ajaccio": (41.7, 8.6),
    "guadeloupe": (15.9, -61.8),
    "martinique": (14.4, -61.2),
    "guyane": (4.7, -52.6),
    "reunion": (-21.3, 55.3),  # southern hemisphere
    "mayotte": (-13.0, 45.0),
    "saint_pierre": (46.7, -56.4),
}


def random_instance(
    seed: int,
    n_needs: int,
    n_offers: int,
    *,
    n_skills: int = 6,
    charter: bool | None = None,
    experts2: float = 0.0,
    fixed: int = 0,
    origin: tuple[float, float] = (43.0, 5.0),
) -> Instance:
    """Small random instance in a ~45 x 65 km box so that every rule bites; ``origin`` is its south-west
    corner (see :data:`PLACES`: western France and overseas have negative longitudes)."""
    rng = np.random.default_rng(seed)
    n_prov = max(1, int(rng.integers(1, n_offers + 1)))

    def sets(n, kmax, allow_empty=False):
        lists = []
        for _ in range(n):
            k = int(rng.integers(0 if allow_empty else 1, kmax + 1))
            lists.append(sorted(rng.choice(n_skills, size=k, replace=False).tolist()))
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum([len(x) for x in lists], out=ptr[1:])
        return ptr, np.array([v for x in lists for v in x], dtype=np.int64)

    def windows(n, open_p):
        s = rng.integers(0, 100, n)
        e = s + rng.integers(0, 40, n)
        s = np.where(rng.random(n) < open_p, OPEN_START, s)
        e = np.where(rng.random(n) < open_p, OPEN_END, e)
        return s, e

    n_ptr, n_sk = sets(n_needs, 3, allow_empty=True)
    o_ptr, o_sk = sets(n_offers, 3)
    ns, ne = windows(n_needs, 0.1)
    os_, oe = windows(n_offers, 0.3)
    n_orgs = 3
    org_sets = [sorted(rng.choice(n_orgs, size=int(rng.integers(0, 2)), replace=False).tolist()) for _ in range(n_prov)]
    p_ptr = np.zeros(n_prov + 1, dtype=np.int64)
    np.cumsum([len(x) for x in org_sets], out=p_ptr[1:])
    cap = rng.integers(0, 4, n_offers)
    consumed = np.minimum(rng.integers(0, 2, n_offers), cap)
    deps = np.array(["04", "13", "83"])
    n_ex = int(rng.integers(0, n_needs * n_offers // 3 + 1))
    excluded = np.stack([rng.integers(0, n_needs, n_ex), rng.integers(0, n_offers, n_ex)], axis=1)
    rated = rng.random(n_prov) < 0.6
    if charter is None:
        charter = bool(rng.random() < 0.5)
    inst = Instance(
        need_ids=np.arange(100, 100 + n_needs),
        need_lat=rng.uniform(origin[0], origin[0] + 0.4, n_needs),
        need_lon=rng.uniform(origin[1], origin[1] + 0.8, n_needs),
        need_skills_ptr=n_ptr,
        need_skills=n_sk,
        need_category=np.where(rng.random(n_needs) < 0.5, rng.integers(0, 3, n_needs), -1),
        need_funding=rng.integers(0, 3, n_needs),
        need_remote=rng.random(n_needs) < 0.4,
        need_start=ns,
        need_end=ne,
        need_opened=rng.integers(0, 120, n_needs),
        need_org=np.where(rng.random(n_needs) < 0.7, rng.integers(0, n_orgs, n_needs), -1),
        need_dep=deps[rng.integers(0, 3, n_needs)],
        need_commune=np.array([""] * n_needs),
        need_experts=np.where(rng.random(n_needs) < experts2, 2, 1),
        offer_ids=np.arange(500, 500 + n_offers),
        offer_provider=rng.integers(0, n_prov, n_offers),
        offer_lat=rng.uniform(origin[0], origin[0] + 0.4, n_offers),
        offer_lon=rng.uniform(origin[1], origin[1] + 0.8, n_offers),
        offer_radius_km=rng.uniform(5, 45, n_offers),
        offer_skills_ptr=o_ptr,
        offer_skills=o_sk,
        offer_category=rng.integers(0, 3, n_offers),
        offer_funding=rng.integers(0, 3, n_offers),
        offer_modality=rng.integers(0, 3, n_offers),
        offer_start=os_,
        offer_end=oe,
        offer_capacity=cap,
        offer_consumed=consumed,
        offer_commune=np.array([""] * n_offers),
        provider_ids=np.arange(900, 900 + n_prov),
        provider_load=rng.integers(0, 8, n_prov),
        provider_rating_mean=np.where(rated, rng.uniform(1, 5, n_prov), np.nan),
        provider_rating_count=np.where(rated, rng.integers(1, 10, n_prov), 0),
        provider_org_ptr=p_ptr,
        provider_orgs=np.array([v for x in org_sets for v in x], dtype=np.int64),
        provider_charter=rng.random(n_prov) if charter else None,
        excluded=excluded,
        today=120,
        n_skills=n_skills,
    )
    # about a third of the remote-accepting needs are remote only
    inst = inst.replace(need_onsite=~inst.need_remote | (rng.random(n_needs) < 0.7))
    # some needs accept an offer of their category that covers none of their skills
    if rng.random() < 0.5:
        inst = inst.replace(need_category_only=rng.random(n_needs) < 0.5)
    if fixed:
        # fix a few feasible pairs found by brute force (for incremental tests)
        from matching.checker import check_pair

        rem = (inst.offer_capacity - inst.offer_consumed).copy()
        pairs = []
        for n in range(n_needs):
            for o in range(n_offers):
                if len(pairs) < fixed and rem[o] > 0 and not check_pair(inst, n, o):
                    pairs.append((n, o))
                    rem[o] -= 1
                    break
        inst = inst.replace(fixed=np.array(pairs, dtype=np.int64).reshape(-1, 2))
    return inst


def brute_force_optimum(cand, scores) -> int:
    """Best integer objective by enumerating every assignment (tiny instances)."""
    per_need = {}
    for e in range(len(cand)):
        if scores.score_int[e] > 0:
            per_need.setdefault(int(cand.need_idx[e]), []).append(e)
    needs = sorted(per_need)
    best = 0
    rem = cand.remaining
    for choice in itertools.product(*[[None] + per_need[n] for n in needs]):
        used: dict[int, int] = {}
        ok = True
        total = 0
        for e in choice:
            if e is None:
                continue
            o = int(cand.offer_idx[e])
            used[o] = used.get(o, 0) + 1
            if used[o] > rem[o]:
                ok = False
                break
            total += int(scores.score_int[e])
        if ok and total > best:
            best = total
    return best
