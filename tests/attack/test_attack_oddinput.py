"""Odd input over real HTTP (gunicorn, PostgreSQL): ids at the limits of the
INTEGER type and control characters sent to every declared route, and races on a
proposal's acceptance and a mission's feedback. Never a 5xx; beyond the id range a
404; a control character a 400; one mission, one feedback per side."""

from __future__ import annotations

import re
import threading
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from tests.matches.test_matches_races import _world

LIMITS = [0, -1, 2**31 - 1, 2**31, 2**63, 10**30]
_INT = re.compile(r"<int(?:\([^)]*\))?:\w+>")
_OTHER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _fill(rule: str, number) -> str:
    url = _INT.sub(str(number), rule)
    return _OTHER.sub(lambda m: "R1" if m.group(2) == "ident" else "x", url)


def _rules(app, *, with_int: bool):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint == "accounts.logout":
            continue
        if with_int and not _INT.search(rule.rule):
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            yield method, rule.rule


@pytest.fixture(scope="module")
def staff(attack_server):
    with attack_server.factory() as f:
        f.user(email="oddinput-staff@exemple.fr", staff=True)
    browser = attack_server.login("oddinput-staff@exemple.fr", source="127.0.0.21")
    return browser, attack_server.csrf(browser)


def test_ids_at_the_type_limits_on_every_int_route(attack_server, staff):
    browser, token = staff
    visitor = attack_server.session("127.0.0.22")
    failures, count = [], 0
    for method, rule in _rules(attack_server.app, with_int=True):
        for number in LIMITS:
            url = attack_server.url + _fill(rule, number)
            for who, session, data in (("staff", browser, {"csrf_token": token}), ("visitor", visitor, {})):
                response = session.request(
                    method, url, data=data if method == "POST" else None, allow_redirects=False, timeout=60
                )
                count += 1
                beyond = number < 0 or number > 2**31 - 1
                if response.status_code >= 500 or (beyond and response.status_code != 404):
                    failures.append(f"{who} {method} {_fill(rule, number)} -> {response.status_code}")
    assert count > 400
    assert not failures, "\n".join(failures[:40]) + f"\n({len(failures)} in all)\n" + attack_server.logs()[-3000:]


def test_control_characters_on_every_route(attack_server, staff):
    browser, token = staff
    failures = []
    for method, rule in _rules(attack_server.app, with_int=False):
        url = attack_server.url + _fill(rule, 1)
        probes = [("query", url + "?q=a%00b&page=%01", None), ("query-key", url + "?a%1fb=1", None)]
        if any(m.group(1) != "int" for m in _OTHER.finditer(rule)):
            probes.append(
                (
                    "path",
                    attack_server.url + _OTHER.sub(lambda m: "1" if m.group(1) == "int" else quote("R1\x00"), rule),
                    None,
                )
            )
        if method == "POST":
            probes.append(
                (
                    "form",
                    url,
                    {"csrf_token": token, "name": "a\x00b", "email": "x\x00@y.fr", "title": "t\x1b", "reason": "\x7f"},
                )
            )
        for what, target, data in probes:
            response = browser.request(method, target, data=data, allow_redirects=False, timeout=60)
            if response.status_code != 400:
                failures.append(f"{what} {method} {rule} -> {response.status_code}")
    assert not failures, "\n".join(failures[:40]) + f"\n({len(failures)} in all)\n" + attack_server.logs()[-3000:]


def test_nul_in_the_login_email_over_http(attack_server):
    browser = attack_server.session("127.0.0.23")
    response = attack_server.post_form(
        browser, "/connexion", {"email": "a\x00@exemple.fr", "password": "x"}, token_from="/connexion"
    )
    assert response.status_code == 400
    assert "caractères de contrôle" in response.text


def _emails(attack_server, user_ids):
    from app.accounts.models import User

    with attack_server.db() as session:
        return [session.get(User, uid).email for uid in user_ids]


def _race_over_http(attack_server, browsers, path, data):
    tokens = [attack_server.csrf(b) for b in browsers]
    barrier = threading.Barrier(len(browsers))
    statuses, errors = [], []

    def one(browser, token):
        try:
            barrier.wait(timeout=30)
            statuses.append(
                browser.post(
                    attack_server.url + path, data={**data, "csrf_token": token}, allow_redirects=False, timeout=60
                ).status_code
            )
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=one, args=pair) for pair in zip(browsers, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not errors, errors
    return statuses


def test_concurrent_accepts_and_feedbacks_over_http(attack_server):
    from app.matches.models import Feedback, Mission

    proposal_id, members, org_members = _world(attack_server.app, 900)
    providers = [
        attack_server.login(e, source=f"127.0.1.{i + 1}") for i, e in enumerate(_emails(attack_server, members))
    ]
    organisation = [
        attack_server.login(e, source=f"127.0.2.{i + 1}") for i, e in enumerate(_emails(attack_server, org_members))
    ]
    statuses = _race_over_http(
        attack_server, providers, f"/missions/propositions/{proposal_id}", {"response": "accept"}
    )
    assert all(s in (302, 303, 409) for s in statuses), [*statuses, attack_server.logs()[-3000:]]
    with attack_server.db() as session:
        missions = list(session.scalars(select(Mission.id).where(Mission.proposal_id == proposal_id)))
    assert len(missions) == 1
    mission_id = missions[0]
    for side in (providers[0], organisation[0]):
        response = attack_server.post_form(side, f"/missions/{mission_id}/action", {"action": "confirm"})
        assert response.status_code in (302, 303)
    statuses = _race_over_http(
        attack_server, providers + organisation, f"/missions/{mission_id}/avis", {"rating": "5", "comment": "Parfait"}
    )
    assert all(s in (302, 303, 409) for s in statuses), [*statuses, attack_server.logs()[-3000:]]
    with attack_server.db() as session:
        per_side = dict(
            session.execute(
                select(Feedback.side, func.count()).where(Feedback.mission_id == mission_id).group_by(Feedback.side)
            ).all()
        )
    assert per_side == {"organisation": 1, "provider": 1}
