"""Form fields and helpers shared by several domains (the fields of one domain live in its `forms.py`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DecimalField, SelectMultipleField, ValidationError, widgets

from app.core.errors import ServiceError
from app.core.urls import WEB_URL_MESSAGE, web_url

DECIMAL_MESSAGE = _l("Indiquez un nombre, par exemple 0,3 ou 12,50.")


class WebURL:
    """WTForms validator: an http(s) link by the app's one rule (app.core.urls.web_url); the field
    keeps the cleaned address. Empty passes (add DataRequired to require one)."""

    def __call__(self, form, field):
        if not (field.data or "").strip():
            field.data = ""
            return
        url = web_url(field.data)
        if url is None:
            raise ValidationError(WEB_URL_MESSAGE)
        field.data = url


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def form_from_json(form_cls: type[FlaskForm], payload: dict, obj=None) -> FlaskForm:
    """Validate a JSON body with the same form the HTML page uses (one set of rules)."""
    data = MultiDict()
    for key, value in (payload or {}).items():
        if isinstance(value, list):
            for item in value:
                data.add(key, "" if item is None else str(item))
        elif isinstance(value, bool):
            if value:
                data.add(key, "y")
        elif value is not None:
            data.add(key, str(value))
    return form_cls(formdata=data, obj=obj, meta={"csrf": False})


def form_errors(form: FlaskForm) -> dict[str, list[str]]:
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


class Form(FlaskForm):
    """A form whose `errors` are its fields' only: its form-level errors (a service's refusal that names
    no field) are in `form_errors`, shown once by the `form_errors` macro (WTForms also files them under
    an empty field name in `errors`, which made every page show them a second time, as "<empty link> : …")."""

    @property
    def errors(self):
        return {name: errors for name, errors in super().errors.items() if name != self._form_error_key}


def check_now(form, values: dict, rules: Iterable[tuple[Callable[[dict], object], tuple[str, ...]]]) -> bool:
    """Validation in one pass: run a service's own rules beside the field validators, so that one submit
    shows every error of the form. `rules`: (rule, fields) pairs; `rule(values)` raises a `ServiceError`
    naming its field, and runs only when its `fields` passed their own validators. Its message goes on that
    field (or on the form), unless the field already has an error. True when no rule refused."""
    ok = True
    for rule, fields in rules:
        if any(form[name].errors for name in fields):
            continue
        try:
            rule(values)
        except ServiceError as error:
            ok = False
            field = getattr(form, error.field, None) if error.field else None
            if field is None:
                form.form_errors.append(str(error.message))
            elif not field.errors:
                field.errors = [*list(field.errors), str(error.message)]
    return ok


class DecimalCommaField(DecimalField):
    """A decimal number as people type it in France: "0,3" as well as "0.3", with spaces between
    thousands ("1 500,50"). A text input with ``inputmode="decimal"`` (a number input makes the
    browser drop "0,3" in some locales, and the form then said "Ce champ est requis."); the value
    is shown in the page's locale ("0,30" in French). Not a finite number: a French message."""

    widget = widgets.TextInput()

    def __init__(self, label=None, validators=None, places=2, rounding=None, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, places=places, rounding=rounding, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = "".join(str(valuelist[0]).split()).replace("\u202f", "").replace("\u00a0", "").replace(",", ".")
        if not text:
            self.data = None
            return
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            number = None
        if number is None or not number.is_finite():
            self.data = None
            raise ValueError(str(DECIMAL_MESSAGE))
        self.data = number

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        if self.places is None:
            return format_decimal(self.data, format="0.##########")
        pattern = "0." + "0" * self.places if self.places else "0"
        return format_decimal(self.data, format=pattern)
