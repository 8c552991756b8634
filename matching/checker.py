"""Independent feasibility checker.

Re-checks every hard rule of every assignment from the raw instance data, in
plain scalar Python (its own haversine, its own reading of the rules); it uses
neither the candidate builder nor any solver.  Also checks capacities (with the
fixed assignments and the already consumed capacity), one offer per need (two
from different providers covering every wanted skill for a two-expert need)
and, when given, the side constraints.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from .model import CHARTER_PREFERENCES, EARTH_RADIUS_KM, FUNDING_COMPAT, FUNDING_MODES, MODALITIES, Instance

#: ``{need_id: offer_id}``, or a tuple of offer ids for a two-expert need.
AssignmentMap = Mapping[int, "int | Iterable[int]"]


class HasAssignments(Protocol):
    """A :class:`~matching.engine.MatchingResult` (anything with ``assignments``)."""

    @property
    def assignments(self) -> AssignmentMap: ...


class SideRules(Protocol):
    """The side constraints the checker reads (:class:`matching.solvers.SideConstraints`)."""

    @property
    def territory_share(self) -> float | None: ...

    @property
    def territory_min_cap(self) -> int: ...

    @property
    def min_per_department(self) -> Mapping[str, int] | int | None: ...


@dataclass(frozen=True)
class Violation:
    rule: str
    need_id: int | None
    offer_id: int | None
    detail: str
    #: the facts of a side-constraint violation, for a reader's wording (``territory_share``:
    #: provider_id, department, count, cap; ``min_per_department``: department, count, wanted); left out
    #: of equality and hash (``detail`` says the same), so that violations stay values
    params: Mapping[str, object] = field(default_factory=dict, compare=False)


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, a))))


def check_pair(
    inst: Instance, n: int, o: int, tol_km: float = 1e-6, excluded: set[tuple[int, int]] | None = None
) -> list[tuple[str, str]]:
    """Hard-rule violations ``(rule, detail)`` of need index ``n`` with offer index ``o``."""
    if excluded is None:
        excluded = {(a, b) for a, b in inst.excluded.tolist()}
    out = []
    wanted = set(inst.need_skill_list(n))
    offered = set(inst.offer_skill_list(o))
    cat_n, cat_o = int(inst.need_category[n]), int(inst.offer_category[o])
    category_ok = not wanted or (inst.need_category_only is not None and bool(inst.need_category_only[n]))
    if not (wanted & offered) and not (cat_n >= 0 and cat_n == cat_o):
        out.append(
            (
                "skills",
                f"no wanted skill covered ({sorted(wanted)} vs {sorted(offered)}) and category {cat_n} != {cat_o}",
            )
        )
    elif not (wanted & offered) and not category_ok:
        out.append(("skills", f"no wanted skill covered ({sorted(wanted)} vs {sorted(offered)}), same category only"))

    modality = MODALITIES[int(inst.offer_modality[o])]
    d = _haversine(float(inst.need_lat[n]), float(inst.need_lon[n]), float(inst.offer_lat[o]), float(inst.offer_lon[o]))
    onsite_ok = (
        modality in ("onsite", "both")
        and d <= float(inst.offer_radius_km[o]) + tol_km
        and (inst.need_onsite is None or bool(inst.need_onsite[n]))
    )
    remote_ok = bool(inst.need_remote[n]) and modality in ("remote", "both")
    if not (onsite_ok or remote_ok):
        out.append(
            (
                "place",
                (
                    f"{d:.3f} km for radius {float(inst.offer_radius_km[o]):.3f} km, modality {modality}, "
                    f"need accepts remote: {bool(inst.need_remote[n])}"
                ),
            )
        )

    nf, of = FUNDING_MODES[int(inst.need_funding[n])], FUNDING_MODES[int(inst.offer_funding[o])]
    if of not in FUNDING_COMPAT[nf]:
        out.append(("funding", f"need {nf} cannot take offer {of}"))

    if not (int(inst.need_start[n]) <= int(inst.offer_end[o]) and int(inst.offer_start[o]) <= int(inst.need_end[n])):
        out.append(("time", "windows do not overlap"))

    if (n, o) in excluded:
        out.append(("excluded", "pair explicitly excluded"))
    org = int(inst.need_org[n])
    if org >= 0 and org in inst.provider_org_set(int(inst.offer_provider[o])):
        out.append(("own_organisation", f"provider belongs to the need's organisation {org}"))
    if inst.need_charter is not None and int(inst.need_charter[n]) == CHARTER_PREFERENCES["only"]:
        own = math.nan if inst.offer_charter is None else float(inst.offer_charter[o])
        inherited = math.nan if inst.provider_charter is None else float(inst.provider_charter[inst.offer_provider[o]])
        value = own if math.isfinite(own) else inherited
        if not (math.isfinite(value) and value > 0.0):
            out.append(("charter_only", "the need takes labelled providers only and this offer has no label"))
    return out


def check_assignments(
    inst: Instance,
    assignments: AssignmentMap | HasAssignments,
    *,
    side_constraints: SideRules | None = None,
    include_fixed: bool = True,
) -> list[Violation]:
    """Violations of ``assignments`` (``{need_id: offer_id or (offer_id, offer_id)}``,
    or a :class:`~matching.engine.MatchingResult`).  The instance's fixed
    assignments are checked too and count towards capacities; an entry equal to a
    fixed assignment is that fixed assignment (so ``result.all_assignments()``
    can be checked as a whole), any other entry for a fixed need is a violation."""
    if not isinstance(assignments, Mapping):
        assignments = assignments.assignments
    nidx = {int(v): i for i, v in enumerate(inst.need_ids.tolist())}
    oidx = {int(v): j for j, v in enumerate(inst.offer_ids.tolist())}
    nid, oid = inst.need_ids.tolist(), inst.offer_ids.tolist()
    violations: list[Violation] = []
    fixed_needs = {a for a, _ in inst.fixed.tolist()}
    fixed_pairs = {(a, b) for a, b in inst.fixed.tolist()}

    pairs: list[tuple[int, int]] = []  # (need index, offer index) of the new assignments
    per_need: dict[int, list[int]] = {}
    for need_id, value in assignments.items():
        offers: tuple[int, ...] = tuple(value) if isinstance(value, Iterable) else (value,)
        if need_id not in nidx:
            violations.append(Violation("unknown_need", need_id, None, "need id not in the instance"))
            continue
        n = nidx[need_id]
        if len(offers) == 1 and offers[0] in oidx and (n, oidx[offers[0]]) in fixed_pairs:
            continue  # the fixed assignment itself (checked below with the fixed ones)
        if n in fixed_needs:
            violations.append(Violation("fixed_need", need_id, None, "need already has a fixed assignment"))
        js = []
        for offer_id in offers:
            if offer_id not in oidx:
                violations.append(Violation("unknown_offer", need_id, offer_id, "offer id not in the instance"))
                continue
            js.append(oidx[offer_id])
        per_need[n] = js
        pairs.extend((n, j) for j in js)

    checked = list(pairs)
    if include_fixed:
        checked += [(a, b) for a, b in inst.fixed.tolist()]
    excluded = {(a, b) for a, b in inst.excluded.tolist()}
    for n, o in checked:
        for rule, detail in check_pair(inst, n, o, excluded=excluded):
            violations.append(Violation(rule, nid[n], oid[o], detail))

    # one offer per need, or a valid pair for a two-expert need
    for n, js in per_need.items():
        if len(js) <= 1:
            continue
        if int(inst.need_experts[n]) < 2 or len(js) != 2:
            violations.append(
                Violation(
                    "multiple_offers",
                    nid[n],
                    None,
                    f"{len(js)} offers for a need requiring {int(inst.need_experts[n])} expert(s)",
                )
            )
            continue
        p1, p2 = (int(inst.offer_provider[j]) for j in js)
        if p1 == p2:
            violations.append(Violation("two_experts", nid[n], None, "both offers come from the same provider"))
        wanted = set(inst.need_skill_list(n))
        got = set(inst.offer_skill_list(js[0])) | set(inst.offer_skill_list(js[1]))
        if not wanted <= got:
            violations.append(Violation("two_experts", nid[n], None, f"skills {sorted(wanted - got)} not covered"))

    # capacities
    use = Counter(o for _, o in pairs)
    use.update(b for _, b in inst.fixed.tolist())
    for o, k in use.items():
        cap = int(inst.offer_capacity[o]) - int(inst.offer_consumed[o])
        if k > cap:
            violations.append(Violation("capacity", None, oid[o], f"{k} assignments for {cap} remaining"))

    if side_constraints is not None:
        violations.extend(_check_side(inst, pairs, per_need, side_constraints, fixed_needs))
    return violations


def _check_side(
    inst: Instance,
    pairs: list[tuple[int, int]],
    per_need: dict[int, list[int]],
    side: SideRules,
    fixed_needs: set[int],
) -> list[Violation]:
    out = []
    run_needs = [n for n in range(inst.n_needs) if n not in fixed_needs]
    dep_count = Counter(str(inst.need_dep[n]) for n in run_needs)
    if side.territory_share is not None:
        load = Counter((str(inst.need_dep[n]), int(inst.offer_provider[o])) for n, o in pairs)
        for (d, p), k in load.items():
            cap = max(int(side.territory_min_cap), math.floor(side.territory_share * dep_count[d] + 1e-9))
            if k > cap:
                out.append(
                    Violation(
                        "territory_share",
                        None,
                        None,
                        f"provider {int(inst.provider_ids[p])} has {k} proposals in {d} (cap {cap})",
                        {"provider_id": int(inst.provider_ids[p]), "department": d, "count": k, "cap": cap},
                    )
                )
    if side.min_per_department is not None:
        got = Counter(str(inst.need_dep[n]) for n, js in per_need.items() if js)
        if isinstance(side.min_per_department, Mapping):
            wanted = {str(d): int(v) for d, v in side.min_per_department.items()}
        else:
            wanted = {d: int(side.min_per_department) for d in dep_count}
        for d, want in wanted.items():
            if got.get(d, 0) < want:
                out.append(
                    Violation(
                        "min_per_department",
                        None,
                        None,
                        f"{got.get(d, 0)} proposals in {d}, wanted {want}",
                        {"department": d, "count": got.get(d, 0), "wanted": want},
                    )
                )
    return out
