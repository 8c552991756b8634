"""The search's synonym table (issue 14): its rules (French refusals naming the group and the line), the
seed shipped with the app, the staff page (add, edit, delete, YAML down and up, a refused table changes
nothing), who may use it, and the engine's copy refreshed after an edit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from app.searching import synonyms as table
from app.searching.models import SynonymGroup, SynonymState
from tests.conftest import csrf_token_for, login, page_text, post_form

PAGE = "/moderation/recherche/synonymes"
MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0020_search_synonyms.py"


def errors_of(text: str) -> list[str]:
    with pytest.raises(table.SynonymTableError) as caught:
        table.parse_yaml(text)
    return caught.value.errors


# ---------------------------------------------------------------- rules


def test_a_good_table_is_read_normalised():
    groups = table.parse_yaml(
        "# comment\n- [Site Web,  site internet]\n- [asso, association]\n- [lettre d’information, newsletter]\n"
        "- [seniors, aînés, personnes âgées, Aînés]\n- [yes, on]\n"
    )
    assert groups == (
        ("site web", "site internet"),
        ("asso", "association"),
        ("lettre d'information", "newsletter"),
        ("seniors", "aînés", "personnes âgées"),  # "Aînés" is "aînés" again: dropped
        ("yes", "on"),  # read as text, never as booleans
    )


def test_bad_tables_are_refused_with_french_messages_naming_group_and_line():
    errors = errors_of(
        "- [site web, site internet]\n"
        "- [asso]\n"
        "- [une expression bien trop longue ici, x]\n"
        "- [site@web, site internet]\n"
        "- asso, association\n"
        "- [ordi, ordinateur]\n"
        "- [Ordinateur, ORDI]\n"
        f"- [{'a' * 61}, b]\n"
    )
    assert errors == [
        "Groupe 2 (ligne 2) : un groupe réunit au moins deux expressions différentes.",
        "Groupe 3 (ligne 3) : « une expression bien trop longue ici » a plus de 4 mots.",
        (
            "Groupe 4 (ligne 4) : « site@web » : seuls les lettres, les chiffres, les traits d'union et les "
            "apostrophes sont permis."
        ),
        "Groupe 5 (ligne 5) : un groupe s'écrit entre crochets, « - [asso, association] ».",
        "Groupe 7 (ligne 7) : même groupe que Groupe 6 (ligne 6).",
        f"Groupe 8 (ligne 8) : « {'a' * 61} » dépasse 60 caractères.",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Le fichier est vide."),
        ("- [a, b\n- [c, d]\n", "Le YAML est illisible à la ligne"),
        ("site web: site internet\n", "Le YAML doit être une liste de groupes"),
        ("- [[a, b], c]\n", "chaque expression est un simple texte"),
        ("".join(f"- [mot{n}, autre{n}]\n" for n in range(501)), "La table a 501 groupes : 500 au plus."),
        ("- [" + ", ".join(f"m{n}" for n in range(21)) + "]\n", "un groupe a au plus 20 expressions"),
    ],
)
def test_unreadable_or_oversized_yaml_is_refused(text, message):
    assert any(message in e for e in errors_of(text))


def test_tables_from_rows_and_the_form_text():
    assert table.table_from_rows([["ordi", "ordinateur"], ("pc", "ordinateur")]) == (
        ("ordi", "ordinateur"),
        ("pc", "ordinateur"),  # a phrase may be in several groups
    )
    with pytest.raises(table.SynonymTableError) as caught:
        table.table_from_rows([["ordi", "ordinateur"], ["visio"]])
    assert caught.value.errors == ["Groupe 2 : un groupe réunit au moins deux expressions différentes."]
    assert table.split_phrases("site web\nsite internet, site\n\n") == ["site web", "site internet", " site"]


def test_the_shipped_table_is_valid_round_trips_and_the_migration_seeds_it():
    groups = table.seed_groups()
    assert 60 <= len(groups) <= 120
    flat = {p for g in groups for p in g}
    for phrase in ("site internet", "association", "aînés", "lettre d'information", "courriel", "community manager"):
        assert phrase in flat
    assert table.parse_yaml(table.to_yaml(groups)) == groups
    assert table.parse_yaml(table.to_yaml([("-abc", "'x")])) == (("-abc", "'x"),)  # quoted when needed


def migration_seed():
    """Migration 0020's frozen copy of the table, read without running the migration."""
    source = MIGRATION.read_text(encoding="utf-8")
    namespace: dict = {}
    exec(compile(source.split("def upgrade")[0], str(MIGRATION), "exec"), namespace)
    return source, tuple(tuple(g.split(" | ")) for g in namespace["SEED"])


def test_the_migration_carries_its_own_valid_copy():
    source, seed = migration_seed()
    assert "from app" not in source and "import app" not in source and ".yaml" not in source.split('"""')[2]
    assert table.table_from_rows(seed) == seed  # valid and already normalised
    assert len(seed) >= 60


# ---------------------------------------------------------------- the stored table and the engine's copy


def test_the_migrated_database_holds_the_seed(db_session):
    assert table.current_synonyms() == migration_seed()[1]
    assert table.table_state() is not None


