"""The search's synonym and abbreviation table (issue 14): groups of phrases that mean the same thing
("site web" = "site internet", "asso" = "association"), stored in the database, edited by hub staff,
given to the search engine as plain data:

    GROUPS = current_synonyms()        # (("site web", "site internet"), ("asso", "association"), …)
    make_backend(engine, synonyms=GROUPS)

The rules of a table, checked by `check_group` / `check_table` (every refusal a French message that
names the group, and its line in a YAML file):

- a group has at least 2 distinct phrases (case and accents aside), at most MAX_PHRASES;
- a phrase has 1 to 4 words of letters, digits, hyphens and apostrophes, at most 60 characters;
- a table has at most 500 groups, never the same group twice; a phrase may be in several groups.

Phrases are stored normalised: lower case, single spaces, the typographic apostrophe as "'".
The seed table is synonyms.yaml beside this module (migration 0020 carries a frozen copy of it).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from app.core.errors import ServiceError
from app.core.jobs import enqueue
from app.core.models import utcnow
from app.extensions import db
from app.searching.models import SynonymGroup, SynonymState

log = logging.getLogger(__name__)

Groups = tuple[tuple[str, ...], ...]

MAX_GROUPS = 500
MAX_PHRASES = 20  # per group: Meilisearch expands every phrase to all the others
MAX_WORDS = 4
MAX_CHARS = 60
MAX_YAML_CHARS = 200_000
MAX_ERRORS = 20  # a page lists at most this many refusals (and says how many more)
SEED_FILE = Path(__file__).with_name("synonyms.yaml")
STATE_ID = 1

_WORD = re.compile(r"(?:[^\W_]|['-])+")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "‐": "-", "‑": "-"})

YAML_HEADER = """\
# Synonymes et abréviations de la recherche du Hub du Sud.
#
# Chaque ligne « - [ … ] » est un groupe d'expressions qui veulent dire la même chose : une recherche
# sur l'une trouve aussi les autres. Une expression a de 1 à 4 mots (lettres, chiffres, traits d'union,
# apostrophes), 60 caractères au plus ; un groupe en a au moins 2 ; une expression peut figurer dans
# plusieurs groupes. Inutile d'écrire les pluriels, les majuscules ou les accents : la recherche les
# ignore déjà.
"""


class SynonymTableError(ServiceError):
    """A table (or a group) refused: `errors` lists every problem found, in French."""

    def __init__(self, errors: Sequence[str], field: str | None = None) -> None:
        shown = list(errors[:MAX_ERRORS])
        if len(errors) > MAX_ERRORS:
            shown.append(_("… et %(count)d autre(s) erreur(s).", count=len(errors) - MAX_ERRORS))
        super().__init__(" ".join(shown), field)
        self.errors = shown


# ------------------------------------------------------------------ rules (plain functions)


def normalise_phrase(raw: str) -> str:
    """Lower case, one space between words, "'" for every apostrophe, Unicode NFC."""
    text = unicodedata.normalize("NFC", str(raw)).translate(_APOSTROPHES)
    return " ".join(text.split()).lower()


def fold(phrase: str) -> str:
    """The key two phrases are "the same" by: no case, no accents."""
    decomposed = unicodedata.normalize("NFD", normalise_phrase(phrase))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def phrase_problem(phrase: str) -> str | None:
    """Why a (normalised) phrase is refused, or None."""
    if not phrase:
        return _("une expression est vide")
    if len(phrase) > MAX_CHARS:
        return _("« %(phrase)s » dépasse %(max)d caractères", phrase=phrase, max=MAX_CHARS)
    words = phrase.split(" ")
    if len(words) > MAX_WORDS:
        return _("« %(phrase)s » a plus de %(max)d mots", phrase=phrase, max=MAX_WORDS)
    if not all(_WORD.fullmatch(w) and any(c.isalnum() for c in w) for w in words):
        return _(
            "« %(phrase)s » : seuls les lettres, les chiffres, les traits d'union et les apostrophes sont permis",
            phrase=phrase,
        )
    return None


def check_group(phrases: Iterable[str], label: str = "") -> tuple[tuple[str, ...], list[str]]:
    """The group normalised (duplicates dropped, order kept) and its problems, as sentences that name
    the group by `label` ("Groupe 3 (ligne 12) : …") when there is one."""
    kept: list[str] = []
    seen: set[str] = set()
    problems: list[str] = []
    for raw in phrases:
        phrase = normalise_phrase(raw)
        problem = phrase_problem(phrase)
        if problem:
            problems.append(problem)
            continue
        if fold(phrase) not in seen:
            seen.add(fold(phrase))
            kept.append(phrase)
    if not problems and len(kept) < 2:
        problems.append(_("un groupe réunit au moins deux expressions différentes"))
    if len(kept) > MAX_PHRASES:
        problems.append(_("un groupe a au plus %(max)d expressions", max=MAX_PHRASES))
    if label:
        return tuple(kept), [_("%(label)s : %(problem)s.", label=label, problem=p) for p in problems]
    return tuple(kept), [f"{p[:1].upper()}{p[1:]}." for p in problems]


def group_key(group: Iterable[str]) -> frozenset[str]:
    return frozenset(fold(p) for p in group)


def _check_rows(rows: Iterable[tuple[str, Iterable[str]]]) -> tuple[list[tuple[str, ...]], list[tuple[int, str]]]:
    """The groups of (label, phrases) rows, and the problems as (row number, message)."""
    groups: list[tuple[str, ...]] = []
    errors: list[tuple[int, str]] = []
    first_of: dict[frozenset[str], str] = {}
    for n, (label, phrases) in enumerate(rows):
        group, problems = check_group(phrases, label)
        errors.extend((n, p) for p in problems)
        if problems:
            continue
        key = group_key(group)
        if key in first_of:
            errors.append((n, _("%(label)s : même groupe que %(first)s.", label=label, first=first_of[key])))
            continue
        first_of[key] = label
        groups.append(group)
    if len(groups) > MAX_GROUPS:
        errors.insert(0, (-1, _("La table a %(count)d groupes : %(max)d au plus.", count=len(groups), max=MAX_GROUPS)))
    return groups, errors


def check_table(rows: Iterable[tuple[str, Iterable[str]]]) -> Groups:
    """A whole table from (label, phrases) rows — label: "Groupe 3 (ligne 12)" — checked at once:
    returns the groups, or raises SynonymTableError listing every problem, in the table's order."""
    groups, errors = _check_rows(rows)
    if errors:
        raise SynonymTableError([message for _n, message in errors])
    return tuple(groups)


