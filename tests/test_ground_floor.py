"""The ground floor: `core` asks, the domains answer through what they register or connect.

Access checks and the API's token loader register with `app.core.access`; the user's space is
filled by the parts needs and matches register with `app.accounts.dashboard`; matching reacts to
what needs and directory announce (`app.core.signals`); an RQ worker builds its app with the
factory `app.core.jobs` names without importing it.
"""

from __future__ import annotations

import importlib

import pytest

from app import create_app
from app.accounts.dashboard import dashboard_context, register_dashboard_part
from app.core import access as core_access
from app.core.access import Access, register_role_check, register_token_loader, user_satisfies
from app.core.jobs import APP_FACTORY, PENDING
from app.core.signals import need_closed, need_text_changed, offer_text_changed
from app.matches import runs as match_runs
from app.matches.models import ProposalStatus as P
from app.needs.models import NeedStatus as NS
from app.needs.services import move_need
from app.vouchers.services import is_funder_member


@pytest.fixture
def saved_registries():
    """Each test may register its own answers: the app's come back afterwards."""
    checks = dict(core_access._role_checks)
    loaders = list(core_access._token_loaders)
    yield
    core_access._role_checks.clear()
    core_access._role_checks.update(checks)
    core_access._token_loaders[:] = loaders


def test_the_app_registers_the_funder_check_and_the_token_loader(app):
    assert core_access._role_checks[Access.FUNDER] is is_funder_member
    assert [loader.__name__ for loader in core_access._token_loaders] == ["user_for_api_token"]


def test_an_unanswered_role_refuses_and_a_registered_answer_decides(factory, saved_registries):
    user = factory.user()
    core_access._role_checks.pop(Access.FUNDER)
    assert user_satisfies(user, Access.FUNDER) is False
    register_role_check(Access.FUNDER, lambda u: u is user)
    assert user_satisfies(user, Access.FUNDER) is True
    register_role_check(Access.FUNDER, lambda u: False)  # registering again replaces
    assert user_satisfies(user, Access.FUNDER) is False


def test_the_api_token_is_answered_by_the_registered_loader(client, factory, saved_registries):
    user = factory.user()
    register_token_loader(lambda token: user if token == "sesame" else None)
    assert client.get("/api/v1/needs", headers={"Authorization": "Bearer sesame"}).status_code == 200
    assert client.get("/api/v1/needs", headers={"Authorization": "Bearer other"}).status_code == 401
    core_access._token_loaders.clear()  # no loader: every token is refused
    assert client.get("/api/v1/needs", headers={"Authorization": "Bearer sesame"}).status_code == 401


def test_the_users_space_has_the_parts_of_needs_and_matches(app, factory):
    user = factory.user()
    need = factory.need(user=user)
    with app.test_request_context():  # the space's next steps are links
        context = dashboard_context(user)
    assert {"needs", "pending", "missions"} <= set(context)
    assert [n.id for n in context["needs"]] == [need.id] and context["pending"] == [] and context["missions"] == []


def test_a_registered_part_adds_its_variables(app, factory, monkeypatch):
    from app.accounts import dashboard

    monkeypatch.setattr(dashboard, "_parts", dict(dashboard._parts))
    register_dashboard_part("extra", lambda user: {"greeting": user.full_name})
    with app.test_request_context():
        assert dashboard_context(factory.user(name="Zoé"))["greeting"] == "Zoé"


def test_matching_listens_to_needs_and_directory(app):
    assert need_text_changed.receivers and offer_text_changed.receivers and need_closed.receivers


def test_a_changed_text_queues_one_coalesced_embedding_job(factory, db_session):
    need = factory.need()
    offer = factory.offer()
    db_session.info.pop(PENDING, None)
    need_text_changed.send(need)
    offer_text_changed.send(offer)
    jobs = db_session.info.pop(PENDING)
    assert [(func, kwargs) for func, _args, kwargs, _queue in jobs] == [
        (match_runs.warm_embeddings, {"need_ids": [need.id], "offer_ids": [offer.id]})
    ]


def test_a_cancelled_need_stops_its_proposals_and_missions(factory, db_session):
    org_user = factory.user()
    need = factory.need(user=org_user)
    provider_user = factory.user(intent="provider")
    factory.offer(provider=factory.provider(owner=provider_user))
    _run, proposal, mission = factory.mission(need, provider_user)
    assert need.missions == [mission]  # declared by app.matches.models
    move_need(None, need, NS.CANCELLED, system=True)
    db_session.flush()
    assert proposal.status == P.ACCEPTED  # answered proposals stay as they are
    assert mission.cancelled_at is not None and need.status == NS.CANCELLED


def test_the_workers_app_factory_is_named_not_imported():
    module, _sep, name = APP_FACTORY.partition(":")
    assert getattr(importlib.import_module(module), name) is create_app
