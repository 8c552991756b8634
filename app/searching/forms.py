"""The staff's forms of the synonym table."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import DataRequired

from app.core.forms import Form


class SynonymGroupForm(Form):
    phrases = TextAreaField(
        _l("Expressions équivalentes"),
        validators=[DataRequired(_l("Indiquez au moins deux expressions."))],
        description=_l(
            "Une expression par ligne (ou séparées par des virgules), de 1 à 4 mots, par exemple "
            "« site web » puis « site internet ». Inutile d'écrire les pluriels, les majuscules ou les accents."
        ),
        render_kw={"rows": 4},
    )


class SynonymYamlForm(Form):
    """Replace the whole table: a YAML file, or its text pasted (the file wins when both are given)."""

    file = FileField(_l("Fichier YAML"))
    text = TextAreaField(
        _l("… ou le YAML collé ici"),
        description=_l("Une ligne par groupe : « - [site web, site internet] ». Toute la table est remplacée."),
        render_kw={"rows": 8},
    )


class ConfirmForm(Form):
    """A button (delete): its CSRF token only."""
