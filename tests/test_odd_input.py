"""Odd input never answers 500 (issue 10): ids beyond the INTEGER columns' range
(path, query string, form, JSON), NUL and other control characters anywhere text
goes, database refusals and unique-constraint races."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.accounts.services import create_api_token
from app.core.inputs import MAX_ID, parse_id
from tests.conftest import login, page_text, post_form
from tests.test_bad_input import FORMS, _counts, world  # noqa: F401  (the fixture)

BEYOND = [2**31, 2**63, 10**30]
AT_LIMITS = [0, MAX_ID]
INT_ARG = re.compile(r"<int(?:\([^)]*\))?:(\w+)>")
OTHER_ARG = re.compile(r"<(?:\w+:)?(\w+)>")


def _int_routes(app):
    for rule in app.url_map.iter_rules():
        if INT_ARG.search(rule.rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule.rule


def _url(rule: str, number: int, ids: dict) -> str:
    url = INT_ARG.sub(str(number), rule)
    return OTHER_ARG.sub(lambda m: str(ids["lib_paid"] if m.group(1) == "ident" else "offre"), url)


def _send(client, method, url, **kwargs):
    if method == "POST":
        return post_form(client, url, kwargs.pop("data", {}), **kwargs)
    return client.open(url, method=method, **kwargs)


def test_parse_id_takes_only_ids_of_the_columns_range():
    assert parse_id("42") == 42 and parse_id(7) == 7 and parse_id(MAX_ID) == MAX_ID
    for bad in ("0", "-1", 0, -1, MAX_ID + 1, "2147483648", "99999999999", "1e3", "٣", " 1", True, None, 1.0, [1]):
        assert parse_id(bad) is None, bad


@pytest.mark.one_pass("sqlite")  # on PostgreSQL, tests/attack sends the same ids over HTTP to every int route
def test_every_int_route_answers_404_beyond_the_id_range(app, client, world):
    """Every <int:...> in every route: 2^31, 2^63, 10^30 match nothing (404), as staff
    (who passes every access level); 0 and 2^31-1 are ordinary unknown ids."""
    login(client, world["staff"])
    routes = list(_int_routes(app))
    assert len(routes) > 40
    for method, rule in routes:
        for number in BEYOND:
            r = _send(client, method, _url(rule, number, world["ids"]))
            assert r.status_code == 404, f"{method} {rule} {number}: {r.status_code}"
        for number in AT_LIMITS:
            r = _send(client, method, _url(rule, number, world["ids"]))
            assert r.status_code < 500, f"{method} {rule} {number}: {r.status_code}"
    api = client.get(f"/api/v1/offers/{2**31}")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"


def test_html_offer_and_api_offer_beyond_range(client):
    assert client.get("/offres/2147483648").status_code == 404
    assert client.get("/offres/2147483647").status_code == 404
    assert client.get("/api/v1/offers/2147483648").status_code == 404
    assert client.get("/api/v1/providers/99999999999").status_code == 404


def test_ids_in_query_strings_forms_and_json_never_500(client, db_session, world):
    for number in ("2147483648", "9223372036854775808", "1" + "0" * 30):
        _id_beyond_range_never_500(client, db_session, world, number)


def _id_beyond_range_never_500(client, db_session, world, number):
    ids = world["ids"]
    before = _counts(db_session)
    login(client, world["staff"])
    for url in (
        f"/bibliotheque/?producteur={number}",
        f"/financeur/?financeur={number}",
        f"/r/R{number}",
        f"/r/R{number}/licences",
        f"/recherche?commune={number}",
    ):
        assert client.get(url).status_code in (200, 302, 400, 404), url
    r = post_form(client, f"/mise-en-relation/runs/{ids['run']}/approuver", {"proposal_id": [number, "-1", "x"]})
    assert r.status_code in (302, 400, 404)
    r = post_form(
        client, f"/mise-en-relation/propositions/{ids['proposal']}", {"decision": "replace", "offer_id": number}
    )
    assert r.status_code in (302, 400, 404, 422)
    r = post_form(client, "/bibliotheque/moderation/fusion", {"source": f"R{number}", "target": ids["lib_resource"]})
    assert r.status_code in (302, 400, 404, 422)
    login(client, world["provider_user"])
    headers = {"Authorization": f"Bearer {create_api_token(world['provider_user'])}"}
    db_session.flush()
    for body in ({"provider_id": int(number), "title": "x"}, {"provider_id": number}):
        r = client.post("/api/v1/offers", json=body, headers=headers)
        assert 400 <= r.status_code < 500 and r.get_json()["error"]["code"]
    r = client.patch(f"/api/v1/offers/{ids['offer']}", json={"capacity_per_month": int(number)}, headers=headers)
    assert 400 <= r.status_code < 500 and r.get_json()["error"]["code"]
    r = client.patch(
        f"/api/v1/offers/{ids['offer']}", json={"price_mode": "paid", "price": int(number)}, headers=headers
    )
    assert 400 <= r.status_code < 500 and r.get_json()["error"]["code"]
    org_headers = {"Authorization": f"Bearer {create_api_token(world['org_user'])}"}
    db_session.flush()
    r = client.post("/api/v1/needs", json={"organisation_id": int(number), "title": "x"}, headers=org_headers)
    assert 400 <= r.status_code < 500
    assert _counts(db_session) == before


# ---------------------------------------------------------------- control characters

CONTROL_SAMPLES = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f"]


def test_nul_in_the_login_email_answers_400_with_a_french_message(client):
    r = post_form(client, "/connexion", {"email": "camille\x00@example.org", "password": "x"})
    assert r.status_code == 400
    assert "caractères de contrôle" in page_text(r)


def test_control_characters_in_query_path_and_json_answer_400(client, db_session, world):
    for char in CONTROL_SAMPLES:
        _control_character_answers_400(client, db_session, world, char)


def _control_character_answers_400(client, db_session, world, char):
    from urllib.parse import quote

    for url in (
        f"/catalogue?departement={quote(char)}",
        f"/recherche?q=a{quote(char)}b",
        f"/api/v1/search?q={quote(char)}",
        f"/api/v1/communes?q={quote(char)}",
        f"/r/R1{quote(char)}",
        f"/catalogue?a{quote(char)}=1",
        f"/confirmer/abc{quote(char)}def",
    ):
        r = client.get(url)
        assert r.status_code == 400, (url, r.status_code)
        if url.startswith("/api/"):
            assert r.get_json()["error"]["code"] == "bad_request"
        else:
            assert "caractères de contrôle" in page_text(r)
    headers = {"Authorization": f"Bearer {create_api_token(world['provider_user'])}"}
    db_session.flush()
    before = _counts(db_session)
    r = client.patch(f"/api/v1/offers/{world['ids']['offer']}", json={"title": f"Atelier{char}"}, headers=headers)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"
    r = client.patch(f"/api/v1/offers/{world['ids']['offer']}", json={f"ti{char}tle": "Atelier"}, headers=headers)
    assert r.status_code == 400
    assert _counts(db_session) == before


def test_every_form_refuses_a_nul_and_saves_nothing(client, db_session, world):
    before = _counts(db_session)
    for who, url in FORMS:
        with client.session_transaction() as session:
            session.clear()
        if who != "anon":
            login(client, world[who])
        url = url.format(**world["ids"])
        r = post_form(
            client,
            url,
            {
                "name": "Atelier\x00",
                "email": "a\x00@b.fr",
                "title": "T\x00",
                "reason": "\x00",
                "description": "ok",
                "comment": "\x00",
            },
        )
        assert r.status_code == 400, f"{url}: {r.status_code}"
        assert "caractères de contrôle" in page_text(r)
    assert _counts(db_session) == before


def test_lone_surrogates_and_invalid_utf8_answer_400(client, db_session, world):
    assert client.get("/catalogue?departement=%ff").status_code == 400
    assert client.get("/recherche?q=%ed%a0%80").status_code == 400  # an encoded surrogate
    headers = {
        "Authorization": f"Bearer {create_api_token(world['provider_user'])}",
        "Content-Type": "application/json",
    }
    db_session.flush()
    r = client.patch(f"/api/v1/offers/{world['ids']['offer']}", data=b'{"title": "A\\ud800B"}', headers=headers)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"


def test_tab_newline_carriage_return_are_text(client, db_session, world):
    """Multi-line text fields keep working."""
    from app.needs.models import Need

    login(client, world["org_user"])
    need = db_session.get(Need, world["ids"]["need"])
    r = client.get("/recherche?q=atelier%09num%C3%A9rique%0A")
    assert r.status_code == 200
    headers = {"Authorization": f"Bearer {create_api_token(world['org_user'])}"}
    db_session.flush()
    r = client.patch(
        f"/api/v1/needs/{need.id}",
        json={"description": "Ligne 1\r\n\tLigne 2\nLigne 3 assez longue pour être valide."},
        headers=headers,
    )
    assert r.status_code == 200, r.get_json()
    db_session.expire_all()
    assert "\tLigne 2" in db_session.get(Need, need.id).description


def test_a_header_with_a_control_character_answers_400(client):
    r = client.get("/api/v1/skills", headers={"Authorization": "Bearer hub_\x01abc"})
    assert r.status_code == 400


def test_uploaded_file_content_is_not_checked_only_its_name(client, db_session, world):
    """Binary content with NUL bytes is a file like any other; a control character in its name is refused."""
    import io

    from app.library.models import ResourceFile

    login(client, world["provider_user"])
    url = f"/r/{world['ids']['lib_resource']}/fichiers"
    count = db_session.scalar(select(func.count()).select_from(ResourceFile))
    binary = b"%PDF-1.4\n\x00\x01\x02\x1b\x7f binary\n%%EOF\n"
    r = post_form(client, url, {"file": (io.BytesIO(binary), "bad\x01name.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 400
    assert db_session.scalar(select(func.count()).select_from(ResourceFile)) == count
    r = post_form(client, url, {"file": (io.BytesIO(binary), "support.pdf")}, content_type="multipart/form-data")
    assert r.status_code in (302, 303), r.status_code
    assert db_session.scalar(select(func.count()).select_from(ResourceFile)) == count + 1


# ---------------------------------------------------------------- the database's refusals


def test_a_unique_constraint_race_answers_409_and_rolls_back(app, db_session, world):
    """What a lost race looks like once past every check: the database's unique
    constraint refuses the second row; the app's handler answers 409 in French (JSON
    under /api/) and rolls back the request's other writes."""
    from sqlalchemy.exc import IntegrityError

    from app.extensions import db
    from app.matches.models import Feedback, Mission

    mission_id = world["ids"]["mission"]
    for path in (f"/missions/{mission_id}/avis", "/api/v1/needs"):
        with app.test_request_context(path, method="POST"):
            db.session.get(Mission, mission_id).cancel_reason = "écrit avant la course"
            db.session.flush()
            for _ in range(2):
                db.session.add(Feedback(mission_id=mission_id, side="organisation", rating=5, comment=""))
            with pytest.raises(IntegrityError) as raised:
                db.session.flush()
            response = app.make_response(app.handle_user_exception(raised.value))
            assert response.status_code == 409
            if path.startswith("/api/"):
                assert response.get_json()["error"]["code"] == "conflict"
            else:
                assert "rien n'a été modifié" in page_text(response)
            db.session.remove()
    db_session.expire_all()
    assert db_session.get(Mission, mission_id).cancel_reason is None
    assert db_session.scalar(select(func.count()).select_from(Feedback).where(Feedback.mission_id == mission_id)) == 0


def test_405_says_which_methods_are_allowed(client):
    r = client.delete("/catalogue")
    assert r.status_code == 405 and set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET"}
    r = client.put("/api/v1/offers")
    assert r.status_code == 405 and r.get_json()["error"]["code"] == "method_not_allowed"
    assert {"GET", "POST"} <= set(r.headers["Allow"].replace(" ", "").split(","))
