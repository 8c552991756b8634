"""What every view shares (app/core/web.py): the transaction rule, load_or_404, submit_action."""

from __future__ import annotations

import pytest
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from wtforms import StringField

import app.core.web as web
from app.accounts.models import User
from app.core.errors import Conflict, ServiceError
from app.core.jobs import enqueue
from app.core.states import IllegalTransition
from app.core.web import by_column_or_404, first_or_404, load_or_404, submit_action, transaction
from app.extensions import db


class _Form(FlaskForm):
    class Meta:
        csrf = False

    email = StringField()


_ran: list = []


def _job(value) -> None:
    _ran.append(value)


def _user(email: str = "kit@exemple.fr") -> User:
    user = User(email=email, password_hash="x", full_name="Kit Test")
    db.session.add(user)
    db.session.flush()
    return user


def _exists(email: str) -> bool:
    return db.session.scalar(select(User.id).where(User.email == email)) is not None


@pytest.fixture
def request_ctx(app, db_session):
    with app.test_request_context("/"):
        yield


@pytest.fixture
def commits(monkeypatch):
    calls = []
    real = web.commit

    def counting():
        calls.append(1)
        real()

    monkeypatch.setattr(web, "commit", counting)
    return calls


# ---------------------------------------------------------------- transaction


def test_the_block_is_committed_once_at_its_end(request_ctx, commits):
    with transaction() as tx:
        _user("a@exemple.fr")
        _user("b@exemple.fr")
        assert commits == []  # nothing committed inside the block
    assert tx.ok and tx.error is None and tx.status == 200
    assert commits == [1]
    db.session.rollback()  # nothing left to roll back: it was committed
    assert _exists("a@exemple.fr") and _exists("b@exemple.fr")
    assert get_flashed_messages() == []


def test_a_service_error_rolls_back_and_goes_to_the_form_field(request_ctx, commits):
    form = _Form()
    with transaction(form) as tx:
        _user("c@exemple.fr")
        raise ServiceError("Adresse déjà utilisée.", field="email")
    assert not tx.ok and commits == []
    assert not _exists("c@exemple.fr")
    assert form.email.errors == ["Adresse déjà utilisée."] and form.form_errors == []
    assert tx.status == 422  # a form error
    assert get_flashed_messages() == []  # shown on the form, not flashed


def test_a_service_error_without_a_field_goes_to_the_form(request_ctx):
    form = _Form()
    with transaction(form) as tx:
        raise ServiceError("Refusé.")
    assert not tx.ok and form.form_errors == ["Refusé."]


def test_a_service_error_without_a_form_is_flashed_with_its_status(request_ctx):
    with transaction() as tx:
        _user("d@exemple.fr")
        raise Conflict("Déjà fait.")
    assert not tx.ok and isinstance(tx.error, Conflict) and tx.status == 409
    assert not _exists("d@exemple.fr")
    assert get_flashed_messages(with_categories=True) == [("error", "Déjà fait.")]


def test_show_false_leaves_the_refusal_to_the_view(request_ctx):
    form = _Form()
    with transaction(form, show=False) as tx:
        raise ServiceError("Lien invalide.", field="email")
    assert str(tx.error.message) == "Lien invalide."
    assert not form.email.errors and get_flashed_messages() == []


def test_a_refusal_marked_commit_keeps_what_was_recorded(request_ctx, commits):
    with transaction() as tx:
        _user("e@exemple.fr")
        refusal = ServiceError("Expirée.")
        refusal.commit = True
        raise refusal
    assert not tx.ok and commits == [1]
    db.session.rollback()
    assert _exists("e@exemple.fr")


def test_any_other_exception_rolls_back_and_propagates(request_ctx, commits):
    with pytest.raises(RuntimeError), transaction() as tx:
        _user("f@exemple.fr")
        raise RuntimeError("boom")
    assert not tx.ok and tx.error is None and commits == []
    assert not _exists("f@exemple.fr")
    assert get_flashed_messages() == []


def test_a_failed_commit_rolls_back_and_propagates(request_ctx, monkeypatch):
    def failing():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(web, "commit", failing)
    with pytest.raises(RuntimeError), transaction() as tx:
        _user("g@exemple.fr")
    assert not tx.ok
    assert not _exists("g@exemple.fr")  # the session is usable again, without the failed change


