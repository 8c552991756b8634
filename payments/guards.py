"""The database guards of the ledger: triggers refusing UPDATE and DELETE of ledger rows (SQLite and
PostgreSQL) and, on PostgreSQL, a deferred constraint trigger checking at COMMIT that each
transaction's lines sum to zero per currency. `payments.models.bind_models` attaches them to
``metadata.create_all``; the Alembic migration that creates the tables runs `guard_ddl` itself."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.engine import Connection

LEDGER_TABLES = ("ledger_transaction", "ledger_line")

_PG_GUARDS = [
    """CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only (' || TG_OP || ' refused): post a reversing transaction',
                        ERRCODE = 'integrity_constraint_violation';
END $$""",
    """CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM ledger_line WHERE transaction_id = NEW.transaction_id
             GROUP BY currency HAVING SUM(amount_cents) <> 0) THEN
    RAISE EXCEPTION USING MESSAGE = 'ledger transaction ' || NEW.transaction_id || ' does not sum to zero',
                          ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$""",
    (
        "CREATE TRIGGER ledger_line_append_only BEFORE UPDATE OR DELETE ON ledger_line "
        "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
    ),
    (
        "CREATE TRIGGER ledger_transaction_append_only BEFORE UPDATE OR DELETE ON ledger_transaction "
        "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
    ),
    (
        "CREATE CONSTRAINT TRIGGER ledger_line_balanced AFTER INSERT ON ledger_line "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced()"
    ),
]

_SQLITE_GUARDS = [
    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: post a reversing transaction'); END"
    for table in LEDGER_TABLES
    for op in ("UPDATE", "DELETE")
]

_PG_DROP = [
    "DROP TRIGGER IF EXISTS ledger_line_balanced ON ledger_line",
    "DROP TRIGGER IF EXISTS ledger_line_append_only ON ledger_line",
    "DROP TRIGGER IF EXISTS ledger_transaction_append_only ON ledger_transaction",
    "DROP FUNCTION IF EXISTS ledger_check_balanced()",
    "DROP FUNCTION IF EXISTS ledger_refuse_change()",
]
_SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {table}_no_{op.lower()}" for table in LEDGER_TABLES for op in ("UPDATE", "DELETE")
]


def guard_ddl(dialect_name: str) -> list[str]:
    """The SQL creating the database guards (triggers) for a dialect; run them
    in the Alembic migration after the tables exist (``op.execute``). They
    contain no ``%`` and no bound parameters."""
    return {"postgresql": list(_PG_GUARDS), "sqlite": list(_SQLITE_GUARDS)}.get(dialect_name, [])


def drop_guard_ddl(dialect_name: str) -> list[str]:
    """The SQL dropping the guards (for a migration's downgrade)."""
    return {"postgresql": list(_PG_DROP), "sqlite": list(_SQLITE_DROP)}.get(dialect_name, [])


def attach_ddl(table: Table) -> None:
    """``metadata.create_all`` creates the guards after ``table`` (the ledger lines, created after
    the ledger transactions)."""
    for dialect in ("postgresql", "sqlite"):
        for statement in guard_ddl(dialect):
            event.listen(table, "after_create", _run_on(dialect, statement))


def _run_on(dialect: str, statement: str) -> Callable[..., None]:
    """An ``after_create`` listener running ``statement`` on ``dialect`` only."""

    def run(_target: Any, connection: Connection, **_kw: Any) -> None:
        if connection.dialect.name == dialect:
            connection.exec_driver_sql(statement)

    return run


if __name__ == "__main__":  # python -m payments.guards postgresql  -> the guard SQL, to paste into a migration
    for stmt in guard_ddl(sys.argv[1] if len(sys.argv) > 1 else "postgresql"):
        print(stmt + ";\n")