def table_from_rows(rows: Iterable[Iterable[str]]) -> Groups:
    """A table from plain rows (each an iterable of phrases), checked."""
    return check_table((_("Groupe %(n)d", n=n), list(row)) for n, row in enumerate(rows, 1))


def split_phrases(text: str) -> list[str]:
    """What a person types in the group form: one phrase per line, or separated by commas."""
    return [p for p in re.split(r"[\n,;]", text or "") if p.strip()]


def parse_yaml(text: str) -> Groups:
    """A table from YAML text: a list of groups, each a list of phrases (`- [site web, site internet]`).
    Every value is read as text (no `yes` turned into true). Raises SynonymTableError."""
    if len(text) > MAX_YAML_CHARS:
        raise SynonymTableError([_("Le fichier est trop long (%(max)d caractères au plus).", max=MAX_YAML_CHARS)])
    if not text.strip():
        raise SynonymTableError([_("Le fichier est vide.")])
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        raise SynonymTableError([_("Le YAML est illisible à la ligne %(line)s.", line=line)]) from None
    shape = _("Le YAML doit être une liste de groupes, un par ligne : « - [site web, site internet] ».")
    if root is None:
        raise SynonymTableError([_("Le fichier est vide.")])
    if not isinstance(root, yaml.SequenceNode):
        raise SynonymTableError([shape])
    if len(root.value) > MAX_GROUPS:
        raise SynonymTableError(
            [_("La table a %(count)d groupes : %(max)d au plus.", count=len(root.value), max=MAX_GROUPS)]
        )
    rows: list[tuple[str, list[str]]] = []
    row_numbers: list[int] = []  # the group number of each row checked below
    errors: list[tuple[int, str]] = []
    for n, node in enumerate(root.value):
        label = _("Groupe %(n)d (ligne %(line)d)", n=n + 1, line=node.start_mark.line + 1)
        if not isinstance(node, yaml.SequenceNode):
            errors.append(
                (n, _("%(label)s : un groupe s'écrit entre crochets, « - [asso, association] ».", label=label))
            )
        elif len(node.value) > MAX_PHRASES:
            errors.append((n, _("%(label)s : un groupe a au plus %(max)d expressions.", label=label, max=MAX_PHRASES)))
        elif not all(isinstance(item, yaml.ScalarNode) for item in node.value):
            errors.append((n, _("%(label)s : chaque expression est un simple texte.", label=label)))
        else:
            rows.append((label, [str(item.value) for item in node.value]))
            row_numbers.append(n)
    groups, problems = _check_rows(rows)
    errors.extend((row_numbers[i] if i >= 0 else -1, message) for i, message in problems)
    if errors:
        raise SynonymTableError([message for _n, message in sorted(errors, key=lambda e: e[0])])
    return tuple(groups)


