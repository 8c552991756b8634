"""Text helpers shared by every backend: folding, tokenising, French stop
words, edit distance, great-circle distance, highlight markers."""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# Private-use characters that the engines wrap around matches; turned into
# <mark>…</mark> after the text has been HTML-escaped.
MARK_START = "\ue000"
MARK_END = "\ue001"

EARTH_RADIUS_KM = 6371.0088

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)

# French stop words, folded (no accents, lower case). Dropped from queries
# (unless the query has nothing else) and given to Meilisearch as stopWords.
FRENCH_STOP_WORDS = frozenset(
    [
        "a",
        "ai",
        "au",
        "aux",
        "avec",
        "c",
        "ce",
        "ces",
        "cet",
        "cette",
        "d",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "elles",
        "en",
        "et",
        "eux",
        "il",
        "ils",
        "j",
        "je",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "leurs",
        "lui",
        "m",
        "ma",
        "mais",
        "me",
        "meme",
        "mes",
        "moi",
        "mon",
        "n",
        "ne",
        "nos",
        "notre",
        "nous",
        "on",
        "ont",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "s",
        "sa",
        "se",
        "ses",
        "son",
        "sont",
        "sur",
        "t",
        "ta",
        "te",
        "tes",
        "toi",
        "ton",
        "tu",
        "un",
        "une",
        "vos",
        "votre",
        "vous",
        "y",
        "est",
        "etre",
        "ete",
        "sans",
        "chez",
        "vers",
        "via",
    ]
)


def fold(text: str) -> str:
    """Lower case without diacritics ("Médiation" -> "mediation")."""
    lower = text.lower()
    if lower.isascii():
        return lower
    decomposed = unicodedata.normalize("NFD", lower)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


@lru_cache(maxsize=200_000)
def fold_word(word: str) -> str:
    """fold() of one word, remembered (words repeat)."""
    return fold(word)


def tokens(text: str) -> list[str]:
    """Folded tokens: runs of letters and digits (apostrophes, hyphens,
    punctuation and underscores separate)."""
    return _TOKEN.findall(fold(text or ""))


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent
    transpositions). Returns limit + 1 early when the distance exceeds limit."""
    if a == b:
        return 0
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        row_min = i
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            row_min = min(row_min, value)
        if limit is not None and row_min > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def max_typos(term: str) -> int:
    """Typos tolerated for a term of this length (as Meilisearch does by
    default: none under 5 letters, one from 5, two from 9)."""
    if len(term) >= 9:
        return 2
    if len(term) >= 5:
        return 1
    return 0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) containing every point within
    radius_km of (lat, lon); slightly generous."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM) * 1.001
    far_lat = min(89.9, abs(lat) + dlat)
    dlon = min(180.0, dlat / max(math.cos(math.radians(far_lat)), 1e-6))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def marked_html(text: str | None) -> str:
    """HTML-escape engine output, then turn the match markers into <mark>."""
    if not text:
        return ""
    escaped = html.escape(text, quote=False)
    # An unterminated mark (crop) is closed at the end.
    out = escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    if out.count("<mark>") > out.count("</mark>"):
        out += "</mark>"
    return out


def plain_html(text: str | None) -> str:
    return html.escape(text or "", quote=False)


def _matcher(exact: set[str], prefixes: set[str], matches: Callable[[str], bool] | None) -> Callable[[str], bool]:
    if matches is not None:
        return matches
    starts = tuple(prefixes)
    return lambda raw: (word := fold_word(raw)) in exact or word.startswith(starts)


def highlight_terms(
    text: str, exact: set[str], prefixes: set[str], matches: Callable[[str], bool] | None = None
) -> str:
    """Wrap the words of `text` whose folded form equals one of `exact` or
    starts with one of `prefixes` (or, given `matches`, for which it is true) in
    the markers (for backends that do not highlight themselves)."""
    is_match = _matcher(exact, prefixes, matches)

    def repl(match: re.Match[str]) -> str:
        found: str = match.group(0)
        return MARK_START + found + MARK_END if is_match(found) else found

    return _TOKEN.sub(repl, text or "")


def snippet_terms(
    text: str,
    exact: set[str],
    prefixes: set[str],
    words: int = 24,
    matches: Callable[[str], bool] | None = None,
) -> str:
    """The passage of about `words` words of `text` with the most distinct
    matching words (then the most matches; the matches centred), highlighted as
    by highlight_terms, with "…" where it cuts the text (as FTS5's snippet())."""
    text = text or ""
    spans = [(m.start(), m.end(), fold_word(m.group(0))) for m in _TOKEN.finditer(text)]
    if len(spans) <= words:
        return highlight_terms(text, exact, prefixes, matches)
    is_match = _matcher(exact, prefixes, matches)
    hits = [w if is_match(text[a:b]) else None for a, b, w in spans]
    seen: dict[str, int] = {}
    count = 0
    for h in hits[:words]:
        if h:
            seen[h] = seen.get(h, 0) + 1
            count += 1
    best_key, best_starts = (len(seen), count), [0]
    for start in range(1, len(spans) - words + 1):  # slide the window by one word
        out_word, in_word = hits[start - 1], hits[start + words - 1]
        if out_word:
            count -= 1
            seen[out_word] -= 1
            if not seen[out_word]:
                del seen[out_word]
        if in_word:
            count += 1
            seen[in_word] = seen.get(in_word, 0) + 1
        key = (len(seen), count)
        if key > best_key:
            best_key, best_starts = key, [start]
        elif key == best_key:
            best_starts.append(start)
    # of the equally good windows, the one that centres the matches; the start when none matches
    best = best_starts[len(best_starts) // 2] if best_key[1] else 0
    end = best + words
    piece = text[spans[best][0] : spans[end - 1][1]]
    return (
        ("…" if best > 0 else "") + highlight_terms(piece, exact, prefixes, matches) + ("…" if end < len(spans) else "")
    )
