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


def test_0025_two_experts_up_and_down(empty_database_url):
    """Revision 0025 (two complementary experts): its columns come and go; rows before it read as one expert."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from app import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision="0025")
        engine = create_engine(empty_database_url)
        need_columns = {c["name"]: c for c in inspect(engine).get_columns("need")}
        assert "two_experts" in need_columns and not need_columns["two_experts"]["nullable"]
        proposal_fks = inspect(engine).get_foreign_keys("proposal")
        assert any(
            fk["constrained_columns"] == ["partner_id"] and fk["referred_table"] == "proposal" for fk in proposal_fks
        )
        downgrade(revision="0024")
        assert "two_experts" not in {c["name"] for c in inspect(engine).get_columns("need")}
        assert "partner_id" not in {c["name"] for c in inspect(engine).get_columns("proposal")}
        # a need stored before the revision reads as one expert
        now = "2026-01-01 00:00:00"
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO commune (insee, name, search_name, postal_codes, dep_code, dep_name, region_code,"
                    " region_name) VALUES ('99999', 'Essai', 'essai', '', '13', 'B', '93', 'S')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO organisation (id, name, kind, size, commune_insee, description, contact_email,"
                    " contact_phone, website, status, created_at, updated_at) VALUES (1, 'A', 'association',"
                    " 'benevoles', '99999', '', 'a@b.fr', '', '', 'published', :now, :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO need (id, organisation_id, title, description, categories, skills, commune_insee,"
                    " modality, funding_mode, boussole_answers, status, contact_name, contact_email, contact_phone,"
                    " created_at, updated_at) VALUES (1, 1, 'B', '', '[]', '[]', '99999', 'both', 'volunteer', '[]',"
                    " 'open', 'C', 'c@b.fr', '', :now, :now)"
                ),
                {"now": now},
            )
        upgrade(revision="0025")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT two_experts FROM need WHERE id = 1")).scalar() in (False, 0)
        engine.dispose()
        from app.extensions import db

        db.engine.dispose()
