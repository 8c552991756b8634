from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.core.forms import Form
from app.legal.services import MAX_BODY


class LegalEditForm(Form):
    body_fr = TextAreaField(
        _l("Texte en français (Markdown)"),
        validators=[DataRequired(_l("Le texte français est obligatoire.")), Length(max=MAX_BODY)],
        render_kw={"rows": 24, "spellcheck": "true", "lang": "fr"},
    )
    body_en = TextAreaField(
        _l("Texte en anglais (Markdown, facultatif)"),
        validators=[Length(max=MAX_BODY)],
        description=_l("Vide : la page en anglais montre le texte français."),
        render_kw={"rows": 24, "spellcheck": "true", "lang": "en"},
    )
    summary = StringField(
        _l("Ce qui change"),
        validators=[DataRequired(_l("Dites en une phrase ce qui change.")), Length(max=300)],
        description=_l(
            "Une phrase, lue dans l'historique des versions (et par chaque personne qui doit accepter de nouvelles conditions)."
        ),
    )


class AcceptTermsForm(Form):
    version = HiddenField()  # the version the page showed
