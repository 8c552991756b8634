"""Form fields shared by several domains."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import SelectMultipleField, StringField, ValidationError, widgets

from app.directory.skills import grouped_choices, valid_codes


class CommuneField(StringField):
    """Text input with autocomplete; validates to a Commune (kept in `.commune`)."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {
            "list": "communes-list",
            "autocomplete": "off",
            "data-commune-autocomplete": "1",
            "placeholder": _l("Nom ou code postal"),
        }
        render_kw.update(kwargs.pop("render_kw", {}) or {})
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.commune = None

    def process_data(self, value):
        # Accept a Commune object (editing) as initial data.
        if value is not None and hasattr(value, "label"):
            self.commune = value
            value = value.label
        super().process_data(value)

    def pre_validate(self, form):
        from app.territory.services import resolve_commune

        if not self.data:
            return
        self.commune = resolve_commune(self.data)
        if self.commune is None:
            raise ValidationError(
                _l("Commune introuvable : choisissez-la dans la liste proposée (nom ou code postal).")
            )


class WebURL:
    """WTForms validator: an http(s) link by the app's one rule (app.core.urls.web_url); the field
    keeps the cleaned address. Empty passes (add DataRequired to require one)."""

    def __call__(self, form, field):
        from app.core.urls import WEB_URL_MESSAGE, web_url

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


class SkillsField(MultiCheckboxField):
    """Skills from the taxonomy; rendered grouped (see the `skills_field` macro)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(
            label, validators, choices=lambda: [c for _g, leaves in grouped_choices() for c in leaves], **kwargs
        )

    def pre_validate(self, form):
        unknown = [code for code in (self.data or []) if code not in valid_codes()]
        if unknown:
            raise ValidationError(_l("Compétences inconnues : %(codes)s", codes=", ".join(unknown)))

    @property
    def groups(self):
        return grouped_choices()


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
