from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class PlacesImportForm(FlaskForm):
    file = FileField(
        _l("Fichier national (LMN en CSV ou JSON, data·inclusion en JSON ou JSON lines)"),
        validators=[FileRequired(_l("Choisissez un fichier."))],
    )
