"""French text analysis, one implementation for every backend and both databases.

Index time, each field is cut into **lexemes** (`document_lexemes`):

- the folded words (lower case, no accents): "Médiation" -> "mediation";
- their light French stems, marked with `STEM` ("~format" for "formation",
  "formations", "formatrice"…): the Snowball French stemmer (snowballstemmer,
  the algorithm PostgreSQL's `french_stem` also uses), run on the accented word
  and on the folded one, plus the singular of a plural the stemmer leaves
  alone ("ordis" -> "ordi", "lieux" -> "lieu");
- elisions are cut ("l'association" -> "association"), and a hyphenated or
  apostrophised compound also gives its joined form ("e-commerce" ->
  "e", "commerce" and "ecommerce"; "tiers-lieux" -> "tiers", "lieux",
  "tierslieux").

Query time (`analyze_query`), each word the user typed becomes a `QueryTerm`:
a choice of `alternatives`, each a list of `Probe`s that must all be found
(the word itself; a hyphenated compound's joined form or all its parts; the
phrases of a synonym group: "seniors" is also "aines" and "personnes agees").
A `Probe` matches a document by the word (best), one of its stems, or a word
starting with it (a prefix, from PREFIX_MIN letters). A short word typed in
capitals ("CAF", "RGPD") is an acronym: it matches that whole word only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer

from .text import FRENCH_STOP_WORDS, fold, fold_word

STEM = "~"  # stems are stored as "~stem": never equal to a word, never inside a word's prefix range
PREFIX_MIN = 3  # a probe of at least 3 letters also matches the words it starts
TERM_MIN_LEN = 2  # shorter words are not indexed (the stop words "l", "d", "a"… of French)
TERM_MAX_LEN = 40
ACRONYM_MAX_LEN = 5
MAX_QUERY_TERMS = 8

# A word: letters and digits, joined by hyphens or apostrophes (compounds).
_WORD = re.compile(r"[^\W_]+(?:['’\-‐][^\W_]+)*", re.UNICODE)
_PART = re.compile(r"[^\W_]+", re.UNICODE)
# Elided articles and pronouns at the start of a compound ("l'", "d'", "qu'", "jusqu'"…)
_ELIDED = frozenset({"c", "d", "j", "l", "m", "n", "s", "t", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"})

_STEMMER = snowballstemmer.stemmer("french")


@lru_cache(maxsize=200_000)
def stems(word: str) -> tuple[str, ...]:
    """The folded stems of one lower-case word (accents kept or not)."""
    folded = fold(word)
    found = {fold(_STEMMER.stemWord(word)), _STEMMER.stemWord(folded)}
    if len(folded) > 3 and folded[-1] in "sx" and fold(_STEMMER.stemWord(word)) == folded:
        # a plural the stemmer leaves whole ("ordis", "lieux", "bureaux")
        found.add(_STEMMER.stemWord(folded[:-1]))
    return tuple(sorted(s for s in found if s))


@dataclass(frozen=True)
class Token:
    """One word of a text: `word` folded; `parts` the words of a compound (else
    just the word); `raw` as written."""

    word: str
    parts: tuple[str, ...]
    raw: str


def _strip_elision(parts: list[str], raws: list[str]) -> tuple[list[str], list[str]]:
    if len(parts) > 1 and parts[0] in _ELIDED:
        return parts[1:], raws[1:]
    return parts, raws


def tokenize(text: str) -> list[Token]:
    """The words of a text, elisions cut, compounds kept whole with their parts."""
    out = []
    for match in _WORD.finditer(text or ""):
        raws = _PART.findall(match.group(0))
        parts = [p.lower() for p in raws]
        parts, raws = _strip_elision(parts, raws)
        word = "".join(parts)
        out.append(Token(word=fold(word), parts=tuple(fold(p) for p in parts), raw=" ".join(raws)))
    return out


@lru_cache(maxsize=200_000)
def word_lexemes(lower: str) -> frozenset[str]:
    """The lexemes of one lower-case simple word: itself (folded) and its stems."""
    folded = fold(lower)
    if not TERM_MIN_LEN <= len(folded) <= TERM_MAX_LEN:
        return frozenset()
    return frozenset({folded, *(STEM + s for s in stems(lower))})


@lru_cache(maxsize=200_000)
def _compound_lexemes(compound: str) -> frozenset[str]:
    parts = _PART.findall(compound)
    parts, _ = _strip_elision(parts, parts)
    out: set[str] = set()
    for part in parts:
        out |= word_lexemes(part)
    if len(parts) > 1:
        out |= word_lexemes("".join(parts))
    return frozenset(out)


def text_lexemes(text: str) -> set[str]:
    """Every lexeme of a field: words, stems, compounds' parts and joined forms."""
    out: set[str] = set()
    for word in set(_WORD.findall((text or "").lower())):
        out |= word_lexemes(word) if word.isalnum() else _compound_lexemes(word)
    return out


