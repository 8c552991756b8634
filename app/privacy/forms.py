from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, TextAreaField
from wtforms.validators import DataRequired, Email, Length

from app.core.forms import Form


class ExportForm(Form):
    """ "Télécharger mes données": only the CSRF token."""


class StaffExportForm(Form):
    """Staff answer a person's written request: whose data, and which request."""

    email = EmailField(
        _l("Adresse e-mail du compte"),
        validators=[
            DataRequired(_l("Indiquez l'adresse e-mail du compte.")),
            Email(_l("Adresse e-mail invalide.")),
            Length(max=320),
        ],
    )
    reason = TextAreaField(
        _l("Demande écrite à laquelle vous répondez"),
        validators=[
            DataRequired(_l("Indiquez la demande écrite à laquelle vous répondez.")),
            Length(min=10, max=2000, message=_l("Entre 10 et 2 000 caractères.")),
        ],
        description=_l(
            "Par exemple : courrier du 12 mars reçu par la poste, e-mail du 3 avril à l'adresse de contact."
        ),
    )
