"""French wording and the reader's language in pages: one place for each small rule.

- `de_commune` puts the French preposition "de" before a commune's name, elided before a vowel or
  a mute h ("d'Aix-en-Provence", "d'Hyères") and contracted with the name's own article ("du
  Pradet", "des Mées", "de La Ciotat"); `of_commune` (the template filter ``de``) does it only
  when the page is in French, a translation saying its own preposition:
  ``_("autour %(de_commune)s", de_commune=commune.name|de)`` -> "autour d'Aix" / "around Aix".
- `human_datetime` shows a moment as people read it, in the reader's language and time zone, to
  the minute ("29 novembre 2026 à 14 h 05", "aujourd'hui à 9 h 30"): the ``datetime_fr`` filter.
- `user_text` marks what users wrote (in French: titles, descriptions, names, comments) with
  ``lang="fr"`` when the page is in another language, so that screen readers read it in French:
  ``{{ offer.title|user_text }}``, ``{{ text|markdown|user_text("div") }}`` for block content.
  Never inside an attribute, a <title> or an <option> (text only there).

`register_language_helpers` makes them filters and globals of every template.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Flask
from flask_babel import format_date, format_datetime, get_locale, to_user_timezone
from flask_babel import gettext as _
from markupsafe import Markup, escape

SOURCE_LANGUAGE = "fr"

_VOWELS = set("aeiouyàâäéèêëîïôöùûüÿœæ")
# Names starting with an aspirated h take no elision ("de Haguenau", "de Hautefort"); other h are
# mute ("d'Hyères", "d'Hénin-Beaumont"). The common aspirated beginnings of French place names:
_ASPIRATED_H = ("hag", "hal", "ham", "han", "har", "has", "hau", "hav", "hay", "haz", "hon", "hou", "hur")
_ARTICLES = (("le ", "du "), ("les ", "des "))


def starts_with_vowel_sound(word: str) -> bool:
    """True when French elides before ``word``: a vowel (or y), or a mute h."""
    low = word.strip().lower()
    if not low:
        return False
    if low[0] in _VOWELS:
        return True
    return low[0] == "h" and not low.startswith(_ASPIRATED_H)


def de_commune(name: str) -> str:
    """The French "de" + a commune's name, elided or contracted with its article.

    >>> [de_commune(n) for n in ("Marseille", "Aix-en-Provence", "Hyères", "Le Pradet", "Les Mées", "La Ciotat")]
    ['de Marseille', "d'Aix-en-Provence", "d'Hyères", 'du Pradet', 'des Mées', 'de La Ciotat']
    """
    name = (name or "").strip()
    low = name.lower()
    for article, contracted in _ARTICLES:
        if low.startswith(article):
            return contracted + name[len(article) :]
    if low.startswith(("la ", "l'", "l’")):
        return "de " + name
    return ("d'" if starts_with_vowel_sound(name) else "de ") + name


def de_word(word: str) -> str:
    """French "de" before a common word ("de mars", "d'avril") when the page is in French; the bare
    word in another language (its translation says its own preposition)."""
    if page_language() != SOURCE_LANGUAGE:
        return word
    return ("d'" if starts_with_vowel_sound(word) else "de ") + word


def page_language() -> str:
    """The language of the page being rendered ("fr" outside a request)."""
    return str(get_locale() or SOURCE_LANGUAGE).split("_")[0]


def of_commune(name: str) -> str:
    """`de_commune` when the page is in French; the bare name in another language, whose
    translation of the sentence says its own preposition."""
    return de_commune(name) if page_language() == SOURCE_LANGUAGE else (name or "").strip()


# ------------------------------------------------------------------ dates

_DATE = {"fr": "d MMMM y", "en": "d MMMM y"}
_TIME = {"fr": "H 'h' mm", "en": "HH:mm"}


def human_datetime(value: date | None, now: datetime | None = None, *, relative: bool = True) -> str:
    """A moment to the minute in the reader's language and time zone: "29 novembre 2026 à 14 h 05";
    "aujourd'hui à 14 h 05" or "hier à 9 h 30" when it is that close (unless ``relative`` is
    False: a document that is kept, a certificate). Empty for None."""
    if value is None:
        return ""
    if not isinstance(value, datetime):  # a plain date: no time to show
        return format_date(value, "long")
    lang = page_language()
    time_text = format_datetime(value, _TIME.get(lang, "HH:mm"))
    day = to_user_timezone(value).date()
    today = to_user_timezone(now or datetime.now().astimezone()).date()
    if relative and day == today:
        return _("aujourd'hui à %(time)s", time=time_text)
    if relative and day == today - timedelta(days=1):
        return _("hier à %(time)s", time=time_text)
    return _("%(date)s à %(time)s", date=format_datetime(value, _DATE.get(lang, "d MMMM y")), time=time_text)


# ------------------------------------------------------------------ users' French text


def user_text(value: object, tag: str = "span", lang: str = SOURCE_LANGUAGE) -> Markup:
    """What a user wrote (``lang``: its language, French unless the model records another),
    escaped; wrapped in ``<span lang="fr" data-user-content>`` when the page is in another
    language. ``tag="div"`` for block content (a description of several paragraphs, Markdown);
    Markup (already safe HTML) is kept as it is."""
    if value is None or value == "":
        return Markup("")
    inner = escape(value)
    if page_language() == lang.split("_")[0]:
        return inner
    return Markup('<{tag} lang="{lang}" data-user-content>{inner}</{tag}>').format(tag=tag, lang=lang, inner=inner)


def register_language_helpers(app: Flask) -> None:
    """The filters and globals of this module, for every template (macros see globals too)."""
    # "de" before a name, French pages only: ``_("autour %(de_commune)s", de_commune=name|de)``
    app.jinja_env.filters.update(user_text=user_text, de=of_commune, datetime_fr=human_datetime)
    app.jinja_env.globals.update(user_text=user_text, of_commune=of_commune)
