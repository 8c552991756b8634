"""Search as French users type: stems, plurals, elisions, compounds, synonyms,
acronyms; a ranking that puts the document with every word first and weighs
rare words more; corrections that never come from a private need. Run on
SQLite and PostgreSQL (the `sql_backend` fixture), which must agree."""

from __future__ import annotations

from dataclasses import replace

import pytest
from search_helpers import offer

from search import Document, SearchQuery, SqlBackend
from search.analysis import SynonymTable, analyze_query, stems, text_lexemes

SYNONYMS = [
    ["seniors", "aînés", "personnes âgées"],
    ["site web", "site internet"],
    ["insta", "instagram"],
    ["e-commerce", "vente en ligne"],
    ["ordi", "ordinateur"],
    ["CM", "community manager", "réseaux sociaux"],
]


def _with_synonyms(backend: SqlBackend) -> SqlBackend:
    return SqlBackend(backend.bind, synonyms=SYNONYMS)


def _titles(backend, text, **kw) -> list[str]:
    return [h.title for h in backend.search(SearchQuery(text=text, kind="offer", **kw)).hits]


def test_analysis_units():
    assert stems("formations") == stems("formation")
    assert "~ordi" in text_lexemes("Des ordis pour tous")  # a plural the stemmer leaves whole
    assert "~lieu" in text_lexemes("tiers-lieux") and "tierslieux" in text_lexemes("tiers-lieux")
    assert "association" in text_lexemes("l'association") and "l" not in text_lexemes("l'association")
    assert "ecommerce" in text_lexemes("Le e-commerce local")
    caf = analyze_query("CAF")[0]
    assert caf.alternatives == [[caf.alternatives[0][0]]] and not caf.alternatives[0][0].prefix
    assert not caf.alternatives[0][0].stems  # an acronym is its whole word only
    assert analyze_query("caf")[0].alternatives[0][0].prefix  # typed in lower case: a word like any other
    table = SynonymTable(SYNONYMS)
    (term,) = analyze_query("vente en ligne", table)  # a phrase of the table is one term
    assert term.synonyms == ["ecommerce"]
    assert [t.text for t in analyze_query("formation tablette seniors", table)] == ["formation", "tablette", "seniors"]


def test_plurals_stems_elisions_and_compounds(sql_backend):
    sql_backend.index(
        "offer",
        [
            offer(1, "Formation WordPress pour les associations"),
            offer(2, "Créer un tiers-lieu dans son village"),
            offer(3, "Prêt d'ordinateurs reconditionnés", body="Des ordis pour les familles"),
            offer(4, "Aide à la déclaration de revenus en ligne"),
            offer(5, "Boutique e-commerce pour artisans"),
        ],
    )
    assert _titles(sql_backend, "formations") == ["Formation WordPress pour les associations"]
    assert _titles(sql_backend, "l'association") == ["Formation WordPress pour les associations"]
    assert _titles(sql_backend, "tiers-lieux") == ["Créer un tiers-lieu dans son village"]
    assert _titles(sql_backend, "tiers lieux") == ["Créer un tiers-lieu dans son village"]
    assert _titles(sql_backend, "ordi") == ["Prêt d'ordinateurs reconditionnés"]
    assert _titles(sql_backend, "declarations") == ["Aide à la déclaration de revenus en ligne"]
    assert _titles(sql_backend, "ecommerce") == ["Boutique e-commerce pour artisans"]
    assert _titles(sql_backend, "e-commerce")[0] == "Boutique e-commerce pour artisans"


def test_synonyms_abbreviations_and_english(sql_backend):
    sql_backend.index(
        "offer",
        [
            offer(1, "Tablette pour les aînés", body="Prendre en main sa tablette"),
            offer(2, "Créer le site internet de sa commune"),
            offer(3, "Instagram pour les commerçants"),
            offer(4, "Installation de Linux"),
            offer(5, "Ouvrir sa boutique de vente en ligne"),
            offer(6, "Animer les réseaux sociaux de son association"),
        ],
    )
    backend = _with_synonyms(sql_backend)
    assert _titles(backend, "seniors") == ["Tablette pour les aînés"]
    assert _titles(backend, "personnes agees") == ["Tablette pour les aînés"]
    assert _titles(backend, "site web") == ["Créer le site internet de sa commune"]
    assert _titles(backend, "insta")[0] == "Instagram pour les commerçants"  # before "Installation"
    assert _titles(backend, "ecommerce") == ["Ouvrir sa boutique de vente en ligne"]
    assert _titles(backend, "community manager") == ["Animer les réseaux sociaux de son association"]
    assert _titles(backend, "CM") == ["Animer les réseaux sociaux de son association"]
    assert _titles(sql_backend, "seniors") == []  # without the table, no magic


def test_acronyms_match_whole_words_and_exact_words_rank_first(sql_backend):
    sql_backend.index(
        "offer",
        [
            offer(1, "Café numérique du samedi"),
            offer(2, "Vos démarches CAF en ligne"),
            offer(3, "Cafés-rencontres des aidants"),
        ],
    )
    assert _titles(sql_backend, "CAF") == ["Vos démarches CAF en ligne"]
    assert _titles(sql_backend, "caf")[0] == "Vos démarches CAF en ligne"  # the word itself before café, cafés


