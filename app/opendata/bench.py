"""Open-data benchmark (`make bench`): export of a large synthetic catalogue in every format, and import
of a national file matched against as many providers.

    python -m app.opendata.bench [--offers 100000] [--providers 10000] [--rows 10000] [--floor]

Issue 16's floors: exporting 100,000 offers under 30 s; importing 10,000 rows against 10,000 providers
under 60 s (blocked candidate search: each record meets the providers of its commune only).
"""

from __future__ import annotations

import argparse
import importlib
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import insert, select

EXPORT_FLOOR_SECONDS = 30.0
IMPORT_FLOOR_SECONDS = 60.0
WORDS = [
    "numérique",
    "atelier",
    "espace",
    "médiation",
    "solidaire",
    "fabrique",
    "lieu",
    "tiers",
    "connecté",
    "citoyen",
    "ressource",
]


def _app(folder: Path):
    create_app = importlib.import_module("app").create_app  # named: the factory stands above this module
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "SECRET_KEY": "opendata-benchmark",
            "FILES_DIR": str(folder / "files"),
            "JOBS_MODE": "inprocess",
            "SMTP_URL": "",
            "RATELIMIT_STORAGE_URI": "memory://",
            "MATCHING_EMBEDDINGS": "off",
        }
    )
    outcome = app.test_cli_runner().invoke(args=["db", "upgrade"])
    if outcome.exit_code != 0:
        raise RuntimeError(outcome.output)
    return app


def synthetic_catalogue(n_providers: int, n_offers: int, rng: random.Random) -> list[int]:
    """Published providers (one in two receives the public at a place, one in three consents to publish its
    contact) and published offers spread over them, inserted in bulk. Returns the providers' ids."""
    from app.core.models import utcnow
    from app.directory.models import Offer, Provider
    from app.extensions import db
    from app.territory.models import Commune

    communes = list(
        db.session.scalars(select(Commune.insee).where(Commune.dep_code.in_(["13", "83", "84", "06", "04", "05"])))
    )
    now = utcnow()
    providers = [
        {
            "name": f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {i}",
            "kind": "equipe_mediation",
            "commune_insee": rng.choice(communes),
            "radius_km": 30,
            "remote_capable": False,
            "languages": ["fr"],
            "presentation": "Un lieu de médiation numérique du banc d'essai.",
            "website": "",
            "contact_email": f"lieu{i}@bench.example.org",
            "contact_phone": "04 42 00 00 00",
            "public_address": f"{i} rue du Banc" if i % 2 else "",
            "opendata_contact": bool(i % 3 == 0),
            "status": "published",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(1, n_providers + 1)
    ]
    ids = list(db.session.scalars(insert(Provider).returning(Provider.id), providers))
    skills = ["mediation.demarches", "mediation.outils_quotidien", "presence.site_web", "securite.cybersecurite"]
    offers = [
        {
            "provider_id": rng.choice(ids),
            "title": f"Atelier {rng.choice(WORDS)} {i}",
            "description": "Une offre du banc d'essai, assez longue pour être décrite.",
            "category": rng.choice(["atelier", "conseil", "formation", "audit", "espace"]),
            "skills": rng.sample(skills, 2),
            "modality": rng.choice(["on_site", "remote", "both"]),
            "duration_hours": 2.0,
            "capacity_per_month": 2,
            "price_mode": rng.choice(["volunteer", "voucher", "paid"]),
            "price_cents": 5000,
            "status": "published",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(n_offers)
    ]
    for start in range(0, len(offers), 10_000):
        db.session.execute(insert(Offer), offers[start : start + 10_000])
    db.session.flush()
    return ids


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.opendata.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--providers", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--floor", action="store_true", help="exit 1 when a floor of issue 16 is not met")
    args = parser.parse_args(argv)
    rng = random.Random(16)
    with tempfile.TemporaryDirectory(prefix="hub-opendata-") as tmp:
        app = _app(Path(tmp))
        with app.app_context():
            from flask import current_app

            from app.accounts.models import User
            from app.core.jobs import commit
            from app.extensions import db
            from app.opendata.exports import generate_exports, lmn_csv
            from app.opendata.imports import import_file
            from app.territory.services import load_communes

            load_communes(current_app.config["COMMUNES_FILE"])
            db.session.add(User(email="bench@hub.example.org", password_hash="x", full_name="Bench", is_staff=True))
            synthetic_catalogue(args.providers, args.offers, rng)
            commit()
            started = time.perf_counter()
            manifest = generate_exports()
            export_seconds = time.perf_counter() - started
            print(f"export of {args.offers} offers ({args.providers} providers): {export_seconds:.1f} s")
            for name, entry in manifest["files"].items():
                print(f"  {name}: {entry['rows']} rows, {entry['bytes'] / 1e6:.1f} MB, {entry['left_out']} left out")

            # a national file: half the rows look like our providers (same commune, a close name), half new
            providers = db.session.execute(select_providers()).all()
            rows = []
            for i in range(args.rows):
                _pid, name, insee = providers[i % len(providers)]
                close = i % 2 == 0
                rows.append(
                    {
                        "id": f"bench-{i}",
                        "pivot": "00000000000000",
                        "nom": name.upper() if close else f"Maison {rng.choice(WORDS)} {i}",
                        "commune": "",
                        "code_postal": "",
                        "code_insee": insee,
                        "adresse": f"{i} avenue du Test",
                        "courriels": "" if close else f"contact{i}@lieu{i}.example.org",
                        "date_maj": "2026-10-01",
                    }
                )
            content = lmn_csv(rows)
            staff = db.session.scalar(select(User).where(User.email == "bench@hub.example.org"))
            started = time.perf_counter()
            batch = import_file(staff, "bench.csv", content)
            db.session.commit()
            import_seconds = time.perf_counter() - started
            print(
                f"import of {args.rows} rows against {args.providers} providers: {import_seconds:.1f} s  {batch.counts}"
            )
    if args.floor and (export_seconds > EXPORT_FLOOR_SECONDS or import_seconds > IMPORT_FLOOR_SECONDS):
        print("a floor of issue 16 is not met", file=sys.stderr)
        return 1
    return 0


def select_providers():
    from app.directory.models import Provider

    return select(Provider.id, Provider.name, Provider.commune_insee).order_by(Provider.id)


if __name__ == "__main__":
    sys.exit(main())
