"""Voucher redemptions per second on PostgreSQL with N concurrent clients.

    python -m payments.bench [--clients 32] [--vouchers 2000] [--url postgresql+psycopg://postgres@127.0.0.1:5432]

Creates a scratch database (dropped at the end), binds the models to a
private Base, funds a programme, issues the vouchers and reserves them, then
``--clients`` threads — each with its own connection — race to redeem every
voucher (each voucher is attempted by two clients). Prints the redemptions per
second, the refusals and the double redemptions (must be 0) and checks that the
ledger is balanced. The library-level figure; the app's ``make bench`` goes
through its own services.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
import uuid

import psycopg
from sqlalchemy import MetaData, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Session

from . import ledger, rules, vouchers
from .errors import IllegalVoucherMove
from .models import bind_models, use_models
from .rules import Eligibility, OrganisationFacts
from .testing import FakeGateway


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--vouchers", type=int, default=2000)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    args = parser.parse_args(argv)

    class BenchBase(DeclarativeBase):
        metadata = MetaData()

    models = bind_models(BenchBase, default=False)
    name = f"paybench_{uuid.uuid4().hex[:8]}"
    admin = args.url.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = create_engine(f"{args.url}/{name}", pool_size=args.clients + 2, max_overflow=0)
    try:
        models.metadata.create_all(engine, tables=models.tables)
        with use_models(Session(engine), models) as session:
            programme = vouchers.create_programme(
                session,
                funder_id=1,
                name="bench",
                face_value_cents=1_000,
                voucher_count=args.vouchers,
                eligibility=Eligibility(require_siret=False),
            )
            vouchers.start_programme_funding(
                session, FakeGateway(), programme, payment_method="pm_card_visa", confirm=True
            )
            orgs = [OrganisationFacts(id=i) for i in range(1, 51)]
            issued = []
            for org in orgs:
                issued += vouchers.issue_vouchers(session, programme, org, count=args.vouchers // len(orgs))
            for v in issued:
                vouchers.reserve(session, v, f"mission:{v.id}")
            session.commit()
            ids = [v.id for v in issued]

        work = ids + ids  # every voucher attempted twice
        random.Random(1).shuffle(work)
        cursor = iter(work)
        lock = threading.Lock()
        counts = {"ok": 0, "refused": 0}

        def client(n: int) -> None:
            with use_models(Session(engine), models) as session:
                while True:
                    with lock:
                        voucher_id = next(cursor, None)
                    if voucher_id is None:
                        return
                    try:
                        voucher = session.get(models.Voucher, voucher_id)
                        vouchers.redeem(session, voucher, provider_id=n % 8 + 1)
                        session.commit()
                        outcome = "ok"
                    except IllegalVoucherMove:
                        session.rollback()
                        outcome = "refused"
                    session.expunge_all()
                    with lock:
                        counts[outcome] += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start

        with use_models(Session(engine), models) as session:
            V = models.Voucher
            redeemed = session.execute(select(func.count()).select_from(V).where(V.status == "redeemed")).scalar_one()
            T = models.LedgerTransaction
            redeem_tx = session.execute(
                select(func.count()).select_from(T).where(T.kind == "voucher:redeem")
            ).scalar_one()
            payable = sum(ledger.balance(session, rules.provider_payable(p), natural=True) for p in range(1, 9))
            balanced = ledger.trial_balance(session).balanced
        doubles = counts["ok"] - redeemed + (redeem_tx - redeemed)
        print(f"{args.clients} clients, {len(ids)} vouchers, {len(work)} attempts in {elapsed:.2f} s")
        print(f"redemptions/s: {counts['ok'] / elapsed:.0f}  (attempts/s: {len(work) / elapsed:.0f})")
        print(f"redeemed: {redeemed}, refused (already redeemed): {counts['refused']}, double redemptions: {doubles}")
        print(f"provider payables: {payable} cents (expected {redeemed * 1_000}), trial balance zero: {balanced}")
        ok = doubles == 0 and redeemed == len(ids) and payable == redeemed * 1_000 and balanced
        return 0 if ok else 1
    finally:
        engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    raise SystemExit(main())
