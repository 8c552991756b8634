"""Seeded synthetic instances on the real communes of the Région Sud.

Used by the benchmark (``python -m matching.bench``) and by the tests.  Needs and
providers sit in communes sampled with probability proportional to population
(so they cluster around Marseille, Nice, Toulon, Avignon, ...); skills have a
Zipf popularity among :data:`SKILL_LABELS`; radii are log-uniform in 10–80 km; a
tenth of the offers are remote capable.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .model import F64, I64, OPEN_END, OPEN_START, Instance

REGION_SUD = "93"
REPO_ROOT = Path(__file__).resolve().parent.parent
COMMUNES_PATH = REPO_ROOT / "data" / "communes.csv.gz"

SKILL_LABELS: dict[int, str] = dict(
    enumerate(
        [
            "site web",
            "réseaux sociaux",
            "bureautique",
            "messagerie électronique",
            "démarches en ligne",
            "sécurité informatique",
            "sauvegarde des données",
            "comptabilité en ligne",
            "gestion de projet",
            "visioconférence",
            "retouche photo",
            "montage vidéo",
            "logiciels libres",
            "partage de fichiers",
            "lettre d'information",
            "référencement",
            "base de données",
            "tableur",
            "RGPD",
            "maintenance informatique",
            "réseau et wifi",
            "smartphone et tablette",
            "impression 3D",
            "programmation",
            "accessibilité numérique",
            "communication visuelle",
            "financement participatif",
            "outils collaboratifs",
            "gestion des adhérents",
            "billetterie en ligne",
            "boutique en ligne",
            "cartographie",
            "podcast",
            "données ouvertes",
            "intelligence artificielle",
            "cybersécurité",
            "administration de serveurs",
            "identité numérique",
            "inclusion numérique",
            "fabrication numérique",
        ]
    )
)

N_CATEGORIES = 8


@dataclass(frozen=True, eq=False)
class Communes:
    insee: np.ndarray
    name: np.ndarray
    dep_code: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    population: np.ndarray
    source: str

    def __len__(self) -> int:
        return len(self.insee)


def load_communes(path: str | Path | None = None, region_code: str = REGION_SUD) -> Communes:
    """Communes of one région from ``data/communes.csv.gz`` (rows without
    coordinates or population are skipped)."""
    path = Path(path) if path else COMMUNES_PATH
    rows = []
    with gzip.open(path, "rb") as fh:
        for r in csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8")):
            if r["region_code"] != region_code or not r["lat"] or not r["lon"] or not r["population"]:
                continue
            rows.append(r)
    if not rows:
        raise ValueError(f"no commune of région {region_code} in {path}")
    return Communes(
        insee=np.array([r["insee"] for r in rows]),
        name=np.array([r["name"] for r in rows]),
        dep_code=np.array([r["dep_code"] for r in rows]),
        lat=np.array([float(r["lat"]) for r in rows]),
        lon=np.array([float(r["lon"]) for r in rows]),
        population=np.array([int(r["population"]) for r in rows], dtype=np.int64),
        source=str(path),
    )


def toy_communes(n: int = 60, seed: int = 0) -> Communes:
    """Small made-up communes (for tests that must not depend on the data file)."""
    rng = np.random.default_rng(seed)
    deps = np.array(["04", "05", "06", "13", "83", "84"])
    return Communes(
        insee=np.array([f"99{i:03d}" for i in range(n)]),
        name=np.array([f"Commune {i}" for i in range(n)]),
        dep_code=deps[rng.integers(0, len(deps), n)],
        lat=rng.uniform(43.1, 44.9, n),
        lon=rng.uniform(4.3, 7.6, n),
        population=(rng.pareto(1.2, n) * 1000 + 100).astype(np.int64),
        source="toy",
    )


def _sample_sets(rng: np.random.Generator, n_rows: int, probs: F64, size_p: list[float]) -> tuple[I64, I64]:
    """CSR lists of distinct items, sizes drawn from ``size_p`` (1-based), items
    weighted by ``probs`` (Gumbel top-k: sampling without replacement)."""
    sizes = rng.choice(np.arange(1, len(size_p) + 1), size=n_rows, p=size_p)
    keys = np.log(probs)[None, :] + rng.gumbel(size=(n_rows, len(probs)))
    order = np.argsort(-keys, axis=1)[:, : len(size_p)]
    mask = np.arange(len(size_p))[None, :] < sizes[:, None]
    ptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(sizes, out=ptr[1:])
    items = np.sort(np.where(mask, order, 10**9), axis=1)
    return ptr, items[items < 10**9]


def make_instance(
    n_needs: int,
    n_offers: int,
    *,
    seed: int = 0,
    communes: Communes | None = None,
    zipf_a: float = 1.0,
    remote_share: float = 0.10,
    need_remote_share: float = 0.30,
    texts: bool = False,
    today: int = 20_000,
) -> Instance:
    """A seeded synthetic instance (see module doc)."""
    rng = np.random.default_rng(seed)
    communes = communes if communes is not None else load_communes()
    w = communes.population.astype(np.float64)
    w /= w.sum()
    S = len(SKILL_LABELS)
    pop = 1.0 / np.arange(1, S + 1) ** zipf_a
    perm = rng.permutation(S)  # which skill is popular is seeded too
    skill_p = np.empty(S)
    skill_p[perm] = pop / pop.sum()
    skill_cat = np.arange(S) % N_CATEGORIES

    # ---- providers ----
    n_prov = max(1, round(n_offers * 0.6))
    prov_commune = rng.choice(len(communes), size=n_prov, p=w)
    n_orgs = max(1, n_needs // 3)
    has_org = rng.random(n_prov) < 0.05
    prov_org_ptr = np.zeros(n_prov + 1, dtype=np.int64)
    np.cumsum(has_org, out=prov_org_ptr[1:])
    prov_orgs = rng.integers(0, n_orgs, int(has_org.sum()))
    rated = rng.random(n_prov) < 0.6
    rating_mean = np.where(rated, np.clip(rng.normal(4.0, 0.6, n_prov), 1, 5), np.nan)
    rating_count = np.where(rated, rng.integers(1, 20, n_prov), 0)
    load = rng.poisson(1.5, n_prov)

    # ---- offers ----
    offer_provider = np.concatenate([np.arange(n_prov), rng.integers(0, n_prov, n_offers - n_prov)])[:n_offers]
    oc = prov_commune[offer_provider]
    o_ptr, o_sk = _sample_sets(rng, n_offers, skill_p, [0.4, 0.4, 0.2])
    o_first = o_sk[o_ptr[:-1]]
    u = rng.random(n_offers)
    modality = np.where(u < remote_share * 0.4, 1, np.where(u < remote_share, 2, 0))
    radius = np.exp(rng.uniform(np.log(10), np.log(80), n_offers))
    o_open = rng.random(n_offers) < 0.2
    o_start = np.where(o_open, OPEN_START, today + rng.integers(-30, 330, n_offers))
    o_end = np.where(o_open, OPEN_END, o_start + rng.integers(30, 150, n_offers))
    capacity = rng.choice([1, 2, 3, 4, 5], size=n_offers, p=[0.3, 0.3, 0.2, 0.1, 0.1])
    consumed = np.minimum(rng.binomial(1, 0.2, n_offers), capacity - 1)

    # ---- needs ----
    nc = rng.choice(len(communes), size=n_needs, p=w)
    n_ptr, n_sk = _sample_sets(rng, n_needs, skill_p, [0.65, 0.35])
    n_first = n_sk[n_ptr[:-1]]
    need_cat = np.where(rng.random(n_needs) < 0.1, skill_cat[n_first], -1)
    n_start = today + rng.integers(0, 365, n_needs)
    n_end = n_start + rng.integers(14, 60, n_needs)

    excl_n = rng.integers(0, n_needs, max(1, n_needs // 100))
    excl_o = rng.integers(0, n_offers, len(excl_n))
    need_texts = offer_texts = None
    if texts:
        lab = SKILL_LABELS
        need_texts = tuple(
            "Notre association cherche de l'aide : " + ", ".join(lab[s] for s in n_sk[n_ptr[i] : n_ptr[i + 1]])
            for i in range(n_needs)
        )
        offer_texts = tuple(
            "J'accompagne les associations : " + ", ".join(lab[s] for s in o_sk[o_ptr[j] : o_ptr[j + 1]])
            for j in range(n_offers)
        )
    return Instance(
        need_ids=np.arange(1, n_needs + 1),
        need_lat=communes.lat[nc],
        need_lon=communes.lon[nc],
        need_skills_ptr=n_ptr,
        need_skills=n_sk,
        need_category=need_cat,
        need_funding=rng.choice(3, size=n_needs, p=[0.5, 0.3, 0.2]).astype(np.int8),
        need_remote=rng.random(n_needs) < need_remote_share,
        need_start=n_start,
        need_end=n_end,
        need_opened=today - rng.integers(0, 180, n_needs),
        need_org=rng.integers(0, n_orgs, n_needs),
        need_dep=communes.dep_code[nc],
        need_commune=communes.insee[nc],
        need_experts=np.ones(n_needs, dtype=np.int8),
        offer_ids=np.arange(1, n_offers + 1),
        offer_provider=offer_provider,
        offer_lat=communes.lat[oc],
        offer_lon=communes.lon[oc],
        offer_radius_km=radius,
        offer_skills_ptr=o_ptr,
        offer_skills=o_sk,
        offer_category=skill_cat[o_first],
        offer_funding=rng.choice(3, size=n_offers, p=[0.35, 0.35, 0.3]).astype(np.int8),
        offer_modality=modality,
        offer_start=o_start,
        offer_end=o_end,
        offer_capacity=capacity,
        offer_consumed=consumed,
        offer_commune=communes.insee[oc],
        provider_ids=np.arange(1, n_prov + 1),
        provider_load=load,
        provider_rating_mean=rating_mean,
        provider_rating_count=rating_count,
        provider_org_ptr=prov_org_ptr,
        provider_orgs=prov_orgs,
        excluded=np.stack([excl_n, excl_o], axis=1),
        today=today,
        n_skills=S,
        need_texts=need_texts,
        offer_texts=offer_texts,
    )
