"""Public identifiers of resources: R42 for number 42, handed out once and never again."""

from __future__ import annotations

import re

from sqlalchemy import func, select, update

from app.extensions import db
from app.library.models import RESOURCE_PREFIX, IdentifierCounter, Resource
from app.library.models import ResourceStatus as RS

IDENTIFIER = re.compile(r"^[Rr]([1-9][0-9]{0,17})$")


def next_number(name: str = "resource") -> int:
    """Take the next public number: an UPDATE of the counter row (so concurrent creations
    queue on that row and a number is never handed out twice, nor ever again)."""
    stmt = (
        update(IdentifierCounter)
        .where(IdentifierCounter.name == name)
        .values(last_value=IdentifierCounter.last_value + 1)
        .returning(IdentifierCounter.last_value)
    )
    value = db.session.execute(stmt, execution_options={"synchronize_session": False}).scalar_one_or_none()
    if value is None:  # a database the migration did not seed
        value = (db.session.scalar(select(func.max(Resource.number))) or 0) + 1
        db.session.add(IdentifierCounter(name=name, last_value=value))
        db.session.flush()
    return int(value)


def parse_identifier(text: str | None) -> int | None:
    """'R42' (or 'r42') -> 42; anything else -> None."""
    match = IDENTIFIER.match((text or "").strip())
    return int(match.group(1)) if match else None


def parse_identifiers(text: str | None) -> list[int]:
    """'R1, R2 r3' -> [1, 2, 3]; ValueError naming the first bad token."""
    numbers = []
    for token in re.split(r"[\s,;|]+", (text or "").strip()):
        if not token:
            continue
        number = parse_identifier(token)
        if number is None:
            raise ValueError(token)
        if number not in numbers:
            numbers.append(number)
    return numbers


def format_identifier(number: int) -> str:
    return f"{RESOURCE_PREFIX}{number}"


def resource_by_number(number: int) -> Resource | None:
    return db.session.scalar(select(Resource).where(Resource.number == number))


def final_resource(resource: Resource) -> Resource:
    """Follow merges to the survivor (chains are flattened at merge; the loop guard is a safety net)."""
    seen = set()
    while resource.status == RS.MERGED and resource.merged_into is not None and resource.id not in seen:
        seen.add(resource.id)
        resource = resource.merged_into
    return resource