def word_count(text: str) -> int:
    """Words of a title, for the short-title tie-break."""
    return len(_PART.findall(text or ""))


def document_lexemes(title: str, keywords: str, body: str) -> tuple[set[str], set[str], set[str]]:
    """(all lexemes, those of the title, those of the keywords) of a document."""
    in_title = text_lexemes(title)
    in_keywords = text_lexemes(keywords)
    return in_title | in_keywords | text_lexemes(body), in_title, in_keywords


# ---------------------------------------------------------------- the query


@dataclass(frozen=True)
class Probe:
    """One word to find: as the word itself, by one of its `stems`, or (when
    `prefix`) as the start of a longer word."""

    word: str
    stems: tuple[str, ...] = ()
    prefix: bool = False

    @classmethod
    def of(cls, lower: str, *, acronym: bool = False) -> Probe:
        folded = fold(lower)
        if acronym:
            return cls(word=folded)
        return cls(word=folded, stems=stems(lower), prefix=len(folded) >= PREFIX_MIN)


@dataclass
class QueryTerm:
    """One word (or compound, or synonym phrase) of the query; matched when any
    alternative has all its probes."""

    text: str  # as folded, for corrections and messages
    alternatives: list[list[Probe]]
    synonyms: list[str] = field(default_factory=list)  # the equivalent phrases used


def _is_acronym(raw: str) -> bool:
    letters = raw.replace(" ", "")
    return 2 <= len(letters) <= ACRONYM_MAX_LEN and letters.isupper() and letters.isalpha()


def _probes(token: Token, *, acronym: bool) -> list[list[Probe]]:
    """A token's own alternatives: a simple word, or a compound (joined, or all its parts)."""
    if len(token.parts) == 1:
        return [[Probe.of(token.word, acronym=acronym)]]
    parts = [p for p in token.parts if len(p) >= TERM_MIN_LEN]
    joined = [Probe(word=token.word, stems=stems(token.word))]
    return [joined, [Probe.of(p) for p in parts]] if parts else [joined]


class SynonymTable:
    """Groups of equivalent phrases ("site web", "site internet"), looked up on
    the query's folded words. A phrase of several words stands for all of them."""

    def __init__(self, groups: Iterable[Sequence[str]] = ()) -> None:
        self.groups: list[list[tuple[str, ...]]] = []
        self.by_phrase: dict[tuple[str, ...], list[int]] = {}
        self.longest = 1
        for group in groups:
            phrases = list(dict.fromkeys(_phrase(p) for p in group))
            phrases = [p for p in phrases if p]
            if len(phrases) < 2:
                continue
            index = len(self.groups)
            self.groups.append(phrases)
            for phrase in phrases:
                self.by_phrase.setdefault(_key(phrase), []).append(index)
                self.longest = max(self.longest, len(phrase))

    def __bool__(self) -> bool:
        return bool(self.groups)

    def equivalents(self, phrase: tuple[str, ...]) -> list[tuple[str, ...]]:
        """The other phrases of the groups of `phrase` (folded words; a plural finds its singular)."""
        key = _key(phrase)
        out: list[tuple[str, ...]] = []
        for index in self.by_phrase.get(key, []):
            out.extend(p for p in self.groups[index] if _key(p) != key and p not in out)
        return out

    def words(self) -> list[str]:
        """The one-word phrases of the table (for typos: "newsleter" -> "newsletter")."""
        return sorted({p[0] for group in self.groups for p in group if len(p) == 1})


