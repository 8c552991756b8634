"""Demo data for the Région Sud (placeholder; filled in by the demo module)."""
from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db

DEMO_PASSWORD = "demo-hub-du-sud"


def database_is_empty() -> bool:
    return (db.session.scalar(select(func.count()).select_from(User)) or 0) == 0


def load_demo(password: str = DEMO_PASSWORD) -> dict:
    return {}
