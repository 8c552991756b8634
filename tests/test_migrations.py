"""`flask db upgrade` from an empty database, and Alembic's check that the models
have no change without a revision (on the database of this run: SQLite or PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect

from tests.conftest import PG_BASE, TEST_DATABASE, _worker


@pytest.fixture
def empty_database_url(tmp_path):
    if TEST_DATABASE == "postgresql":
        import psycopg

        name = f"hubmig_{_worker()}"
        admin = PG_BASE.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        yield f"{PG_BASE}/{name}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"


def test_upgrade_from_empty_then_check_then_downgrade(empty_database_url):
    from flask_migrate import check, downgrade, upgrade

    from app import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade()
        engine = create_engine(empty_database_url)
        tables = set(inspect(engine).get_table_names())
        assert {
            "user_account",
            "membership",
            "commune",
            "organisation",
            "provider",
            "offer",
            "need",
            "outbox_email",
            "alembic_version",
        } <= tables
        check()  # exits non-zero (SystemExit) if the models differ from the migrations
        downgrade(revision="base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        engine.dispose()
        from app.extensions import db

        db.engine.dispose()