def _singular(word: str) -> str:
    """A plural's likely singular, for matching phrases of the table ("ordis" is "ordi")."""
    return word[:-1] if len(word) > 4 and word[-1] in "sx" else word


def _key(phrase: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_singular(w) for w in phrase)


def _phrase(text: str) -> tuple[str, ...]:
    """A phrase's folded words, without its stop words (as the query drops them)."""
    words = [t.word for t in tokenize(text) if t.word]
    return tuple(w for w in words if w not in FRENCH_STOP_WORDS) or tuple(words)


EMPTY_SYNONYMS = SynonymTable()


def synonym_table(groups: Iterable[Sequence[str]]) -> SynonymTable:
    """The table of these groups, built once per distinct table (the app passes the same groups to
    every request's backend)."""
    frozen = tuple(tuple(g) for g in groups)
    return _synonym_table(frozen) if frozen else EMPTY_SYNONYMS


@lru_cache(maxsize=8)
def _synonym_table(groups: tuple[tuple[str, ...], ...]) -> SynonymTable:
    return SynonymTable(groups)


def analyze_query(text: str, synonyms: SynonymTable = EMPTY_SYNONYMS) -> list[QueryTerm]:
    """The terms of a user's query: stop words dropped (unless nothing else is
    left), synonym phrases found (longest first), at most MAX_QUERY_TERMS."""
    found = tokenize(text)
    seen: set[str] = set()
    unique = []
    for tok in found:
        if tok.word and tok.word not in seen:
            seen.add(tok.word)
            unique.append(tok)
    kept = [t for t in unique if t.word not in FRENCH_STOP_WORDS] or unique
    terms: list[QueryTerm] = []
    i = 0
    while i < len(kept) and len(terms) < MAX_QUERY_TERMS:
        matched = 0
        for size in range(min(synonyms.longest, len(kept) - i), 0, -1) if synonyms else ():
            phrase = tuple(t.word for t in kept[i : i + size])
            equivalents = synonyms.equivalents(phrase)
            if equivalents:
                alternatives = (
                    _probes(kept[i], acronym=_is_acronym(kept[i].raw)) if size == 1 else [[Probe.of(w) for w in phrase]]
                )
                for other in equivalents:
                    alternatives.append([Probe.of(w) for w in other])
                terms.append(
                    QueryTerm(
                        text=" ".join(phrase), alternatives=alternatives, synonyms=[" ".join(e) for e in equivalents]
                    )
                )
                matched = size
                break
        if not matched:
            tok = kept[i]
            terms.append(QueryTerm(text=tok.word, alternatives=_probes(tok, acronym=_is_acronym(tok.raw))))
            matched = 1
        i += matched
    return terms


# ---------------------------------------------------------------- highlighting


def probe_matches(probes: Iterable[Probe]) -> tuple[set[str], set[str], set[str]]:
    """(words, stems, prefixes) a highlighter marks for these probes."""
    words: set[str] = set()
    stem_set: set[str] = set()
    prefixes: set[str] = set()
    for probe in probes:
        words.add(probe.word)
        stem_set.update(probe.stems)
        if probe.prefix:
            prefixes.add(probe.word)
    return words, stem_set, prefixes


def marks_word(raw: str, words: set[str], stem_set: set[str], prefixes: set[str]) -> bool:
    """True when a word of a text is one the query found."""
    lower = raw.lower()
    folded = fold_word(lower)
    if folded in words or any(folded.startswith(p) for p in prefixes):
        return True
    return bool(stem_set) and len(folded) >= TERM_MIN_LEN and any(s in stem_set for s in stems(lower))
