from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
    ValidationError,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from app.core.forms import DecimalCommaField, Form, MultiCheckboxField, WebURL, check_now
from app.directory.vocab import choices
from app.library.services.identifiers import parse_identifier, parse_identifiers
from app.library.services.resources import check_relations, check_year
from app.library.vocab import (
    AUDIENCES,
    FORMATS,
    LANGUAGES,
    LICENCE_OFFER_KINDS,
    LICENCES,
    PRODUCER_KINDS,
    REPORT_REASONS,
    RESOURCE_TYPES,
    THEMES,
)

REQUIRED = _l("Ce champ est obligatoire.")


class IdentifierListField(StringField):
    """'R12, R40' -> [12, 40] in `.numbers`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.numbers: list[int] = []

    def pre_validate(self, form):
        try:
            self.numbers = parse_identifiers(self.data)
        except ValueError as error:
            self.numbers = []
            raise ValidationError(
                _l("« %(token)s » n'est pas un identifiant de ressource (par exemple R12).", token=str(error)[:40])
            ) from None
        if len(self.numbers) > 50:
            raise ValidationError(_l("50 ressources liées au plus."))


class IdentifierField(StringField):
    """'R12' -> 12 in `.number` (None when empty)."""

    number: int | None = None

    def pre_validate(self, form):
        self.number = None
        if not (self.data or "").strip():
            return
        self.number = parse_identifier(self.data)
        if self.number is None:
            raise ValidationError(_l("Indiquez un identifiant de ressource, par exemple R12."))


class EurosField(DecimalCommaField):
    """A price as French people write it: "19,90" as well as "19.90" (`DecimalCommaField`)."""


class ProducerForm(Form):
    kind = RadioField(
        _l("Producteur"), choices=choices(PRODUCER_KINDS), default="structure", validators=[DataRequired(REQUIRED)]
    )
    name = StringField(
        _l("Nom (de la personne ou de la structure)"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    presentation = TextAreaField(_l("Présentation"), validators=[Optional(), Length(max=5000)])
    website = URLField(_l("Site web"), validators=[Optional(), WebURL(), Length(max=300)])

    def values(self) -> dict:
        return {
            "kind": self.kind.data,
            "name": self.name.data,
            "presentation": self.presentation.data or "",
            "website": self.website.data or "",
        }


class MemberForm(FlaskForm):
    email = EmailField(
        _l("Adresse e-mail du nouveau membre"),
        validators=[DataRequired(REQUIRED), Email(_l("Adresse e-mail invalide.")), Length(max=320)],
    )


class ResourceForm(Form):
    """`resource`: the resource being edited (None for a new one), set by the view."""

    resource = None
    title = StringField(_l("Titre"), validators=[DataRequired(REQUIRED), Length(max=300)])
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=50000)],
        description=_l(
            "En Markdown : **gras**, *italique*, listes avec « - », liens "
            "[texte](https://…). Le HTML n'est pas conservé."
        ),
    )
    resource_type = SelectField(
        _l("Type de ressource"), choices=choices(RESOURCE_TYPES), validators=[DataRequired(REQUIRED)]
    )
    themes = MultiCheckboxField(
        _l("Thématiques"), choices=choices(THEMES), validators=[DataRequired(_l("Choisissez au moins une thématique."))]
    )
    audiences = MultiCheckboxField(
        _l("Publics"), choices=choices(AUDIENCES), validators=[DataRequired(_l("Choisissez au moins un public."))]
    )
    languages = MultiCheckboxField(
        _l("Langues"),
        choices=choices(LANGUAGES),
        default=["fr"],
        validators=[DataRequired(_l("Choisissez au moins une langue."))],
    )
    formats = MultiCheckboxField(_l("Formats"), choices=choices(FORMATS), validators=[Optional()])
    year_created = IntegerField(
        _l("Année de création"), validators=[Optional(), NumberRange(1900, 2200, _l("Année invalide."))]
    )
    licence = RadioField(
        _l("Licence"),
        choices=choices(LICENCES),
        validators=[DataRequired(REQUIRED)],
        description=_l(
            "Une licence libre, ou une licence d'usage que vous vendez (vous fixerez ses offres et prix ensuite)."
        ),
    )
    source_url = URLField(_l("Adresse d'origine (URL)"), validators=[Optional(), WebURL(), Length(max=500)])
    producers = MultiCheckboxField(
        _l("Producteurs"), coerce=int, validators=[DataRequired(_l("Choisissez au moins un producteur."))]
    )
    is_based_on = IdentifierListField(
        _l("Fondée sur (identifiants, par exemple R12, R40)"), validators=[Optional(), Length(max=1000)]
    )
    is_related_to = IdentifierListField(
        _l("Ressources liées (identifiants)"), validators=[Optional(), Length(max=1000)]
    )

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the rules the service checks against the base (year, related resources): every
        error at once."""
        valid = super().validate(extra_validators)
        values = {
            "year_created": self.year_created.data,
            "is_based_on": self.is_based_on.numbers,
            "is_related_to": self.is_related_to.numbers,
            "resource": self.resource,
        }
        rules = ((check_year, ("year_created",)), (check_relations, ("is_based_on", "is_related_to")))
        return check_now(self, values, rules) and valid

    def values(self) -> dict:
        return {
            "title": self.title.data,
            "description": self.description.data or "",
            "resource_type": self.resource_type.data,
            "themes": list(self.themes.data),
            "audiences": list(self.audiences.data),
            "languages": list(self.languages.data),
            "formats": list(self.formats.data or []),
            "year_created": self.year_created.data,
            "licence": self.licence.data,
            "source_url": self.source_url.data or "",
            "producer_ids": list(self.producers.data),
            "is_based_on": self.is_based_on.numbers,
            "is_related_to": self.is_related_to.numbers,
        }


