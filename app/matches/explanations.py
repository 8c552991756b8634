"""The explanations of proposals in the reader's language.

The matching library explains each proposal with phrases: a code, its parameters and the French
text (`matching.components.Phrase`). A run stores them as JSON (`stored_phrases`: skills and
categories by their codes, so that their labels follow the reader's language too) in
`Proposal.explanation_phrases` and in each alternative's ``"phrases"``; the pages word them here,
through the catalogues, French first (`explanation_html`, `explanation_text`).

Two complementary experts are two proposals; each stores the pair's phrases (``pair.head``: what
both cover, ``pair.uncovered``: what is left, ``pair.partner``: what the other expert brings) before
its own (`matching.explain.pair_member_phrases`).

Rows stored before (revision 0014) have no phrases: their French sentence is shown as it is,
marked ``lang="fr"`` in a page of another language. A phrase whose code this module does not know
(a component added later) shows its stored French text the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from flask_babel import format_date, format_decimal, ngettext
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.core.french import SOURCE_LANGUAGE, de_word, user_text
from app.directory.skills import skill_label
from app.directory.vocab import OFFER_CATEGORIES

Phrases = list[dict[str, Any]]


def _plain(value: Any) -> Any:
    """JSON-safe: tuples as lists, numpy numbers as Python numbers."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def stored_phrases(
    phrases: Iterable[Any], skill_codes: Mapping[int, str], category_codes: Mapping[int, str]
) -> Phrases:
    """The phrases of a `matching` explanation as stored: ``[{code, params, text}]``, skill and
    category ids of the run's instance turned into their codes (``skill_codes``/``category_codes``:
    id -> code)."""
    out: Phrases = []
    for phrase in phrases:
        params = dict(phrase.params)
        if "skill_ids" in params:
            params["skill_codes"] = [skill_codes.get(int(i), "") for i in params.pop("skill_ids")]
        if "category_id" in params:
            category_id = params.pop("category_id")
            params["category_code"] = None if category_id is None else category_codes.get(int(category_id))
        out.append({"code": phrase.code, "params": _plain(params), "text": phrase.text})
    return out


# ------------------------------------------------------------------ wording


def _skill(code: str) -> str:
    """A skill's label inside a sentence: first letter lowered unless it is an acronym ("RGPD")."""
    label = skill_label(code)
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _skills(params: Mapping[str, Any]) -> str:
    codes = [c for c in params.get("skill_codes") or [] if c]
    labels = [_skill(c) for c in codes] if codes else list(params.get("skills") or [])
    return ", ".join(labels)


def _km(value: Any) -> str:
    return format_decimal(round(float(value or 0)), format="#,##0")


def _rating(value: Any) -> str:
    return format_decimal(round(float(value or 0), 1), format="0.#")


def _month(iso: str, with_year: bool = True) -> str:
    return format_date(date.fromisoformat(iso), "MMMM y" if with_year else "MMMM")


def _window(params: Mapping[str, Any]) -> str | None:
    start, until = params.get("from"), params.get("until")
    if "from" not in params and "until" not in params:
        return None  # not a phrase this module knows how to word: its French text is shown
    if not start and not until:
        return _("disponible à tout moment")
    if not start:
        return _("disponible jusqu'en %(month)s", month=_month(until))
    if not until:
        return _("disponible dès %(month)s", month=_month(start))
    a, b = date.fromisoformat(start), date.fromisoformat(until)
    if (a.year, a.month) == (b.year, b.month):
        return _("disponible en %(month)s", month=_month(start, with_year=False))
    same_year = a.year == b.year
    return _(
        "disponible %(de_start)s à %(end)s",
        de_start=de_word(_month(start, with_year=not same_year)),
        end=_month(until, with_year=not same_year),
    )


def _category(params: Mapping[str, Any]) -> str:
    code = params.get("category_code")
    label = str(OFFER_CATEGORIES[code]) if code in OFFER_CATEGORIES else params.get("category")
    if not label:
        return _("même catégorie")
    return _("même catégorie (%(category)s)", category=label[:1].lower() + label[1:])


def _pair_head(params: Mapping[str, Any]) -> str:
    skills = _skills(params)
    if skills:
        return _("deux experts complémentaires ; couvrent ensemble : %(skills)s", skills=skills)
    return _("deux experts complémentaires")


