"""The double-entry ledger, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid

import pytest
from payments_helpers import new_session
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from payments import ledger
from payments.errors import IdempotencyConflict, InvalidAccount, LedgerImmutable, UnbalancedTransaction
from payments.ledger import Line


def fund(session, programme=1, cents=10_000, key=None):
    return ledger.post(
        session,
        "programme_funding",
        [("stripe:clearing", cents), (f"programme:{programme}:fund", -cents)],
        key or f"fund:{uuid.uuid4()}",
        reference=f"programme:{programme}",
    )


def test_post_writes_balanced_lines_and_balances(db, models):
    tx = fund(db, cents=12_345)
    assert tx.id is not None
    assert [(line.account, line.amount_cents) for line in ledger.lines_of(db, tx)] == [
        ("stripe:clearing", 12_345),
        ("programme:1:fund", -12_345),
    ]
    assert ledger.balance(db, "stripe:clearing") == 12_345
    assert ledger.balance(db, "programme:1:fund") == -12_345
    assert ledger.balance(db, "programme:1:fund", natural=True) == 12_345
    assert ledger.balance(db, "provider:9:payable") == 0
    account = ledger.get_account(db, "programme:1:fund")
    assert (account.type, account.currency) == ("liability", "EUR")
    assert ledger.trial_balance(db).balanced


def test_unbalanced_transaction_refused(db, models):
    with pytest.raises(UnbalancedTransaction):
        ledger.post(db, "bad", [("stripe:clearing", 100), ("programme:1:fund", -99)], "bad-1")
    with pytest.raises(UnbalancedTransaction):
        ledger.post(db, "bad", [("stripe:clearing", 100)], "bad-2")
    with pytest.raises(UnbalancedTransaction):  # not integer cents
        ledger.post(db, "bad", [("stripe:clearing", 1.5), ("programme:1:fund", -1.5)], "bad-3")
    with pytest.raises(UnbalancedTransaction):  # balanced overall, not per currency
        ledger.post(db, "bad", [Line("stripe:clearing", 100, "EUR"), Line("programme:1:fund", -100, "USD")], "bad-4")
    assert db.query(models.LedgerTransaction).count() == 0


def test_unbalanced_lines_added_by_hand_refused_before_flush(db, models):
    fund(db)
    account = ledger.get_account(db, "stripe:clearing")
    tx = models.LedgerTransaction(kind="by-hand", idempotency_key="by-hand")
    db.add(tx)
    db.add(models.LedgerLine(transaction=tx, account_id=account.id, amount_cents=5, currency="EUR"))
    with pytest.raises(UnbalancedTransaction):
        db.flush()
    db.rollback()


def test_unknown_account_refused(db):
    with pytest.raises(InvalidAccount):
        ledger.post(db, "x", [("cash:drawer", 100), ("programme:1:fund", -100)], "unknown-account")


def test_idempotent_post(db, models):
    first = fund(db, cents=500, key="same-key")
    again = fund(db, cents=500, key="same-key")
    assert again.id == first.id
    assert db.query(models.LedgerTransaction).count() == 1
    assert db.query(models.LedgerLine).count() == 2
    assert ledger.balance(db, "stripe:clearing") == 500
    with pytest.raises(IdempotencyConflict):
        fund(db, cents=600, key="same-key")


def test_lines_cannot_be_updated_or_deleted(db, models):
    tx = fund(db, cents=700)
    line = tx.lines[0]
    line.amount_cents = 1
    with pytest.raises(LedgerImmutable):
        db.flush()
    db.rollback()
    tx = fund(db, cents=700)
    db.delete(tx.lines[0])
    with pytest.raises(LedgerImmutable):
        db.flush()
    db.rollback()
    tx = fund(db, cents=700)
    tx.memo = "rewritten"
    with pytest.raises(LedgerImmutable):
        db.flush()
    db.rollback()
    fund(db, cents=700)
    with pytest.raises(LedgerImmutable):
        db.execute(update(models.LedgerLine).values(amount_cents=3))
    with pytest.raises(LedgerImmutable):
        db.execute(delete(models.LedgerLine))


def test_database_triggers_refuse_raw_sql_changes(db):
    fund(db, cents=800)
    for statement in (
        "UPDATE ledger_line SET amount_cents = amount_cents + 1",
        "DELETE FROM ledger_line",
        "DELETE FROM ledger_transaction",
    ):
        savepoint = db.begin_nested()
        with pytest.raises((DBAPIError, IntegrityError)) as info:
            db.execute(text(statement))
        assert "append-only" in str(info.value)
        savepoint.rollback()
    assert ledger.balance(db, "stripe:clearing") == 800


def test_postgresql_refuses_unbalanced_commit(commit_engine, backend):
    """The deferred constraint trigger checks the sum at COMMIT, even for raw SQL."""
    if backend != "postgresql":
        pytest.skip("SQLite has no deferred triggers: the Python check is the guard there")
    with new_session(commit_engine) as session:
        fund(session, programme=77, cents=100)
        session.commit()
        tx_id = session.execute(text("SELECT max(id) FROM ledger_transaction")).scalar_one()
        account_id = session.execute(text("SELECT id FROM ledger_account WHERE code = 'stripe:clearing'")).scalar_one()
        session.execute(
            text("INSERT INTO ledger_transaction (kind, idempotency_key, created_at) VALUES ('raw', :key, now())"),
            {"key": f"raw-{uuid.uuid4()}"},
        )
        raw_id = session.execute(text("SELECT max(id) FROM ledger_transaction")).scalar_one()
        assert raw_id > tx_id
        session.execute(
            text(
                "INSERT INTO ledger_line (transaction_id, account_id, amount_cents, currency) "
                "VALUES (:tx, :account, 42, 'EUR')"
            ),
            {"tx": raw_id, "account": account_id},
        )
        with pytest.raises(DBAPIError) as info:
            session.commit()
        assert "does not sum to zero" in str(info.value)


def test_reverse_is_a_new_transaction(db, models):
    tx = fund(db, cents=900)
    back = ledger.reverse(db, tx)
    assert back.id != tx.id and back.reverses_id == tx.id
    assert ledger.balance(db, "stripe:clearing") == 0
    assert ledger.reverse(db, tx).id == back.id  # idempotent too
    assert db.query(models.LedgerLine).count() == 4


def test_post_runs_inside_the_callers_transaction(db, models):
    savepoint = db.begin_nested()
    fund(db, cents=1_000)
    savepoint.rollback()
    assert db.query(models.LedgerTransaction).count() == 0
    assert ledger.trial_balance(db).totals == {}


def test_concurrent_posts_with_one_key_write_once(commit_engine, backend, models):
    """Threads post the same key at once, each in its own session and database transaction."""
    key = f"concurrent-{uuid.uuid4()}"
    programme = 1000 + uuid.uuid4().int % 100_000
    barrier = threading.Barrier(6)
    ids, errors = [], []

    def attempt():
        try:
            with new_session(commit_engine) as session:
                barrier.wait()
                tx = fund(session, programme=programme, cents=2_500, key=key)
                session.commit()
                ids.append(tx.id)
        except Exception as exc:  # noqa: BLE001 - any error of a concurrent writer is reported below  # pragma: no cover
            errors.append(repr(exc))

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if backend == "sqlite":  # SQLite serialises writers: a busy one may give up, none may duplicate
        errors = [e for e in errors if "locked" not in e]
    assert not errors, errors
    assert len(set(ids)) == 1
    with new_session(commit_engine) as session:
        assert ledger.balance(session, f"programme:{programme}:fund") == -2_500
        count = session.execute(
            text("SELECT count(*) FROM ledger_transaction WHERE idempotency_key = :k"), {"k": key}
        ).scalar_one()
        assert count == 1


def test_idempotent_post_through_the_savepoint_path(db, models, monkeypatch):
    """Dialects without INSERT ... ON CONFLICT use a SAVEPOINT around a plain INSERT."""
    monkeypatch.setattr(ledger, "_UPSERT", {})
    first = fund(db, cents=300, key="savepoint-key")
    assert fund(db, cents=300, key="savepoint-key").id == first.id
    with pytest.raises(IdempotencyConflict):
        fund(db, cents=301, key="savepoint-key")
    assert db.query(models.LedgerLine).count() == 2
    assert ledger.trial_balance(db).balanced
