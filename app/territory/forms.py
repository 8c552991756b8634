"""Form fields of the territory: a commune chosen by name or postal code."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import StringField, ValidationError
from wtforms.utils import unset_value
from wtforms.widgets import TextInput

from app.territory.services import commune_text, lookup_commune


def candidate_label(commune) -> str:
    """How a candidate commune is told apart from the others: name, postal code, département."""
    code = commune.main_postal_code or commune.dep_code
    return f"{commune.name} ({code}, {commune.dep_name})"


class CommuneInput(TextInput):
    """The text box; after an ambiguous entry (a postal code covering several communes,
    a name several communes share), the candidate communes as radio buttons below it."""

    def __call__(self, field, **kwargs):
        html = super().__call__(field, **kwargs)
        if not field.candidates:
            return html
        name = field.choice_name
        items = "".join(
            f'<li><label class="check"><input type="radio" name="{escape(name)}" value="{escape(c.insee)}" '
            f'id="{escape(field.id)}-{escape(c.insee)}"> {escape(candidate_label(c))}</label></li>'
            for c in field.candidates
        )
        legend = escape(_("Quelle commune ?"))
        return Markup(
            f'{html}<fieldset class="commune-choices"><legend>{legend}</legend><ul class="choices">{items}</ul></fieldset>'
        )


class CommuneField(StringField):
    """Text input with autocomplete; validates to a Commune (kept in `.commune`).

    What is typed is read by `lookup_commune` (postal code, name, label, "INSEE 13055").
    When it could be several communes, validation fails and the form shows them
    (`.candidates`) as radio buttons named `<field>-insee`; the next submit picks the one
    chosen, only if it is among the candidates of what the box still says."""

    widget = CommuneInput()

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
        self.candidates: tuple = ()
        self.choice = None

    @property
    def choice_name(self) -> str:
        return f"{self.name}-insee"

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data=data, extra_filters=extra_filters)
        self.choice = formdata.get(self.choice_name) if formdata is not None else None

    def process_data(self, value):
        # Accept a Commune object (editing) as initial data.
        if value is not None and hasattr(value, "label"):
            self.commune = value
            value = commune_text(value)  # reads back as this very commune, even among namesakes
        super().process_data(value)

    def pre_validate(self, form):
        if not self.data:
            return
        found = lookup_commune(self.data)
        chosen = next((c for c in found.candidates if c.insee == self.choice), None)
        self.commune = found.commune or chosen
        if self.commune is not None:
            if chosen is not None:
                self.data = commune_text(chosen)  # the box now says which commune was picked
            return
        self.candidates = found.candidates
        raise ValidationError(found.error or _("Commune introuvable."))