def test_current_synonyms_follow_an_edit_with_one_query(db_session, factory, count_queries):
    staff = factory.staff()
    before = table.current_synonyms()
    with count_queries() as queries:
        assert table.current_synonyms() == before
    assert queries["n"] == 1  # the stamp only
    table.add_group(staff, ["tiers-lieu", "lieu hybride"])
    db_session.flush()
    after = table.current_synonyms()
    assert after[-1] == ("tiers-lieu", "lieu hybride") and len(after) == len(before) + 1
    row = db_session.scalar(select(SynonymGroup).where(SynonymGroup.phrases == "tiers-lieu\nlieu hybride"))
    table.delete_group(staff, row)
    db_session.flush()
    assert table.current_synonyms() == before


def test_an_edit_by_another_process_is_seen_through_the_stamp(db_session):
    from sqlalchemy import text

    before = table.current_synonyms()
    first_id = db_session.scalar(select(SynonymGroup.id).order_by(SynonymGroup.id).limit(1))
    db_session.execute(text("UPDATE synonym_group SET phrases = 'ordi\nbécane' WHERE id = :id"), {"id": first_id})
    assert table.current_synonyms() == before  # the stamp did not change: this process keeps its copy
    db_session.execute(text("UPDATE synonym_state SET stamp = 'autre-processus' WHERE id = 1"))
    assert table.current_synonyms()[0] == ("ordi", "bécane")  # a new stamp: read again


def test_the_backend_gets_the_table(db_session, app):
    from app.searching.services import get_backend

    with app.test_request_context():
        backend = get_backend()
    assert backend.synonyms == table.current_synonyms()
    assert ("asso", "association", "association loi 1901", "loi 1901") in backend.synonyms


def test_a_change_enqueues_the_meilisearch_push(db_session, factory):
    from app.core.jobs import PENDING

    table.add_group(factory.staff(), ["visio", "réunion à distance"])
    assert any(func is table.push_synonyms for func, *_ in db_session.info.get(PENDING, []))
    assert table.push_synonyms() is False  # no MEILI_URL here: nothing to push


# ---------------------------------------------------------------- the staff page


@pytest.fixture
def staff_client(client, factory):
    staff = factory.staff()
    login(client, staff)
    return client, staff


def test_the_page_lists_the_table_with_its_count_and_last_edit(staff_client, db_session):
    client, _staff = staff_client
    text = page_text(client.get(PAGE))
    assert "Synonymes de la recherche" in text and f"{len(table.seed_groups())} groupes" in text
    assert "site web · site internet" in text and "dernière modification : " in text
    filtered = page_text(client.get(PAGE + "?q=Aines"))
    assert "seniors · aînés" in filtered and "site web · site internet" not in filtered
    assert 'href="/moderation/recherche/synonymes"' in client.get("/").get_data(as_text=True)  # the staff menu


def test_add_edit_delete_a_group(staff_client, db_session):
    client, staff = staff_client
    response = post_form(client, PAGE, {"phrases": "Lieu Hybride\ntiers-lieu, tiers lieu hybride"})
    assert response.status_code == 302
    row = db_session.scalar(select(SynonymGroup).where(SynonymGroup.phrases.like("lieu hybride%")))
    assert row.phrase_list == ["lieu hybride", "tiers-lieu", "tiers lieu hybride"]
    assert ("lieu hybride", "tiers-lieu", "tiers lieu hybride") in table.current_synonyms()
    state = table.table_state()
    assert state.updated_by_id == staff.id
    text = page_text(client.get(PAGE))
    assert "Groupe ajouté." in text and "par Équipe Hub" in text

    group_id = row.id
    edit = f"{PAGE}/{group_id}/modifier"
    assert "lieu hybride\ntiers-lieu" in page_text(client.get(edit))
    assert post_form(client, edit, {"phrases": "lieu hybride, tiers-lieu"}).status_code == 302
    db_session.expire_all()
    assert db_session.get(SynonymGroup, group_id).phrase_list == ["lieu hybride", "tiers-lieu"]

    # refused: one phrase, an existing group, a bad character; the group is unchanged
    for phrases, message in (
        ("lieu hybride", "Un groupe réunit au moins deux expressions différentes."),
        ("asso\nassociation\nassociation loi 1901\nloi 1901", "Ce groupe existe déjà."),
        ("lieu hybride, tiers#lieu", "« tiers#lieu » : seuls les lettres"),
    ):
        response = post_form(client, edit, {"phrases": phrases})
        assert response.status_code == 422 and message in page_text(response)
    db_session.expire_all()
    assert db_session.get(SynonymGroup, group_id).phrase_list == ["lieu hybride", "tiers-lieu"]
    response = post_form(client, PAGE, {"phrases": "visio"})
    assert response.status_code == 422 and "Un groupe réunit au moins deux" in page_text(response)

    response = post_form(client, f"{PAGE}/{group_id}/supprimer", follow_redirects=True)
    assert "Groupe supprimé : lieu hybride, tiers-lieu." in page_text(response)
    db_session.expire_all()
    assert db_session.get(SynonymGroup, group_id) is None
    assert client.post(f"{PAGE}/{group_id + 1}/supprimer").status_code == 400  # no CSRF token


