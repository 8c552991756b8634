"""Throttling of login, sign-up and password-reset attempts, shared by every process.

The counters live where RATELIMIT_STORAGE_URI says: Redis (the default when REDIS_URL is set), so
every gunicorn worker and every machine sees the same counts; memory otherwise (one process).
Each app gets its own store (`init_throttle`), never a module-level one.

An attempt is *reserved* before the work (atomically, on every counter at once, so concurrent
requests cannot all slip past a check), and a login that succeeds gives its reservation back:
only failures count. Login failures are counted three ways, in sliding windows:
- per (account, IP) pair (RATELIMIT_LOGIN): an attacker guessing one account is stopped quickly,
  while its owner, elsewhere, is not;
- per IP (RATELIMIT_LOGIN_IP): one address trying many accounts;
- per account, every IP together (RATELIMIT_LOGIN_ACCOUNT): a higher cap against a distributed
  guess of one account.
A refused attempt answers 429 whatever the password (no oracle). Sign-up and password-reset
requests are counted per IP.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
import uuid
from dataclasses import dataclass

from flask import Flask, current_app
from limits import parse_many

EXTENSION = "hub_throttle"

#: rule name -> config key of its limits ("10 per minute; 100 per day")
RULES = {
    "login_pair": "RATELIMIT_LOGIN",
    "login_ip": "RATELIMIT_LOGIN_IP",
    "login_account": "RATELIMIT_LOGIN_ACCOUNT",
    "signup_ip": "RATELIMIT_SIGNUP",
    "reset_ip": "RATELIMIT_RESET",
}


class Throttled(Exception):
    """Too many attempts: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Window:
    key: str
    limit: int
    seconds: int


class MemoryStore:
    """Sliding-window logs in this process (the embedded default)."""

    def __init__(self):
        self._logs: dict[str, list[tuple[float, str]]] = {}
        self._lock = threading.Lock()

    def acquire(self, windows: list[Window], member: str, now: float) -> float:
        with self._lock:
            wait = 0.0
            for w in windows:
                log = self._logs[w.key] = [e for e in self._logs.get(w.key, []) if e[0] > now - w.seconds]
                if len(log) >= w.limit:
                    wait = max(wait, log[0][0] + w.seconds - now)
            if wait:
                return wait
            for w in windows:
                self._logs[w.key].append((now, member))
            return 0.0

    def release(self, windows: list[Window], member: str) -> None:
        with self._lock:
            for w in windows:
                self._logs[w.key] = [e for e in self._logs.get(w.key, []) if e[1] != member]

    def reset(self, prefix: str) -> None:
        with self._lock:
            self._logs.clear()


class RedisStore:
    """Sliding-window logs in Redis sorted sets; check-and-add of every window in one Lua script."""

    ACQUIRE = """
    local now, member, wait = tonumber(ARGV[1]), ARGV[2], 0
    for i, key in ipairs(KEYS) do
      local limit, seconds = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
      redis.call('ZREMRANGEBYSCORE', key, '-inf', now - seconds)
      if redis.call('ZCARD', key) >= limit then
        local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
        wait = math.max(wait, tonumber(oldest[2]) + seconds - now)
      end
    end
    if wait > 0 then return tostring(wait) end
    for i, key in ipairs(KEYS) do
      redis.call('ZADD', key, now, member)
      redis.call('EXPIRE', key, tonumber(ARGV[2 + 2 * i]) + 1)
    end
    return '0'
    """

    def __init__(self, uri: str):
        import redis  # deferred: the memory store (no REDIS_URL) never loads redis

        self.redis = redis.Redis.from_url(uri, socket_timeout=2, socket_connect_timeout=2)
        self._acquire = self.redis.register_script(self.ACQUIRE)

    def acquire(self, windows: list[Window], member: str, now: float) -> float:
        args = [repr(now), member]
        for w in windows:
            args += [w.limit, w.seconds]
        return float(self._acquire(keys=[w.key for w in windows], args=args))

    def release(self, windows: list[Window], member: str) -> None:
        with self.redis.pipeline() as pipe:
            for w in windows:
                pipe.zrem(w.key, member)
            pipe.execute()

    def reset(self, prefix: str) -> None:
        keys = list(self.redis.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            self.redis.delete(*keys)


def init_throttle(app: Flask) -> None:
    uri = app.config["RATELIMIT_STORAGE_URI"]
    app.extensions[EXTENSION] = (
        RedisStore(uri) if uri.startswith(("redis://", "rediss://", "unix://")) else MemoryStore()
    )
    app.extensions[EXTENSION + "_fallback"] = MemoryStore()


def _store():
    return current_app.extensions[EXTENSION]


def _call(method: str, *args):
    """On the shared store; while Redis is unreachable, on this process's memory (degraded, never a 500)."""
    try:
        return getattr(_store(), method)(*args)
    except Exception as error:  # redis.exceptions.RedisError and socket errors
        if isinstance(_store(), MemoryStore):
            raise
        current_app.logger.warning("throttle: shared store unreachable (%s), counting in this process", error)
        return getattr(current_app.extensions[EXTENSION + "_fallback"], method)(*args)


def _prefix() -> str:
    return f"hub-throttle:{current_app.config.get('RATELIMIT_KEY_PREFIX', '')}:"


def reset(app: Flask | None = None) -> None:
    """Forget every counter of this app's prefix (tests)."""
    app = app or current_app
    with app.app_context():
        app.extensions[EXTENSION].reset(_prefix())


def account_key(email: str) -> str:
    """Counters name an account by a digest of its normalised address, never the address itself."""
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:24]


def _windows(targets) -> list[Window]:
    windows = []
    for rule, key in targets:
        for item in parse_many(current_app.config[RULES[rule]]):
            seconds = item.get_expiry()
            windows.append(Window(f"{_prefix()}{rule}:{item.amount}/{seconds}:{key}", item.amount, seconds))
    return windows


@dataclass
class Attempt:
    """A reserved attempt; `release()` gives it back (a login that succeeded)."""

    windows: list[Window]
    member: str

    def release(self) -> None:
        _call("release", self.windows, self.member)


def reserve(*targets: tuple[str, str]) -> Attempt:
    """Count one attempt on every (rule, key) at once, or raise Throttled and count nothing."""
    windows = _windows(targets)
    member = uuid.uuid4().hex
    wait = _call("acquire", windows, member, time.time())
    if wait > 0:
        raise Throttled(max(1, math.ceil(wait)))
    return Attempt(windows, member)


def login_targets(email: str, ip: str) -> tuple[tuple[str, str], ...]:
    account = account_key(email)
    return ("login_pair", f"{account}|{ip}"), ("login_ip", ip), ("login_account", account)
