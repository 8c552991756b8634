"""The search index's warm-up in each web process.

The embedded search answers queries from an in-process copy of the index
(search/memory.py). A daemon thread per process loads it when the process
starts and then reads the index's head every SEARCH_WARM_INTERVAL seconds:
after `flask hub reindex` swaps a new build in, the thread reloads the copy off
the requests' path (they answer from the previous copy meanwhile). Started by
gunicorn's post_worker_init hook (gunicorn.conf.py), else at the first request
of a process (a forked worker starts its own; threads do not survive a fork).
Off in tests unless SEARCH_WARMER is set, and with Meilisearch (the copy only
serves the fallback then).
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask

from search import SqlBackend

log = logging.getLogger(__name__)
_lock = threading.Lock()
_started_in: dict[int, int] = {}  # id(app) -> pid of the process whose warmer runs


def warmer_enabled(app: Flask) -> bool:
    config = app.config
    interval = float(config.get("SEARCH_WARM_INTERVAL", 2.0) or 0)
    if interval <= 0 or config.get("MEILI_URL"):
        return False
    return bool(config.get("SEARCH_WARMER", not app.testing))


def start_search_warmer(app: Flask) -> bool:
    """Start this process's warmer (once per process and database); True when started now."""
    if not warmer_enabled(app):
        return False
    with app.app_context():
        from app.extensions import db

        with _lock:
            if _started_in.get(id(app)) == os.getpid():
                return False
            _started_in[id(app)] = os.getpid()
        SqlBackend(db.engine).start_warmer(float(app.config.get("SEARCH_WARM_INTERVAL", 2.0)))
    log.info("search warmer started in process %s", os.getpid())
    return True


def init_search_warmer(app: Flask) -> None:
    """Start the warmer at the first request of a process, if gunicorn's hook has not."""
    if not warmer_enabled(app):
        return

    @app.before_request
    def _start_search_warmer() -> None:
        if _started_in.get(id(app)) != os.getpid():
            start_search_warmer(app)