def _yaml_phrase(phrase: str) -> str:
    # Checked phrases are words of letters, digits, "-" and "'": plain YAML, unless one starts with a
    # quote or a hyphen (then double-quoted, as JSON, which YAML reads).
    return phrase if phrase[0].isalnum() else '"' + phrase.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_yaml(groups: Iterable[Sequence[str]]) -> str:
    """The table as YAML, one group a line, with the French header that explains the format."""
    lines = [YAML_HEADER]
    lines.extend("- [" + ", ".join(_yaml_phrase(p) for p in group) + "]" for group in groups)
    return "\n".join(lines) + "\n"


def seed_groups() -> Groups:
    """The table shipped with the app (synonyms.yaml)."""
    return parse_yaml(SEED_FILE.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ the stored table


def stored_groups() -> list[SynonymGroup]:
    return list(db.session.scalars(select(SynonymGroup).order_by(SynonymGroup.phrases, SynonymGroup.id)))


def table_state() -> SynonymState | None:
    return db.session.get(SynonymState, STATE_ID)


def group_count() -> int:
    return db.session.scalar(select(func.count()).select_from(SynonymGroup)) or 0


def _changed(user) -> None:
    """Every change renews the stamp (processes reload their copy) and pushes the table to Meilisearch
    after the commit."""
    state = table_state()
    if state is None:
        state = SynonymState(id=STATE_ID)
        db.session.add(state)
    state.stamp = uuid.uuid4().hex
    state.updated_at = utcnow()
    state.updated_by_id = user.id if user is not None else None
    db.session.flush()
    enqueue(push_synonyms, queue="search", coalesce=True)


def _check_one(phrases: Iterable[str], ignore_id: int | None = None) -> tuple[str, ...]:
    group, problems = check_group(phrases)
    if problems:
        raise SynonymTableError(problems, field="phrases")
    key = group_key(group)
    for other in stored_groups():
        if other.id != ignore_id and group_key(other.phrase_list) == key:
            raise SynonymTableError([_("Ce groupe existe déjà.")], field="phrases")
    return group


def add_group(user, phrases: Iterable[str]) -> SynonymGroup:
    group = _check_one(phrases)
    if group_count() >= MAX_GROUPS:
        raise SynonymTableError([_("La table a déjà %(max)d groupes.", max=MAX_GROUPS)], field="phrases")
    row = SynonymGroup(phrases="\n".join(group), updated_by_id=user.id if user else None)
    db.session.add(row)
    _changed(user)
    return row


def update_group(user, row: SynonymGroup, phrases: Iterable[str]) -> SynonymGroup:
    group = _check_one(phrases, ignore_id=row.id)
    row.phrases = "\n".join(group)
    row.updated_at = utcnow()
    row.updated_by_id = user.id if user else None
    _changed(user)
    return row


def delete_group(user, row: SynonymGroup) -> None:
    db.session.delete(row)
    _changed(user)


def replace_table(user, groups: Groups) -> int:
    """The whole table replaced by `groups` (already checked: parse_yaml / table_from_rows)."""
    db.session.execute(delete(SynonymGroup))
    db.session.add_all(SynonymGroup(phrases="\n".join(g), updated_by_id=user.id if user else None) for g in groups)
    _changed(user)
    return len(groups)


def export_yaml() -> str:
    """The stored table as YAML, in the order the groups were written (the page lists them sorted)."""
    return to_yaml(current_synonyms())


# ------------------------------------------------------------------ what the engine gets

_cache_lock = threading.Lock()
_cache: tuple[str | None, Groups] = (None, ())


def current_synonyms() -> Groups:
    """The table of the running app, as the engine takes it. Cached per process: one query of the
    state's stamp per call, the groups read again only when the stamp changed (an edit, in any
    process; or a rolled-back one)."""
    global _cache
    stamp = db.session.scalar(select(SynonymState.stamp).where(SynonymState.id == STATE_ID))
    cached_stamp, groups = _cache
    if stamp is not None and stamp == cached_stamp:
        return groups
    rows = db.session.scalars(select(SynonymGroup.phrases).order_by(SynonymGroup.id))
    groups = tuple(tuple(p for p in text.split("\n") if p) for text in rows)
    with _cache_lock:
        _cache = (stamp, groups)
    return groups


def push_synonyms() -> bool:
    """The job run after a change: the table to Meilisearch's `synonyms` setting, when Meilisearch is
    configured. Meilisearch down: logged (its settings are pushed again by the next change, or by
    `flask hub synonyms push`)."""
    if not current_app.config.get("MEILI_URL"):
        return False
    from app.searching.services import get_backend  # deferred: services imports this module
    from search import SearchError

    primary = getattr(get_backend(), "primary", None)
    update = getattr(primary, "update_synonyms", None)
    if update is None:
        return False
    try:
        update(current_synonyms())
    except SearchError as exc:
        log.warning("synonyms not pushed to Meilisearch: %s", exc)
        return False
    return True