class UploadForm(FlaskForm):
    file = FileField(_l("Fichier"), validators=[FileRequired(_l("Choisissez un fichier."))])


class ReportForm(FlaskForm):
    reason = RadioField(
        _l("Quel est le problème ?"), choices=choices(REPORT_REASONS), validators=[DataRequired(REQUIRED)]
    )
    duplicate_of = IdentifierField(
        _l("Doublon de (identifiant, par exemple R12)"), validators=[Optional(), Length(max=30)]
    )
    message = TextAreaField(_l("Précisions"), validators=[Optional(), Length(max=2000)])


class ReportDecisionForm(FlaskForm):
    decision = RadioField(
        _l("Décision"),
        choices=[("resolve", _l("Traité")), ("dismiss", _l("Écarté"))],
        validators=[DataRequired(REQUIRED)],
    )
    resolution = TextAreaField(_l("Réponse (obligatoire pour écarter)"), validators=[Optional(), Length(max=2000)])


class MergeForm(FlaskForm):
    duplicate = IdentifierField(_l("Doublon (identifiant)"), validators=[DataRequired(REQUIRED), Length(max=30)])
    survivor = IdentifierField(
        _l("Ressource conservée (identifiant)"), validators=[DataRequired(REQUIRED), Length(max=30)]
    )
    note = TextAreaField(_l("Note (facultative)"), validators=[Optional(), Length(max=1000)])


class LicenceOfferForm(FlaskForm):
    kind = SelectField(_l("Type de licence"), choices=choices(LICENCE_OFFER_KINDS), validators=[DataRequired(REQUIRED)])
    label = StringField(
        _l("Intitulé"),
        validators=[Optional(), Length(max=200)],
        description=_l("Par exemple « Usage par une structure pendant un an ». Vide : le type."),
    )
    price = EurosField(
        _l("Prix (€ TTC)"),
        places=2,
        validators=[InputRequired(REQUIRED), NumberRange(1, 100000, _l("Entre 1 et 100 000 €."))],
    )
    duration_months = IntegerField(
        _l("Durée (mois)"),
        validators=[Optional(), NumberRange(1, 120, _l("Entre 1 et 120 mois."))],
        description=_l("Vide : licence sans limite de durée."),
    )
    producer = SelectField(_l("Vendue par"), coerce=int, validators=[InputRequired(REQUIRED)])
    terms = TextAreaField(_l("Conditions d'usage"), validators=[Optional(), Length(max=5000)])

    def values(self) -> dict:
        price = self.price.data
        return {
            "kind": self.kind.data,
            "label": self.label.data or "",
            "terms": self.terms.data or "",
            "price_cents": round(price * 100) if price is not None and price.is_finite() else None,
            "duration_months": self.duration_months.data,
            "producer_id": self.producer.data,
        }


class GiveLicenceForm(FlaskForm):
    offer = SelectField(_l("Licence"), coerce=int, validators=[InputRequired(REQUIRED)])
    email = EmailField(
        _l("Adresse e-mail du titulaire"),
        validators=[DataRequired(REQUIRED), Email(_l("Adresse e-mail invalide.")), Length(max=320)],
    )
    holder_name = StringField(
        _l("Nom du titulaire sur le certificat"),
        validators=[Optional(), Length(max=200)],
        description=_l("La personne ou la structure. Vide : le nom du compte."),
    )


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Raison de la révocation"), validators=[DataRequired(REQUIRED), Length(max=2000)])


class ImportForm(FlaskForm):
    file = FileField(_l("Fichier CSV"), validators=[FileRequired(_l("Choisissez un fichier."))])
    publish = BooleanField(_l("Publier directement les ressources importées"))


class BrowseFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Rechercher"), validators=[Optional(), Length(max=200)])
    theme = SelectField(_l("Thématique"), choices=[("", _l("Toutes")), *choices(THEMES)], validators=[Optional()])
    resource_type = SelectField(
        _l("Type"), choices=[("", _l("Tous")), *choices(RESOURCE_TYPES)], validators=[Optional()]
    )
    audience = SelectField(_l("Public"), choices=[("", _l("Tous")), *choices(AUDIENCES)], validators=[Optional()])
    licence = SelectField(
        _l("Licence"),
        choices=[("", _l("Toutes")), ("libre", _l("Toutes les licences libres")), *choices(LICENCES)],
        validators=[Optional()],
    )
    language = SelectField(_l("Langue"), choices=[("", _l("Toutes")), *choices(LANGUAGES)], validators=[Optional()])


class BuyForm(FlaskForm):
    """Posted by the payment page's script, with the card's PaymentMethod saved by Stripe.js."""

    holder_name = StringField(
        _l("Nom du titulaire sur le certificat"),
        validators=[Optional(), Length(max=200)],
        description=_l("La personne ou la structure qui utilisera la ressource. Vide : votre nom."),
    )
    payment_method = StringField(validators=[DataRequired(), Length(max=120)])


class RefundForm(FlaskForm):
    reason = TextAreaField(_l("Raison du remboursement"), validators=[DataRequired(REQUIRED), Length(max=200)])
    absorb = BooleanField(_l("La plateforme prend le remboursement à sa charge (équipe du Hub)"))
