"""The boussole: walk a decision tree (data) and turn answers into a need draft.

Pure functions over the tree; the views only render the current question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from app.directory.skills import valid_codes
from app.directory.vocab import MODALITIES, OFFER_CATEGORIES, PRICE_MODES

BOUSSOLE_FILE = Path(__file__).with_name("boussole.yaml")
MAX_QUESTIONS = 6


class InvalidAnswers(ValueError):
    """The answers do not follow a path of the tree."""


@dataclass(frozen=True)
class Choice:
    id: str
    fr: str
    en: str
    next: str | None = None
    skills: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    title: str | None = None
    describe: str | None = None
    modality: str | None = None
    funding: str | None = None

    def label(self, locale: str) -> str:
        return self.en if locale == "en" else self.fr


@dataclass(frozen=True)
class Question:
    id: str
    fr: str
    en: str
    choices: tuple[Choice, ...]

    def text(self, locale: str) -> str:
        return self.en if locale == "en" else self.fr

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True)
class Tree:
    start: str
    questions: dict[str, Question]


@dataclass
class Outcome:
    """Where the answers lead: the next question, or the prefilled need."""

    answers: list[str]
    path: list[tuple[Question, Choice]]
    next_question: Question | None
    skills: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    title: str = ""
    description: str = ""
    modality: str | None = None
    funding: str | None = None

    @property
    def finished(self) -> bool:
        return self.next_question is None

    @property
    def step(self) -> int:
        return len(self.answers) + 1


def parse_tree(data: dict) -> Tree:
    questions = {}
    for qid, q in data["questions"].items():
        choices = tuple(
            Choice(
                id=c["id"],
                fr=c["fr"],
                en=c.get("en", c["fr"]),
                next=c.get("next"),
                skills=tuple(c.get("skills", ())),
                categories=tuple(c.get("categories", ())),
                title=c.get("title"),
                describe=c.get("describe"),
                modality=c.get("modality"),
                funding=c.get("funding"),
            )
            for c in q["choices"]
        )
        questions[qid] = Question(id=qid, fr=q["fr"], en=q.get("en", q["fr"]), choices=choices)
    tree = Tree(start=data["start"], questions=questions)
    validate_tree(tree)
    return tree


def validate_tree(tree: Tree) -> None:
    """Refuse a tree with dangling links, cycles or a path longer than MAX_QUESTIONS."""
    codes = valid_codes()

    def depth(qid: str, seen: tuple[str, ...]) -> int:
        if qid not in tree.questions:
            raise ValueError(f"boussole: unknown question {qid!r}")
        if qid in seen:
            raise ValueError(f"boussole: cycle through {qid!r}")
        deepest = 0
        for c in tree.questions[qid].choices:
            bad = [s for s in c.skills if s not in codes]
            if bad:
                raise ValueError(f"boussole: unknown skills {bad} in {qid}/{c.id}")
            if any(cat not in OFFER_CATEGORIES for cat in c.categories):
                raise ValueError(f"boussole: unknown category in {qid}/{c.id}")
            if (c.modality and c.modality not in MODALITIES) or (c.funding and c.funding not in PRICE_MODES):
                raise ValueError(f"boussole: bad modality or funding in {qid}/{c.id}")
            if c.next:
                deepest = max(deepest, depth(c.next, (*seen, qid)))
        return 1 + deepest

    longest = depth(tree.start, ())
    if longest > MAX_QUESTIONS:
        raise ValueError(f"boussole: a path has {longest} questions, at most {MAX_QUESTIONS} allowed")


@lru_cache(maxsize=1)
def load_tree() -> Tree:
    return parse_tree(yaml.safe_load(BOUSSOLE_FILE.read_text(encoding="utf-8")))


def walk(tree: Tree, answers: list[str]) -> Outcome:
    """Follow the answers from the start; raise InvalidAnswers if one does not fit."""
    path: list[tuple[Question, Choice]] = []
    qid: str | None = tree.start
    for answer in answers:
        if qid is None:
            raise InvalidAnswers("too many answers")
        question = tree.questions[qid]
        choice = question.choice(answer)
        if choice is None:
            raise InvalidAnswers(f"{answer!r} is not a choice of {qid!r}")
        path.append((question, choice))
        qid = choice.next
    outcome = Outcome(answers=list(answers), path=path, next_question=tree.questions[qid] if qid else None)
    descriptions = []
    for _, choice in path:
        outcome.skills.extend(s for s in choice.skills if s not in outcome.skills)
        outcome.categories.extend(c for c in choice.categories if c not in outcome.categories)
        outcome.title = choice.title or outcome.title
        if choice.describe:
            descriptions.append(choice.describe)
        outcome.modality = choice.modality or outcome.modality
        outcome.funding = choice.funding or outcome.funding
    outcome.description = " ".join(descriptions)
    return outcome


def parse_answer_string(value: str | None) -> list[str]:
    return [a for a in (value or "").split(".") if a]
