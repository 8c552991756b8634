"""Form fields of the territory: a commune chosen by name or postal code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, ValidationError

from app.territory.services import resolve_commune


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
        if not self.data:
            return
        self.commune = resolve_commune(self.data)
        if self.commune is None:
            raise ValidationError(
                _l("Commune introuvable : choisissez-la dans la liste proposée (nom ou code postal).")
            )
