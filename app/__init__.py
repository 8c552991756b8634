"""Hub du Sud: the Flask application (web pages, JSON API, CLI, job entry points)."""

from __future__ import annotations

import logging
import os

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app import models  # noqa: F401  (register every model with the metadata)
from app.accounts.session import init_accounts
from app.accounts.views import bp as accounts_bp
from app.api.views import bp as api_bp
from app.billing.views import bp as billing_bp
from app.charter.display import init_app as init_charter_display
from app.charter.label_views import bp as charter_labels_bp
from app.charter.views import bp as charter_bp
from app.cli import hub_cli
from app.config import load_config
from app.core.access import Access, check_all_routes_declared, init_access, register_role_check
from app.core.inputs import init_inputs
from app.core.security import init_security
from app.core.views import bp as core_bp
from app.core.views import register_error_handlers, register_template_helpers
from app.directory import vocab
from app.directory.skills import skill_label
from app.directory.views import bp as directory_bp
from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from app.home import bp as home_bp
from app.legal.views import bp as legal_bp
from app.library import charter_subject
from app.library.views import bp as library_bp
from app.matches import receivers  # noqa: F401  (matches listens to needs and directory: app.core.signals)
from app.matches.views import bp as matches_bp
from app.needs.views import bp as needs_bp
from app.observatory.views import bp as observatory_bp
from app.opendata import structured as opendata_structured
from app.opendata.mappings import load_mappings
from app.opendata.views import bp as opendata_bp
from app.privacy import erasure_views
from app.privacy.views import bp as privacy_bp
from app.searching.views import bp as searching_bp
from app.staff.views import bp as staff_bp
from app.territory.views import bp as territory_bp
from app.vouchers.services import is_funder_member
from app.vouchers.views import bp as vouchers_bp

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def select_locale() -> str:
    if not has_request_context():  # CLI, jobs: French, the default
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


#: SQLite: how long a statement waits for another process's write lock before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 15_000


def _sqlite_pragmas(dbapi_connection, _record):
    # pysqlite: let SQLAlchemy drive transactions (so SAVEPOINTs work) and enforce foreign keys.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    # WAL: readers never block the writer nor the writer the readers (a rebuild of the search index,
    # a long page, the RQ worker). Stored in the file; a :memory: database keeps "memory".
    mode = str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    if mode not in ("wal", "memory"):
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(conn):
    conn.exec_driver_sql("BEGIN")


def _configure_sqlite(engine: Engine) -> None:
    """On the app's own SQLite engine only (not every engine of the process)."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "begin", _sqlite_begin):
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    init_inputs(app)  # first: bounded ids in every route, odd characters refused before any other hook
    app.config.update(load_config(app.instance_path, config))
    if config:
        app.config.update(config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith(f"sqlite:///{app.instance_path}"):  # the default database
        os.makedirs(app.instance_path, exist_ok=True)
    logging.basicConfig(level=logging.INFO if not app.testing else logging.WARNING)

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            _configure_sqlite(engine)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    init_access(app)  # before CSRF: who may use a route is answered first
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    limiter.init_app(app)
    init_security(app)  # CSP and the other security headers, SameSite cookies, no-store pages
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None

    load_mappings()  # the open-data mappings: an unknown national code stops the app here
    init_accounts(app)  # user loader with the session version, throttling, trusted proxies
    # Who acts for a funder is the vouchers domain's answer; core.access asks it without importing it.
    register_role_check(Access.FUNDER, is_funder_member)
    for bp in (
        core_bp,
        home_bp,
        accounts_bp,
        territory_bp,
        directory_bp,
        needs_bp,
        matches_bp,
        searching_bp,
        staff_bp,
        library_bp,
        opendata_bp,
        api_bp,
        privacy_bp,
    ):
        app.register_blueprint(bp)
    for bp in (billing_bp, vouchers_bp):  # payments: the Stripe webhook; funders, programmes, vouchers
        app.register_blueprint(bp)
    app.register_blueprint(observatory_bp)  # coverage, the network's figures, /impact
    app.register_blueprint(charter_bp)  # the charter's text and its cooperative writing
    app.register_blueprint(charter_labels_bp)  # the charter's labels: assessments, reviews, registry
    app.register_blueprint(legal_bp)  # legal notice, terms (and their acceptance), privacy intro, accessibility
    erasure_views.init_app(app)  # the right to erasure: its pages, the notice at login
    charter_subject.register()  # resources and evidence files: the knowledge base answers the charter
    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, not cookies
    register_error_handlers(app)
    register_template_helpers(app)
    app.jinja_env.globals.update(vocab=vocab, skill_label=skill_label)  # the directory's words; macros see them too
    init_charter_display(app)  # charter_label(kind, id): a label on the pages of other domains
    opendata_structured.init_app(app)  # structured_data(entity): schema.org JSON-LD on directory pages
    app.cli.add_command(hub_cli)

    @app.teardown_request
    def _end_session(_exc):
        db.session.remove()

    from app.matches.jobs import init_sweep_timer  # deferred: a domain, loaded with the blueprints

    init_sweep_timer(app)  # the embedded default's proposal sweep (JOBS_MODE=inprocess), off in tests
    from app.searching.warmer import init_search_warmer

    init_search_warmer(app)  # each process warms its search index off the requests' path, off in tests
    check_all_routes_declared(app)
    return app