def test_yaml_round_trip_and_a_refused_table_changes_nothing(staff_client, db_session):
    client, _staff = staff_client
    download = client.get(PAGE + ".yaml")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    yaml_text = download.get_data(as_text=True)
    assert (
        yaml_text.startswith("# Synonymes et abréviations") and table.parse_yaml(yaml_text) == table.current_synonyms()
    )

    before = table.current_synonyms()
    bad = "- [ordi, ordinateur]\n- [visio]\n"
    response = post_form(client, PAGE + "/remplacer", {"text": bad})
    text = page_text(response)
    assert response.status_code == 422
    assert "Groupe 2 (ligne 2) : un groupe réunit au moins deux expressions différentes." in text
    assert "- [visio]" in text  # the pasted text comes back, to be corrected
    assert table.current_synonyms() == before

    upload = {"file": (io.BytesIO(b"\xff\xfe- [a"), "table.yaml"), "csrf_token": csrf_token_for(client)}
    response = client.post(PAGE + "/remplacer", data=upload, content_type="multipart/form-data")
    assert response.status_code == 422 and "n'est pas un texte en UTF-8" in page_text(response)
    assert table.current_synonyms() == before

    good = "- [ordi, ordinateur]\n- [visio, visioconférence]\n"
    upload = {"file": (io.BytesIO(good.encode()), "table.yaml"), "csrf_token": csrf_token_for(client)}
    response = client.post(PAGE + "/remplacer", data=upload, content_type="multipart/form-data")
    assert response.status_code == 302
    assert table.current_synonyms() == (("ordi", "ordinateur"), ("visio", "visioconférence"))
    assert table.parse_yaml(client.get(PAGE + ".yaml").get_data(as_text=True)) == table.current_synonyms()

    # the downloaded table, sent back as it is, gives the same table again
    assert post_form(client, PAGE + "/remplacer", {"text": yaml_text}).status_code == 302
    assert table.current_synonyms() == before


# ---------------------------------------------------------------- who may use it

ROUTES = [
    ("GET", PAGE),
    ("POST", PAGE),
    ("GET", PAGE + ".yaml"),
    ("POST", PAGE + "/remplacer"),
    ("GET", PAGE + "/{id}/modifier"),
    ("POST", PAGE + "/{id}/modifier"),
    ("POST", PAGE + "/{id}/supprimer"),
]


def test_only_staff_may_see_or_change_the_table(client, factory, db_session):
    group_id = db_session.scalar(select(SynonymGroup.id).limit(1))
    stamp = table.table_state().stamp
    for method, url in ROUTES:
        response = client.open(url.format(id=group_id), method=method)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"], (method, url)
    org_user = factory.user()
    factory.organisation(owner=org_user)
    provider_user = factory.user(intent="provider")
    factory.provider(owner=provider_user)
    for user in (org_user, provider_user):
        login(client, user)
        token = csrf_token_for(client)
        for method, url in ROUTES:
            data = {"csrf_token": token, "phrases": "a, b", "text": "- [a, b]\n"} if method == "POST" else None
            response = client.open(url.format(id=group_id), method=method, data=data)
            assert response.status_code == 403, (method, url, user.email)
    db_session.expire_all()
    assert db_session.get(SynonymState, table.STATE_ID).stamp == stamp  # nothing changed


def test_the_page_and_its_refusals_in_english(staff_client):
    client, _staff = staff_client
    post_form(client, "/langue", {"lang": "en"})
    text = page_text(client.get(PAGE))
    assert "Search synonyms" in text and "Replace the whole table" in text and " groups (500 at most)" in text
    response = post_form(client, PAGE + "/remplacer", {"text": "- [ordi, ordinateur]\n- [visio]\n"})
    assert "Group 2 (line 2): a group holds at least two different phrases." in page_text(response)


def test_the_commands_load_a_table_and_push_it(app, db_session, tmp_path):
    runner = app.test_cli_runner()
    bad = tmp_path / "bad.yaml"
    bad.write_text("- [ordi, ordinateur]\n- [visio]\n", encoding="utf-8")
    before = table.current_synonyms()
    result = runner.invoke(args=["hub", "synonyms", "load", "--file", str(bad)])
    assert result.exit_code != 0 and "Groupe 2 (ligne 2)" in result.output
    assert table.current_synonyms() == before
    good = tmp_path / "good.yaml"
    good.write_text("- [ordi, ordinateur]\n", encoding="utf-8")
    result = runner.invoke(args=["hub", "synonyms", "load", "--file", str(good)])
    assert result.exit_code == 0, result.output
    assert table.current_synonyms() == (("ordi", "ordinateur"),)
    result = runner.invoke(args=["hub", "synonyms", "load"])  # the table shipped with the app
    assert result.exit_code == 0 and table.current_synonyms() == table.seed_groups()
    result = runner.invoke(args=["hub", "synonyms", "push"])
    assert result.exit_code != 0 and "no MEILI_URL" in result.output
