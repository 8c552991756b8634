"""What an RQ worker executes for every job (`app.core.jobs` enqueues it by name).

It sits above the domains, beside `create_app`: a worker process builds one app, then runs each
job inside its context. `rq worker hub search matching` needs nothing else.
"""

from __future__ import annotations

import importlib

from flask import Flask

from app import create_app
from app.core.jobs import commit
from app.extensions import db

_worker_app: Flask | None = None


def run_job(target: str, *args, **kwargs):
    """Import `module:function`, run it inside an app context (one app per worker process),
    commit, then dispatch the jobs it queued."""
    global _worker_app
    if _worker_app is None:
        _worker_app = create_app()
    module, _sep, name = target.partition(":")
    func = getattr(importlib.import_module(module), name)
    with _worker_app.app_context():
        try:
            result = func(*args, **kwargs)
            commit()
            return result
        except Exception:
            db.session.rollback()
            raise
