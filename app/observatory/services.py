"""The observatory's reads of the database: coverage from the matching engine's view of the offers,
its snapshot (refreshed by the periodic job), and the skill groups."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.directory.skills import taxonomy
from app.extensions import db
from app.matches.instance import Vocabulary, supply_records
from app.needs.models import Need
from app.needs.models import NeedStatus as NS
from app.observatory import coverage as cov
from app.territory.models import Commune

log = logging.getLogger(__name__)

OPEN_STATUSES = (NS.OPEN, NS.PROPOSED)


def skill_groups() -> dict[str, list[str]]:
    """Top-level skill code → its current leaf skills, in the taxonomy's order."""
    tax = taxonomy()
    return {
        s.code: [c for c in s.children if not tax[c].retired]
        for s in tax.values()
        if s.parent is None and any(not tax[c].retired for c in s.children)
    }


def group_of_skill() -> dict[str, str]:
    return {leaf: group for group, leaves in skill_groups().items() for leaf in leaves}


def group_label(code: str) -> str:
    skill = taxonomy().get(code)
    return skill.label() if skill else code


def region_places(region_code: str = cov.SUD_REGION) -> list[cov.Place]:
    rows = db.session.execute(
        select(Commune.insee, Commune.name, Commune.dep_code, Commune.lat, Commune.lon, Commune.population)
        .where(Commune.region_code == region_code, Commune.lat.is_not(None))
        .order_by(Commune.insee)
    ).all()
    return [cov.Place(i, n, d, float(la), float(lo), int(p or 0)) for i, n, d, la, lo, p in rows]


def open_needs_by_group(region_code: str = cov.SUD_REGION) -> dict[tuple[str, str], int]:
    rows = db.session.execute(
        select(Need.commune_insee, Need.skills)
        .join(Commune, Commune.insee == Need.commune_insee)
        .where(Need.status.in_(OPEN_STATUSES), Commune.region_code == region_code)
    ).all()
    return dict(cov.group_counts([(insee, skills or []) for insee, skills in rows], group_of_skill()))


def coverage_from_db(region_code: str = cov.SUD_REGION) -> cov.Coverage:
    vocab = Vocabulary.current()
    groups = {
        code: tuple(vocab.skill_ids[s] for s in leaves if s in vocab.skill_ids)
        for code, leaves in skill_groups().items()
    }
    offers, providers = supply_records(vocab)
    return cov.compute(
        region_places(region_code),
        groups,
        offers,
        providers,
        open_needs_by_group(region_code),
        n_skills=len(vocab.skill_ids),
    )


# ---------------------------------------------------------------- snapshot


def snapshot_path() -> Path:
    return Path(current_app.config["FILES_DIR"]) / "observatory" / "coverage.json"


def refresh_coverage() -> cov.Coverage:
    """The periodic job's work: compute and store the snapshot (written to a temporary file, then
    renamed, so a page never reads half a file)."""
    coverage = coverage_from_db()
    path = snapshot_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(coverage.to_json()), encoding="utf-8")
    os.replace(tmp, path)
    log.info("coverage refreshed: %d communes, %.2f s", len(coverage.places), coverage.seconds)
    return coverage


def current_coverage() -> cov.Coverage:
    """The last snapshot; computed now when there is none yet (a fresh install)."""
    path = snapshot_path()
    try:
        return cov.Coverage.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError):
        return refresh_coverage()
