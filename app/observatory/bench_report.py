"""Bench of the funder report for a year of activity at 50,000 needs: a fresh SQLite database (migrated,
communes loaded) is filled with a synthetic year — needs across the Région Sud, proposals with their
answers, missions, feedback, one funder's vouchers — then one funder's yearly report (facts, tables, PDF
and ODS) and the staff page's figures are timed. `python -m app.observatory.bench_report [--needs N]`.

The goal (issue 17): under 10 s on the 2-core machine."""

from __future__ import annotations

import argparse
import importlib
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

LIMIT_SECONDS = 10.0


def fill(n_needs: int, seed: int) -> int:
    from sqlalchemy import insert, select

    from app.accounts.models import User
    from app.directory.models import Offer, Organisation, Provider
    from app.extensions import db
    from app.ledger import Voucher, VoucherProgramme
    from app.matches.models import Feedback, Mission, Proposal
    from app.needs.models import Need
    from app.territory.models import Commune
    from app.vouchers.models import Funder, FunderMember

    rng = random.Random(seed)
    communes = list(db.session.scalars(select(Commune.insee).where(Commune.region_code == "93")))
    start = datetime(2025, 1, 1, 9, tzinfo=UTC)

    def at(day: float) -> datetime:
        return start + timedelta(days=day)

    user = User(email="bench@hub.example.org", password_hash="x", full_name="Bench")
    db.session.add(user)
    funder = Funder(name="Fondation Bench", kind="fondation", dep_code="13")
    db.session.add(funder)
    db.session.flush()
    db.session.add(FunderMember(funder_id=funder.id, user_id=user.id))
    orgs = [
        {
            "name": f"Asso {i}",
            "kind": "association",
            "size": "benevoles",
            "commune_insee": rng.choice(communes),
            "status": "published",
        }
        for i in range(2000)
    ]
    db.session.execute(insert(Organisation), orgs)
    org_ids = list(db.session.scalars(select(Organisation.id)))
    db.session.execute(
        insert(Provider),
        [
            {
                "name": f"Presta {i}",
                "kind": "equipe_mediation",
                "commune_insee": rng.choice(communes),
                "status": "published",
            }
            for i in range(400)
        ],
    )
    provider_ids = list(db.session.scalars(select(Provider.id)))
    db.session.execute(
        insert(Offer),
        [
            {
                "provider_id": pid,
                "title": "Atelier",
                "category": "atelier",
                "modality": "both",
                "price_mode": rng.choice(("volunteer", "voucher")),
                "status": "published",
                "duration_hours": rng.choice((2.0, 3.0, 6.0)),
            }
            for pid in provider_ids
            for _ in range(2)
        ],
    )
    offers = db.session.execute(select(Offer.id, Offer.provider_id)).all()
    statuses = ("open", "proposed", "matched", "in_progress", "done", "done", "done", "cancelled")
    needs = []
    for i in range(n_needs):
        needs.append(
            {
                "organisation_id": rng.choice(org_ids),
                "title": f"Besoin {i}",
                "skills": [rng.choice(("presence.site_web", "securite.sauvegardes", "gestion.tableur"))],
                "categories": [],
                "commune_insee": rng.choice(communes),
                "modality": "both",
                "funding_mode": "volunteer",
                "status": rng.choice(statuses),
                "opened_at": at(rng.uniform(0, 365)),
            }
        )
    db.session.execute(insert(Need), needs)
    need_rows = db.session.execute(select(Need.id, Need.status, Need.opened_at)).all()
    proposals, missions = [], []
    for need_id, status, opened in need_rows:
        status = getattr(status, "value", status)
        if status == "open":
            continue
        offer_id, provider_id = rng.choice(offers)
        sent = opened + timedelta(days=rng.expovariate(1 / 6))
        answered = status in ("matched", "in_progress", "done")
        if rng.random() < 0.2:  # a decline first
            proposals.append(
                {
                    "need_id": need_id,
                    "offer_id": offer_id,
                    "provider_id": provider_id,
                    "status": "declined",
                    "sent_at": sent,
                    "responded_at": sent + timedelta(days=1),
                    "reason": rng.choice(("Pas disponible", "Trop loin", "")),
                }
            )
            offer_id, provider_id = rng.choice(offers)
        proposals.append(
            {
                "need_id": need_id,
                "offer_id": offer_id,
                "provider_id": provider_id,
                "status": "accepted" if answered else "approved",
                "sent_at": sent,
                "responded_at": sent + timedelta(days=2) if answered else None,
            }
        )
        if answered:
            missions.append((need_id, offer_id, provider_id, status, sent + timedelta(days=2)))
    db.session.execute(insert(Proposal), proposals)
    accepted = {
        (n, o): pid
        for pid, n, o in db.session.execute(
            select(Proposal.id, Proposal.need_id, Proposal.offer_id).where(Proposal.status == "accepted")
        ).all()
    }
    db.session.execute(
        insert(Mission),
        [
            {
                "proposal_id": accepted[(n, o)],
                "need_id": n,
                "offer_id": o,
                "provider_id": p,
                "status": "done" if s == "done" else "in_progress",
                "created_at": created,
                "done_at": created + timedelta(days=rng.uniform(3, 40)) if s == "done" else None,
            }
            for n, o, p, s, created in missions
        ],
    )
    done = list(db.session.scalars(select(Mission.id).where(Mission.status == "done")))
    db.session.execute(
        insert(Feedback),
        [{"mission_id": m, "side": "organisation", "rating": rng.choice((3, 4, 4, 5, 5))} for m in done[::2]],
    )
    programme = VoucherProgramme(
        name="Pass Bench", face_value_cents=20_000, budget_cents=20_000 * 5000, funder_id=funder.id, status="funded"
    )
    db.session.add(programme)
    db.session.flush()
    vouchers = []
    for i in range(5000):
        issued = at(rng.uniform(0, 300))
        used = i < len(done) and rng.random() < 0.6
        vouchers.append(
            {
                "code": f"BENCH{i:08d}",
                "programme_id": programme.id,
                "organisation_id": rng.choice(org_ids),
                "face_value_cents": 20_000,
                "issued_at": issued,
                "valid_from": issued,
                "blocks_at": issued + timedelta(days=350),
                "expires_at": issued + timedelta(days=365),
                "status": "redeemed" if used else "issued",
                "redeemed_at": issued + timedelta(days=30) if used else None,
                "reserved_for": f"mission:{done[i]}" if used else None,
            }
        )
    db.session.execute(insert(Voucher), vouchers)
    db.session.commit()
    return funder.id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args(argv)
    from flask_migrate import upgrade

    from app.extensions import db
    from app.observatory import facts as fx
    from app.observatory import report
    from app.observatory.figures import Period
    from app.observatory.jobs import build_report
    from app.territory.services import load_communes
    from app.vouchers.models import Funder

    # create_app through importlib: the container sits above every layer (as app/searching/relevance.py does)
    create_app = importlib.import_module("app").create_app
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
                "SECRET_KEY": "bench",
                "FILES_DIR": str(Path(tmp) / "files"),
                "JOBS_MODE": "inprocess",
                "SMTP_URL": "",
            }
        )
        with app.app_context():
            upgrade()
            load_communes(app.config["COMMUNES_FILE"])
            db.session.commit()
            t0 = time.perf_counter()
            funder_id = fill(args.needs, args.seed)
            setup = time.perf_counter() - t0
            with app.test_request_context():
                year = Period.year(2025)
                t1 = time.perf_counter()
                built = build_report(db.session.get(Funder, funder_id), year)
                funder_seconds = time.perf_counter() - t1
                t2 = time.perf_counter()
                tables = report.build(fx.load(fx.Scope()), year, "staff")
                staff_seconds = time.perf_counter() - t2
    ok = max(funder_seconds, staff_seconds) < LIMIT_SECONDS
    print(
        f"observatory funder report: {args.needs} needs over a year (setup {setup:.1f} s): funder report "
        f"(PDF {len(built.pdf) // 1024} kB + ODS {len(built.ods) // 1024} kB) {funder_seconds:.2f} s; "
        f"staff figures ({len(tables)} tables) {staff_seconds:.2f} s [{'OK' if ok else 'SLOW'} < {LIMIT_SECONDS:.0f} s]"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
