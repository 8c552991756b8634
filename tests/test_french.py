"""French wording helpers (app/core/french.py): "de" before a commune's name, dates to the
minute in the reader's language, users' French text marked lang="fr" in other languages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.core.french import de_commune, human_datetime, of_commune, user_text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Marseille", "de Marseille"),
        ("Aix-en-Provence", "d'Aix-en-Provence"),
        ("Hyères", "d'Hyères"),  # mute h
        ("Le Pradet", "du Pradet"),
        ("Les Mées", "des Mées"),
        ("La Ciotat", "de La Ciotat"),
        ("L'Isle-sur-la-Sorgue", "de L'Isle-sur-la-Sorgue"),
        ("Évenos", "d'Évenos"),
        ("Orange", "d'Orange"),
        ("Yzeure", "d'Yzeure"),
        ("Hautefort", "de Hautefort"),  # aspirated h
        ("Nice", "de Nice"),
    ],
)
def test_de_commune_elides_and_contracts(name, expected):
    assert de_commune(name) == expected


def _at(app, lang):
    return app.test_request_context(headers={"Accept-Language": lang})


def test_of_commune_only_in_french(app):
    with _at(app, "fr"):
        assert of_commune("Aix-en-Provence") == "d'Aix-en-Provence"
    with _at(app, "en"):
        assert of_commune("Le Pradet") == "Le Pradet"


def test_dates_to_the_minute_in_the_readers_language(app):
    moment = datetime(2026, 11, 29, 13, 5, 42, tzinfo=UTC)  # 14:05 in Paris
    later = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    with _at(app, "fr"):
        assert human_datetime(moment, now=later) == "29 novembre 2026 à 14 h 05"
        assert human_datetime(moment, now=datetime(2026, 11, 29, 20, 0, tzinfo=UTC)) == "aujourd'hui à 14 h 05"
        assert human_datetime(moment, now=datetime(2026, 11, 30, 8, 0, tzinfo=UTC)) == "hier à 14 h 05"
        assert human_datetime(moment, now=moment, relative=False) == "29 novembre 2026 à 14 h 05"
        assert human_datetime(date(2026, 3, 2)) == "2 mars 2026"
        assert human_datetime(None) == ""
    with _at(app, "en"):
        assert human_datetime(moment, now=later) == "29 November 2026 at 14:05"
        assert human_datetime(moment, now=moment) == "today at 14:05"


def test_user_text_is_marked_french_in_other_languages(app):
    with _at(app, "fr"):
        assert str(user_text("Atelier <site>")) == "Atelier &lt;site&gt;"
    with _at(app, "en"):
        assert str(user_text("Atelier <site>")) == '<span lang="fr" data-user-content>Atelier &lt;site&gt;</span>'
        assert str(user_text("Deux\n\nparagraphes", "div")).startswith('<div lang="fr" data-user-content>')
        assert str(user_text(None)) == "" and str(user_text("")) == ""


def test_the_datetime_filter_has_no_seconds(app):
    with _at(app, "fr"):
        rendered = app.jinja_env.from_string("{{ d|datetime_fr }}").render(d=datetime(2026, 5, 4, 8, 7, 6, tzinfo=UTC))
    assert rendered == "4 mai 2026 à 10 h 07"
