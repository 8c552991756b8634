"""The skills taxonomy, read once from skills.yaml (data, editable without code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from flask_babel import get_locale

SKILLS_FILE = Path(__file__).with_name("skills.yaml")


@dataclass(frozen=True)
class Skill:
    code: str
    fr: str
    en: str
    parent: str | None = None
    schema: str | None = None
    retired: bool = False
    children: tuple[str, ...] = field(default=())

    def label(self, locale: str | None = None) -> str:
        locale = locale or _current_locale()
        return self.en if locale == "en" else self.fr


def _current_locale() -> str:
    try:
        return str(get_locale() or "fr")
    except (RuntimeError, AttributeError):
        return "fr"


@lru_cache(maxsize=1)
def taxonomy() -> dict[str, Skill]:
    data = yaml.safe_load(SKILLS_FILE.read_text(encoding="utf-8"))
    skills: dict[str, Skill] = {}

    def walk(nodes, parent=None):
        for node in nodes:
            children = node.get("children") or []
            if node["code"] in skills:
                raise ValueError(f"duplicate skill code {node['code']}")
            skills[node["code"]] = Skill(
                code=node["code"],
                fr=node["fr"],
                en=node["en"],
                parent=parent,
                schema=node.get("schema"),
                retired=bool(node.get("retired")),
                children=tuple(c["code"] for c in children),
            )
            walk(children, node["code"])

    walk(data)
    return skills


def leaf_skills() -> list[Skill]:
    return [s for s in taxonomy().values() if not s.children and not s.retired]


def grouped_choices(locale: str | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(group label, [(code, label), ...]), ...] for a grouped select or checkboxes."""
    tax = taxonomy()
    groups = []
    for skill in tax.values():
        if skill.parent is None:
            leaves = [(c, tax[c].label(locale)) for c in skill.children if not tax[c].retired]
            groups.append((skill.label(locale), leaves))
    return groups


def valid_codes() -> set[str]:
    return {s.code for s in leaf_skills()}


def skill_label(code: str, locale: str | None = None) -> str:
    skill = taxonomy().get(code)
    return skill.label(locale) if skill else code


def expand(codes: list[str]) -> list[str]:
    """A group code stands for all its leaves."""
    tax = taxonomy()
    out: list[str] = []
    for code in codes:
        skill = tax.get(code)
        if skill is None:
            continue
        out.extend(skill.children if skill.children else [code])
    return list(dict.fromkeys(out))
