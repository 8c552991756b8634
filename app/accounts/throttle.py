"""Throttling of login, sign-up and password-reset attempts, shared by every process.

The counters live in the storage named by RATELIMIT_STORAGE_URI (Redis when REDIS_URL is set,
so every gunicorn worker and every machine sees the same counts; memory otherwise). Each app
gets its own storage object (`init_throttle`), never a module-level one.

Login failures are counted three ways (moving windows):
- per (account, IP) pair (RATELIMIT_LOGIN): an attacker guessing one account is stopped quickly,
  while its owner, elsewhere, is not;
- per IP (RATELIMIT_LOGIN_IP): one address trying many accounts;
- per account, every IP together (RATELIMIT_LOGIN_ACCOUNT): a higher cap against a distributed
  guess of one account.
Only failures count; a refused attempt is not counted again and answers 429 whatever the
password (no oracle). Sign-up and password-reset requests are counted per IP.
"""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

EXTENSION = "hub_throttle"

#: rule name -> config key of its limits ("10 per minute; 100 per day")
RULES = {
    "login_pair": "RATELIMIT_LOGIN",
    "login_ip": "RATELIMIT_LOGIN_IP",
    "login_account": "RATELIMIT_LOGIN_ACCOUNT",
    "signup_ip": "RATELIMIT_SIGNUP",
    "reset_ip": "RATELIMIT_RESET",
}


@dataclass(frozen=True)
class Throttled(Exception):
    """Too many attempts: try again in `retry_after` seconds."""
    retry_after: int


def init_throttle(app: Flask) -> None:
    uri = app.config["RATELIMIT_STORAGE_URI"]
    options = {"key_prefix": "hub-throttle"} if uri.startswith(("redis://", "rediss://")) else {}
    storage = storage_from_string(uri, **options)
    app.extensions[EXTENSION] = MovingWindowRateLimiter(storage)


def _limiter() -> MovingWindowRateLimiter:
    return current_app.extensions[EXTENSION]


def reset(app: Flask | None = None) -> None:
    """Forget every counter (tests)."""
    (app or current_app).extensions[EXTENSION].storage.reset()


def account_key(email: str) -> str:
    """Counters name an account by a digest of its normalised address, never the address itself."""
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:24]


def _checks(rule: str, key: str):
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    for item in parse_many(current_app.config[RULES[rule]]):
        yield item, (prefix, rule, key)


def check(*targets: tuple[str, str]) -> None:
    """Raise Throttled when any (rule, key) has no attempt left; count nothing."""
    limiter, wait = _limiter(), 0
    for rule, key in targets:
        for item, ids in _checks(rule, key):
            if not limiter.test(item, *ids):
                reset_at = limiter.get_window_stats(item, *ids).reset_time
                wait = max(wait, math.ceil(reset_at - time.time()), 1)
    if wait:
        raise Throttled(wait)


def hit(*targets: tuple[str, str]) -> None:
    """Count one attempt (a failure, a request) for each (rule, key)."""
    limiter = _limiter()
    for rule, key in targets:
        for item, ids in _checks(rule, key):
            limiter.hit(item, *ids)


def login_targets(email: str, ip: str) -> tuple[tuple[str, str], ...]:
    account = account_key(email)
    return ("login_pair", f"{account}|{ip}"), ("login_ip", ip), ("login_account", account)
