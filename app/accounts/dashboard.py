"""The signed-in user's space (`/espace`): each domain adds what it has for the user.

`accounts` stands below the domains that fill the page (needs, matches), so it does not ask them:
they register a part, `part(user) -> {template variable: value}`, when they are imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.accounts.models import User

DashboardPart = Callable[[User], dict[str, Any]]

_parts: dict[str, DashboardPart] = {}


def register_dashboard_part(name: str, part: DashboardPart) -> DashboardPart:
    """Add (or replace, under the same name) a part of the user's space."""
    _parts[name] = part
    return part


def dashboard_context(user: User) -> dict[str, Any]:
    """The template variables of every registered part, in registration order."""
    context: dict[str, Any] = {}
    for part in _parts.values():
        context.update(part(user))
    return context