_WORDING: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "skills.covered": lambda p: _("couvre : %(skills)s", skills=_skills(p)),
    "skills.missing": lambda p: _("ne couvre pas : %(skills)s", skills=_skills(p)),
    "skills.category": _category,
    "skills.none": lambda p: _("ne couvre aucune compétence demandée (%(skills)s)", skills=_skills(p)),
    "distance.remote": lambda p: _("à distance"),
    "distance.same_commune": lambda p: _("même commune"),
    "distance.same_commune_km": lambda p: _("même commune, %(km)s km", km=_km(p.get("km"))),
    "distance.km": lambda p: _(
        "à %(km)s km (rayon %(radius)s km)", km=_km(p.get("km")), radius=_km(p.get("radius_km"))
    ),
    "semantic.close": lambda p: _("description proche de la demande"),
    "waiting.long": lambda p: _("demande en attente depuis %(days)d jours", days=int(p.get("days") or 0)),
    "load.low": lambda p: _("prestataire peu sollicité"),
    "load.high": lambda p: _(
        "prestataire déjà très sollicité (%(missions)d missions en cours)", missions=int(p.get("missions") or 0)
    ),
    "feedback.none": lambda p: _("pas encore d'avis"),
    "feedback.good": lambda p: _("bien noté (%(rating)s/5)", rating=_rating(p.get("rating"))),
    "feedback.rated": lambda p: ngettext(
        "noté %(rating)s/5 (%(num)d avis)",
        "noté %(rating)s/5 (%(num)d avis)",
        int(p.get("count") or 0),
        rating=_rating(p.get("rating")),
    ),
    "charter.signed": lambda p: _("signataire de la charte"),
    "charter.level": lambda p: _("labellisé charte niveau %(level)d", level=int(p.get("level") or 0)),
    "time.window": _window,
    "funding.volunteer": lambda p: _("bénévole"),
    "funding.voucher": lambda p: _("financement : chèque numérique"),
    "funding.paid": lambda p: _("prestation payante"),
    "pair.head": _pair_head,
    "pair.uncovered": lambda p: _("reste non couvert : %(skills)s", skills=_skills(p)),
    "pair.partner": lambda p: _("l'autre expert couvre : %(skills)s", skills=_skills(p)),
}


def _worded(phrase: Mapping[str, Any]) -> tuple[str, bool]:
    """``(text, translated)``: the phrase in the reader's language, or its stored French text
    (``translated`` False) when its code is unknown here."""
    maker = _WORDING.get(str(phrase.get("code")))
    text = maker(phrase.get("params") or {}) if maker else None
    if text is None:
        return str(phrase.get("text") or ""), False
    return text, True


def _pieces(phrases: Phrases) -> list[tuple[str, str, bool]]:
    """``(separator before, text, translated)`` of each phrase: " ; " between phrases (the
    catalogue's separator), "— n) " before each expert of a pair."""
    out: list[tuple[str, str, bool]] = []
    previous_marker = False
    for phrase in phrases:
        if phrase.get("code") == "pair.expert":
            n = int((phrase.get("params") or {}).get("n") or 0)
            out.append((" — " if out else "", f"{n})", True))
            previous_marker = True
            continue
        text, translated = _worded(phrase)
        separator = "" if not out else (" " if previous_marker else _(" ; "))
        out.append((separator, text, translated))
        previous_marker = False
    return out


def explanation_text(phrases: Phrases | None, legacy: str = "") -> str:
    """The explanation as plain text in the reader's language (a mail); ``legacy``: the stored
    French sentence, for a row without phrases."""
    if not phrases:
        return legacy or ""
    return "".join(sep + text for sep, text, _translated in _pieces(phrases))


def explanation_html(phrases: Phrases | None, legacy: str = "") -> Markup:
    """The explanation for a page: worded in the reader's language; French text (an older row, an
    unknown phrase) marked ``lang="fr"`` in a page of another language."""
    if not phrases:
        return user_text(legacy)
    return Markup("").join(
        escape(sep) + (escape(text) if translated else user_text(text, lang=SOURCE_LANGUAGE))
        for sep, text, translated in _pieces(phrases)
    )


def explain(item: Any, part: str = "") -> Markup:
    """Template helper: the explanation of a `Proposal` or of one of its alternatives (a dict).

    One expert of two complementary experts: ``part="pair"`` words only what is said of the pair
    (what both cover, what is left), ``part="own"`` only what is said of this expert (not of the other)."""
    if isinstance(item, Mapping):
        return explanation_html(item.get("phrases"), item.get("explanation") or "")
    phrases = item.explanation_phrases
    if part and phrases:
        pair_codes = ("pair.head", "pair.uncovered")
        if part == "pair":
            phrases = [ph for ph in phrases if ph.get("code") in pair_codes]
        else:
            phrases = [ph for ph in phrases if not str(ph.get("code", "")).startswith("pair.")]
        if not phrases:
            return Markup("")
    elif part == "pair":  # an older row: its sentence is shown as the expert's own
        return Markup("")
    return explanation_html(phrases, item.explanation or "")
