"""Decimal numbers as people type them in France: every form that takes a decimal accepts "0,3" as
well as "0.3" (a text input, not a number input that drops the comma) and shows "0,30" back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms.validators import InputRequired, NumberRange

from app.core.forms import DecimalCommaField
from app.matches.models import MatchRun
from app.vouchers.forms import ProgrammeForm
from tests.conftest import login, page_text, post_form


class _Form(FlaskForm):
    weight = DecimalCommaField("Poids", places=2, validators=[InputRequired(), NumberRange(0, 2000)])


def _form(app, value):
    with app.test_request_context():
        form = _Form(formdata=MultiDict({"weight": value}), meta={"csrf": False})
        ok = form.validate()
        return ok, form.weight.data, [str(e) for e in form.weight.errors], form.weight()


@pytest.mark.parametrize(
    ("typed", "number"),
    [("0,3", "0.3"), ("0.3", "0.3"), (" 0,30 ", "0.30"), ("1 500,5", "1500.5"), ("1\u202f500,50", "1500.50")],
)
def test_a_comma_or_a_point_is_the_same_number(app, typed, number):
    ok, data, errors, _html = _form(app, typed)
    assert ok, errors
    assert data == Decimal(number)


@pytest.mark.parametrize("typed", ["abc", "0,3,4", "nan", "inf", "1e999999999"])
def test_not_a_number_says_so_in_french(app, typed):
    ok, _data, errors, _html = _form(app, typed)
    assert not ok
    assert errors and (typed == "1e999999999" or "Indiquez un nombre, par exemple 0,3 ou 12,50." in errors)


def test_the_field_is_a_text_input_for_decimals_and_shows_french_numbers(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        form = _Form(meta={"csrf": False}, data={"weight": Decimal("0.3")})
        html = form.weight()
    assert 'type="text"' in html and 'inputmode="decimal"' in html
    assert 'value="0,30"' in html


def test_the_run_form_takes_weights_with_a_decimal_comma(client, factory, db_session):
    staff = factory.staff()
    login(client, staff)
    page = client.get("/mise-en-relation/").get_data(as_text=True)
    assert 'inputmode="decimal"' in page and 'type="number"' not in page.split("w_skills")[1][:200]
    r = post_form(
        client,
        "/mise-en-relation/",
        {
            "w_skills": "0,5",
            "w_distance": "0,3",
            "w_semantic": "0",
            "w_waiting": "0,1",
            "w_load": "0,1",
            "w_feedback": "0",
            "w_charter": "0",
            "solver": "flow",
            "k_alternatives": "3",
            "time_limit": "5",
        },
    )
    assert r.status_code == 302, page_text(r)
    run = db_session.scalars(select(MatchRun)).one()
    assert run.weights["distance"] == 0.3 and run.weights["skills"] == 0.5


def test_the_programme_form_takes_euros_with_a_decimal_comma(app):
    with app.test_request_context():
        form = ProgrammeForm(formdata=MultiDict({"face_value": "12,50", "budget": "1 000,00"}), meta={"csrf": False})
        form.validate()
        assert form.face_value.data == Decimal("12.50") and "face_value" not in form.errors
        assert form.budget.data == Decimal("1000.00") and "budget" not in form.errors
