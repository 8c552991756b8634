"""Explicit state machines: one table of legal moves per entity, one function
that moves it, and a named exception for an illegal move."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

S = TypeVar("S")


class IllegalTransition(Exception):
    def __init__(self, entity: str, current, target):
        self.entity, self.current, self.target = entity, current, target
        super().__init__(
            f"{entity}: cannot move from {getattr(current, 'value', current)} to {getattr(target, 'value', target)}"
        )


@dataclass(frozen=True)
class StateMachine(Generic[S]):
    entity: str
    moves: dict  # state -> frozenset of states

    def allowed(self, current: S) -> frozenset:
        return self.moves.get(current, frozenset())

    def can(self, current: S, target: S) -> bool:
        return target in self.allowed(current)

    def check(self, current: S, target: S) -> None:
        if not self.can(current, target):
            raise IllegalTransition(self.entity, current, target)
