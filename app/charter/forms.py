"""The charter's forms (their rules beside the services' own, checked in one pass)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from app.charter.models import AmendmentKind, AmendmentStatus
from app.charter.text import KIND_LABELS, SUBJECT_LABELS, check_consultation_dates
from app.core.forms import Form, MultiCheckboxField, check_now

REQUIRED = _l("Ce champ est obligatoire.")
PARIS = ZoneInfo("Europe/Paris")


class CommitteeForm(Form):
    email = EmailField(
        _l("E-mail du compte"),
        validators=[DataRequired(REQUIRED), Email(_l("Adresse e-mail invalide.")), Length(max=320)],
        description=_l("La personne doit déjà avoir un compte sur le Hub du Sud."),
    )


class ConsultationForm(Form):
    title = StringField(_l("Titre"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Présentation"), validators=[Optional(), Length(max=4000)])
    opens_at = DateTimeLocalField(
        _l("Ouverture (heure de Paris)"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Indiquez une date et une heure, par exemple 2026-12-01 09:00."))],
    )
    closes_at = DateTimeLocalField(
        _l("Clôture (heure de Paris)"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Indiquez une date et une heure, par exemple 2026-12-01 09:00."))],
    )

    def values(self) -> dict:
        def paris(moment):
            return moment.replace(tzinfo=PARIS) if moment is not None else None

        return {
            "title": self.title.data,
            "description": self.description.data,
            "opens_at": paris(self.opens_at.data),
            "closes_at": paris(self.closes_at.data),
        }

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return check_now(self, self.values(), [(check_consultation_dates, ("opens_at", "closes_at"))]) and ok


class AmendmentForm(Form):
    kind = RadioField(
        _l("Je propose de"),
        choices=[(k.value, KIND_LABELS[k.value]) for k in AmendmentKind],
        validators=[InputRequired(_l("Choisissez le type d'amendement."))],
    )
    criterion_id = SelectField(
        _l("Critère concerné (modifier, retirer)"), choices=[], validators=[Optional()], validate_choice=False
    )
    theme_id = SelectField(_l("Thème (nouveau critère)"), choices=[], validators=[Optional()], validate_choice=False)
    wording = TextAreaField(
        _l("Texte proposé du critère"),
        validators=[Optional(), Length(max=4000)],
        description=_l("Pour ajouter ou modifier un critère : le texte complet, tel qu'il figurerait dans la charte."),
    )
    evidence = TextAreaField(_l("Preuves attendues"), validators=[Optional(), Length(max=4000)])
    applies_to = MultiCheckboxField(_l("S'applique à"), choices=list(SUBJECT_LABELS.items()), validators=[Optional()])
    weight = SelectField(
        _l("Poids"),
        choices=[("", _l("Inchangé ou 1")), ("1", "1"), ("2", "2"), ("3", "3")],
        validators=[Optional()],
        validate_choice=False,
    )
    rationale = TextAreaField(
        _l("Exposé des motifs"),
        validators=[DataRequired(_l("Expliquez pourquoi vous proposez cet amendement.")), Length(max=4000)],
    )


class CommentForm(Form):
    body = TextAreaField(
        _l("Votre commentaire"), validators=[DataRequired(_l("Écrivez votre commentaire.")), Length(max=4000)]
    )


class DecisionForm(Form):
    decision = RadioField(
        _l("Décision du comité"),
        choices=[
            (AmendmentStatus.ADOPTED.value, _l("Adopté")),
            (AmendmentStatus.ADOPTED_MODIFIED.value, _l("Adopté avec modification")),
            (AmendmentStatus.REJECTED.value, _l("Rejeté")),
        ],
        validators=[InputRequired(_l("Choisissez une décision."))],
    )
    wording = TextAreaField(
        _l("Texte retenu par le comité"),
        validators=[Optional(), Length(max=4000)],
        description=_l("Seulement pour une adoption avec modification."),
    )
    reason = TextAreaField(
        _l("Motif de la décision"),
        validators=[Optional(), Length(max=4000)],
        description=_l("Obligatoire pour un rejet."),
    )


class PublishForm(Form):
    summary = TextAreaField(
        _l("Ce qui change, en quelques mots"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Laissé vide : le nombre d'amendements adoptés."),
    )