def test_every_word_first_and_rare_words_weigh_more(sql_backend):
    """At the hub's size few documents hold every word: the page widens to some
    of the words, and the one with every word must still come first; among the
    others, the one with the rare word before those with the common one."""
    common = [
        offer(i, f"Formation bureautique niveau {i}", body="Formation aux logiciels de bureau") for i in range(1, 16)
    ]
    sql_backend.index(
        "offer",
        [
            *common,
            offer(20, "Atelier tablette", body="Prendre en main une tablette, pas à pas"),
            offer(21, "Formation tablette pour les seniors"),
            offer(22, "Aide aux seniors isolés", body="Des visites et un peu de formation"),
        ],
    )
    titles = _titles(sql_backend, "formation tablette seniors", widen_below=20)
    assert titles[0] == "Formation tablette pour les seniors"
    # two of the three words (tablette + seniors is rarer than formation + seniors) before one of them
    assert titles.index("Atelier tablette") < min(titles.index(t.title) for t in common)
    result = sql_backend.search(SearchQuery(text="vente en ligne tablette", kind="offer", widen_below=20))
    assert result.widened and result.hits[0].title in {"Atelier tablette", "Formation tablette pour les seniors"}


def test_title_before_body_and_word_before_prefix(sql_backend):
    sql_backend.index(
        "offer",
        [
            offer(1, "Découvrir le numérique", body="Un atelier sur la messagerie"),
            offer(2, "Messagerie et agenda partagés"),
            offer(3, "Messageries instantanées"),
        ],
    )
    titles = _titles(sql_backend, "messagerie")
    assert titles[0] == "Messagerie et agenda partagés" and titles[-1] == "Découvrir le numérique"


def test_pages_keep_their_order_when_the_statistics_move(sql_backend):
    """Page 2 is ranked with page 1's weights, carried in the cursor: documents
    added in between change the IDF, not the pages already started."""
    sql_backend.index("offer", [offer(i, f"Atelier tablette {i}", body="tablette" if i % 2 else "") for i in range(30)])
    q = SearchQuery(text="atelier tablette", kind="offer", limit=10)
    first = sql_backend.search(q)
    sql_backend.index("offer", [offer(100 + i, f"Tablette {i}") for i in range(50)])  # "tablette" now common
    second = sql_backend.search(replace(q, cursor=first.next_cursor))
    seen = [h.id for h in first.hits] + [h.id for h in second.hits]
    assert len(seen) == len(set(seen)) == 20
    assert all(int(i) < 100 for i in seen)  # new documents do not slip into a started listing


def test_corrections_come_from_public_live_documents_only(sql_backend):
    sql_backend.index("offer", [offer(1, "Atelier WordPress"), offer(2, "Amicale des joueurs de pétanque")])
    sql_backend.index("need", [Document(id=1, kind="need", title="Faïencerie Martin", body="vélo électrique")])
    public = SearchQuery(text="faiencrie", kind="offer")
    result = sql_backend.search(public)
    assert result.total == 0 and result.corrections == {} and result.ignored_terms == ["faiencrie"]
    assert sql_backend.search(SearchQuery(text="faiencerie")).total == 0  # all public kinds: nothing
    staff = sql_backend.search(SearchQuery(text="faiencrie", kind="need", include_private=True))
    assert staff.corrections == {"faiencrie": ["faiencerie"]} and staff.total == 1
    assert sql_backend.search(SearchQuery(text="amicalle", kind="offer")).corrections == {"amicalle": ["amicale"]}
    sql_backend.delete("offer", [2])  # the only document with the word leaves: so does the correction
    gone = sql_backend.search(SearchQuery(text="amicalle", kind="offer"))
    assert gone.corrections == {} and gone.total == 0


@pytest.mark.parametrize("word", ["cours", "formations", "associations"])
def test_a_known_word_is_never_corrected(sql_backend, word):
    sql_backend.index("offer", [offer(1, "Cours de formation pour les associations"), offer(2, "Un court métrage")])
    result = sql_backend.search(SearchQuery(text=word, kind="offer"))
    assert result.corrections == {} and result.hits[0].id == "1"


def test_two_swapped_letters_of_a_short_word_are_corrected(sql_backend):
    sql_backend.index("offer", [offer(1, "Conférence RGPD en mairie"), offer(2, "Repas de quartier")])
    result = sql_backend.search(SearchQuery(text="rgdp", kind="offer"))
    assert result.corrections == {"rgdp": ["rgpd"]} and [h.id for h in result.hits] == ["1"]
    assert sql_backend.search(SearchQuery(text="rpas", kind="offer")).corrections == {}  # not a swap: no guess


def test_plurals_and_typos_reach_the_synonym_table(sql_backend):
    sql_backend.index(
        "offer",
        [offer(1, "Prêt d'ordinateurs reconditionnés"), offer(2, "Créer votre lettre d'information mensuelle")],
    )
    backend = SqlBackend(sql_backend.bind, synonyms=[["ordi", "ordinateur"], ["newsletter", "lettre d'information"]])
    assert _titles(backend, "ordis") == ["Prêt d'ordinateurs reconditionnés"]
    result = backend.search(SearchQuery(text="newsleter", kind="offer"))
    assert result.corrections == {"newsleter": ["newsletter"]}
    assert [h.title for h in result.hits] == ["Créer votre lettre d'information mensuelle"]


def test_highlights_mark_the_words_found_by_their_stem(sql_backend):
    body = "Des ateliers pour former les bénévoles, avec une formation certifiante à la clé."
    sql_backend.index("offer", [offer(1, "Formation des bénévoles <débutants>", body=body)])
    (hit,) = sql_backend.search(SearchQuery(text="formations benevole", kind="offer")).hits
    assert hit.highlight["title"] == "<mark>Formation</mark> des <mark>bénévoles</mark> &lt;débutants&gt;"
    assert "<mark>formation</mark>" in hit.highlight["body"] and "<mark>bénévoles</mark>" in hit.highlight["body"]
