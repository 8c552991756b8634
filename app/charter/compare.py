"""Two versions of the charter side by side: added, changed and removed criteria, with the changes of a
wording marked word by word (<del> for what goes, <ins> for what comes, each with a hidden word for screen
readers and a visible style that does not rest on colour alone)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.charter.models import CharterVersion, VersionCriterion

_TOKENS = re.compile(r"\s+|[^\s]+")


def _mark(tag: str, words: str) -> Markup:
    hint = _("supprimé :") if tag == "del" else _("ajouté :")
    return Markup('<{tag}><span class="sr-only">[{hint}] </span>{words}</{tag}>').format(
        tag=Markup(tag), hint=hint, words=words
    )


def word_diff(old: str, new: str) -> tuple[Markup, Markup]:
    """(old text with its removed words in <del>, new text with its added words in <ins>), escaped."""
    a, b = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    before, after = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        left, right = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            before.append(escape(left))
            after.append(escape(right))
            continue
        if left:
            before.append(_mark("del", left))
        if right:
            after.append(_mark("ins", right))
    return Markup("").join(before), Markup("").join(after)


@dataclass
class Change:
    old: VersionCriterion
    new: VersionCriterion
    wording: tuple[Markup, Markup]
    evidence: tuple[Markup, Markup]
    other: list[str] = field(default_factory=list)  # weight, subjects


@dataclass
class Comparison:
    old: CharterVersion
    new: CharterVersion
    added: list[VersionCriterion]
    removed: list[VersionCriterion]
    changed: list[Change]
    unchanged: int

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def compare(old: CharterVersion, new: CharterVersion) -> Comparison:
    before = {vc.criterion_id: vc for vc in old.criteria}
    after = {vc.criterion_id: vc for vc in new.criteria}

    def number(vc: VersionCriterion) -> int:
        return vc.criterion.number

    added = sorted((after[i] for i in after.keys() - before.keys()), key=number)
    removed = sorted((before[i] for i in before.keys() - after.keys()), key=number)
    changed, unchanged = [], 0
    for cid in sorted(before.keys() & after.keys(), key=lambda i: before[i].criterion.number):
        a, b = before[cid], after[cid]
        other = []
        if a.weight != b.weight:
            other.append(_("poids %(a)d → %(b)d", a=a.weight, b=b.weight))
        if sorted(a.applies_to or []) != sorted(b.applies_to or []):
            other.append(_("s'applique à : modifié"))
        if a.wording == b.wording and a.evidence == b.evidence and not other:
            unchanged += 1
            continue
        changed.append(Change(a, b, word_diff(a.wording, b.wording), word_diff(a.evidence, b.evidence), other))
    return Comparison(old, new, added, removed, changed, unchanged)