def test_a_job_enqueued_in_a_refused_block_never_runs(request_ctx):
    _ran.clear()
    with transaction() as tx:
        enqueue(_job, "refused")
        raise ServiceError("Non.")
    with pytest.raises(RuntimeError), transaction():
        enqueue(_job, "crashed")
        raise RuntimeError("boom")
    with transaction() as tx:  # the next block's commit does not bring them back
        enqueue(_job, "done")
    assert tx.ok and _ran == ["done"]  # in-process mode: run right after the commit


def test_an_illegal_move_propagates_unless_asked(request_ctx):
    with pytest.raises(IllegalTransition), transaction():
        raise IllegalTransition("proposal", "accepted", "declined")
    with transaction(illegal_moves=True) as tx:
        _user("h@exemple.fr")
        raise IllegalTransition("proposal", "accepted", "declined")
    assert not tx.ok and isinstance(tx.error, Conflict) and tx.status == 409
    assert not _exists("h@exemple.fr")
    assert get_flashed_messages(with_categories=True) == [
        ("error", "Cette action n'est pas possible dans l'état actuel.")
    ]


# ---------------------------------------------------------------- submit_action


def test_submit_action_commits_flashes_and_goes_back(request_ctx, commits):
    response = submit_action(lambda: _user("i@exemple.fr"), lambda user: f"{user.email} ajouté.", "/retour")
    assert response.status_code == 302 and response.location == "/retour"
    assert commits == [1] and _exists("i@exemple.fr")
    assert get_flashed_messages(with_categories=True) == [("success", "i@exemple.fr ajouté.")]


def test_submit_action_flashes_the_refusal_and_goes_back(request_ctx, commits):
    def refused():
        _user("j@exemple.fr")
        raise ServiceError("Pas maintenant.")

    response = submit_action(refused, "Fait.", "/retour")
    assert response.status_code == 302 and response.location == "/retour"
    assert commits == [] and not _exists("j@exemple.fr")
    assert get_flashed_messages(with_categories=True) == [("error", "Pas maintenant.")]


def test_submit_action_and_illegal_moves(request_ctx):
    def illegal():
        raise IllegalTransition("mission", "done", "in_progress")

    with pytest.raises(IllegalTransition):  # by default: the 409 error page answers it
        submit_action(illegal, "Fait.", "/retour")
    response = submit_action(illegal, "Fait.", "/retour", illegal_moves=True)
    assert response.status_code == 302 and response.location == "/retour"
    assert get_flashed_messages(with_categories=True) == [
        ("error", "Cette action n'est pas possible dans l'état actuel.")
    ]


# ---------------------------------------------------------------- load_or_404


def test_load_or_404(request_ctx):
    user = _user("k@exemple.fr")
    assert load_or_404(User, user.id) is user
    assert load_or_404(User, str(user.id)) is user
    assert load_or_404(User, user.id, where=lambda u: u.full_name == "Kit Test") is user
    with pytest.raises(NotFound):
        load_or_404(User, user.id, where=lambda u: u.is_staff)
    with pytest.raises(NotFound):
        load_or_404(User, 2**31 - 1)  # no such row


@pytest.mark.parametrize("bad", ["abc", "12abc", "", None, -3, 0, 2**31, 2**70, "9" * 30, 1.5, True, [1], {"id": 1}])
def test_load_or_404_with_a_bad_id_is_a_404_not_a_500(request_ctx, bad):
    with pytest.raises(NotFound):
        load_or_404(User, bad)
    db.session.scalar(select(User.id).limit(1))  # no database error: the session is still usable


def test_first_or_404_and_by_column_or_404(request_ctx):
    user = _user("l@exemple.fr")
    assert first_or_404(select(User).where(User.email == "l@exemple.fr")) is user
    assert by_column_or_404(User, User.email, "l@exemple.fr") is user
    with pytest.raises(NotFound):
        by_column_or_404(User, User.email, "personne@exemple.fr")


def test_a_bad_id_in_a_page_is_a_404(client):
    """Through a real route: an id beyond the database's INTEGER is refused before any query."""
    assert client.get("/offres/99999999999").status_code == 404
    assert client.get("/prestataires/2147483647").status_code == 404
