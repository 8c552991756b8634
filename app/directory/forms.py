from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from app.core.errors import ServiceError
from app.core.forms import DecimalCommaField, Form, MultiCheckboxField, WebURL, check_now
from app.directory.services import check_offer_availability, check_offer_price, clean_siret
from app.directory.skills import grouped_choices, valid_codes
from app.directory.vocab import (
    LANGUAGES,
    MODALITIES,
    OFFER_CATEGORIES,
    ORGANISATION_KINDS,
    ORGANISATION_SIZES,
    PRICE_MODES,
    PROVIDER_KINDS,
    choices,
)
from app.territory.forms import CommuneField

REQUIRED = _l("Ce champ est obligatoire.")


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


class SiretCheck:
    """The directory's SIRET rule (`clean_siret`: 14 digits, Luhn keys) with the other fields: one pass."""

    def __call__(self, form, field):
        try:
            clean_siret(field.data)
        except ServiceError as error:
            raise ValidationError(str(error.message)) from None


class OrganisationForm(Form):
    name = StringField(_l("Nom de la structure"), validators=[DataRequired(REQUIRED), Length(max=200)])
    kind = SelectField(
        _l("Type de structure"), choices=choices(ORGANISATION_KINDS), validators=[DataRequired(REQUIRED)]
    )
    siret = StringField(
        _l("SIRET"),
        validators=[Optional(), Length(max=20), SiretCheck()],
        description=_l("14 chiffres. Facultatif pour une association sans SIRET."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    size = SelectField(_l("Taille"), choices=choices(ORGANISATION_SIZES), validators=[DataRequired(REQUIRED)])
    commune = CommuneField(_l("Commune"), validators=[DataRequired(REQUIRED)])
    description = TextAreaField(_l("Présentation"), validators=[Optional(), Length(max=5000)])
    contact_email = EmailField(
        _l("E-mail de contact"), validators=[Optional(), Email(_l("Adresse e-mail invalide.")), Length(max=320)]
    )
    contact_phone = StringField(
        _l("Téléphone"), validators=[Optional(), Length(max=30)], render_kw={"autocomplete": "tel"}
    )
    website = URLField(_l("Site web"), validators=[Optional(), WebURL(), Length(max=300)])

    def values(self) -> dict:
        return {
            "name": self.name.data.strip(),
            "kind": self.kind.data,
            "siret": self.siret.data,
            "size": self.size.data,
            "commune_insee": self.commune.commune.insee,
            "description": self.description.data or "",
            "contact_email": self.contact_email.data or "",
            "contact_phone": self.contact_phone.data or "",
            "website": self.website.data or "",
        }


class ProviderForm(Form):
    name = StringField(_l("Nom (personne ou structure)"), validators=[DataRequired(REQUIRED), Length(max=200)])
    kind = SelectField(_l("Vous êtes"), choices=choices(PROVIDER_KINDS), validators=[DataRequired(REQUIRED)])
    siret = StringField(
        _l("SIRET"),
        validators=[Optional(), Length(max=20), SiretCheck()],
        description=_l("Facultatif pour un·e bénévole ; nécessaire pour être payé·e par chèque numérique."),
        render_kw={"inputmode": "numeric"},
    )
    commune = CommuneField(_l("Commune"), validators=[DataRequired(REQUIRED)])
    radius_km = IntegerField(
        _l("Rayon d'intervention (km)"),
        default=30,
        validators=[InputRequired(REQUIRED), NumberRange(0, 500, _l("Entre 0 et 500 km."))],
    )
    remote_capable = BooleanField(_l("J'interviens aussi à distance"))
    languages = MultiCheckboxField(
        _l("Langues"),
        choices=choices(LANGUAGES),
        default=["fr"],
        validators=[DataRequired(_l("Choisissez au moins une langue."))],
    )
    presentation = TextAreaField(_l("Présentation"), validators=[DataRequired(REQUIRED), Length(max=5000)])
    website = URLField(_l("Site web"), validators=[Optional(), WebURL(), Length(max=300)])
    contact_email = EmailField(
        _l("E-mail de contact"),
        validators=[Optional(), Email(_l("Adresse e-mail invalide.")), Length(max=320)],
        description=_l("Donné aux structures dont vous acceptez une mission, et à elles seules."),
    )
    contact_phone = StringField(
        _l("Téléphone"),
        validators=[Optional(), Length(max=30)],
        render_kw={"autocomplete": "tel"},
        description=_l("Facultatif. Donné aux structures dont vous acceptez une mission, et à elles seules."),
    )
    public_address = StringField(
        _l("Adresse d'accueil du public"),
        validators=[Optional(), Length(max=300)],
        render_kw={"autocomplete": "street-address"},
        description=_l(
            "Si vous recevez du public dans un lieu (tiers-lieu, espace numérique) : numéro et rue. "
            "Cette adresse est publiée dans les données ouvertes. Laissez vide sinon."
        ),
    )
    opendata_contact = BooleanField(
        _l("Publier mon e-mail et mon téléphone de contact dans les données ouvertes"),
        default=False,
        description=_l(
            "Facultatif. Sans votre accord, vos coordonnées ne figurent jamais dans les fichiers ouverts du Hub."
        ),
    )
    iban = StringField(
        _l("IBAN"),
        validators=[Optional(), Length(max=50)],
        description=_l("Facultatif : le compte où le Hub vire ce qui vous est dû (chèques, missions)."),
    )
    bic = StringField(_l("BIC"), validators=[Optional(), Length(max=11)])
    bank_holder = StringField(_l("Titulaire du compte"), validators=[Optional(), Length(max=70)])

    def validate_iban(self, field) -> None:
        if not (field.data or "").strip():
            return
        try:
            iban = IBAN(field.data)
        except SchwiftyException:
            raise ValidationError(
                _l("IBAN invalide : vérifiez le numéro (27 caractères pour un compte français).")
            ) from None
        field.data = iban.compact

    def validate_bic(self, field) -> None:
        if not (field.data or "").strip():
            return
        try:
            field.data = BIC(field.data).compact
        except SchwiftyException:
            raise ValidationError(_l("BIC invalide (8 ou 11 caractères).")) from None

    def bank_values(self) -> dict:
        return {
            "iban": (self.iban.data or "").strip() or None,
            "bic": (self.bic.data or "").strip() or None,
            "bank_holder": (self.bank_holder.data or "").strip() or None,
        }

    def values(self) -> dict:
        return self.bank_values() | {
            "name": self.name.data.strip(),
            "kind": self.kind.data,
            "siret": self.siret.data,
            "commune_insee": self.commune.commune.insee,
            "radius_km": self.radius_km.data,
            "remote_capable": bool(self.remote_capable.data),
            "languages": list(self.languages.data),
            "presentation": self.presentation.data,
            "website": self.website.data or "",
            "contact_email": self.contact_email.data or "",
            "contact_phone": (self.contact_phone.data or "").strip(),
            "public_address": (self.public_address.data or "").strip(),
            "opendata_contact": bool(self.opendata_contact.data),
        }


class OfferForm(Form):
    title = StringField(_l("Titre de l'offre"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[DataRequired(REQUIRED), Length(max=10000)])
    category = SelectField(_l("Catégorie"), choices=choices(OFFER_CATEGORIES), validators=[DataRequired(REQUIRED)])
    skills = SkillsField(_l("Compétences"), validators=[DataRequired(_l("Choisissez au moins une compétence."))])
    modality = RadioField(
        _l("Modalité"), choices=choices(MODALITIES), default="on_site", validators=[DataRequired(REQUIRED)]
    )
    duration_hours = DecimalCommaField(
        _l("Durée (heures)"),
        default=2,
        places=1,
        validators=[InputRequired(REQUIRED), NumberRange(0.5, 500, _l("Entre 0,5 et 500 heures."))],
    )
    capacity_per_month = IntegerField(
        _l("Capacité (missions par mois)"),
        default=2,
        validators=[InputRequired(REQUIRED), NumberRange(1, 100, _l("Entre 1 et 100."))],
    )
    price_mode = RadioField(
        _l("Tarif"), choices=choices(PRICE_MODES), default="volunteer", validators=[DataRequired(REQUIRED)]
    )
    price = DecimalCommaField(
        _l("Prix (€ TTC)"),
        places=2,
        validators=[Optional(), NumberRange(0, 100000, _l("Entre 0 et 100 000 €."))],
        description=_l("Pour une offre payante, ou la valeur d'une prestation par chèque numérique."),
    )
    available_from = DateField(_l("Disponible à partir du"), validators=[Optional()])
    available_until = DateField(_l("Disponible jusqu'au"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the offer's rules across fields (price, availability): every error at once."""
        valid = super().validate(extra_validators)
        price = self.price.data
        if price is not None and not price.is_finite() and not self.price.errors:  # "NaN", "inf"
            self.price.errors = [*self.price.errors, str(_l("Entre 0 et 100 000 €."))]
            valid = False
        values = {
            "price_mode": self.price_mode.data,
            "price_cents": round(price * 100) if price is not None and price.is_finite() else None,
            "available_from": self.available_from.data,
            "available_until": self.available_until.data,
        }
        rules = (
            (check_offer_price, ("price_mode", "price")),
            (check_offer_availability, ("available_from", "available_until")),
        )
        return check_now(self, values, rules) and valid

    def values(self) -> dict:
        price = self.price.data
        return {
            "title": self.title.data.strip(),
            "description": self.description.data,
            "category": self.category.data,
            "skills": list(self.skills.data),
            "modality": self.modality.data,
            "duration_hours": float(self.duration_hours.data),
            "capacity_per_month": self.capacity_per_month.data,
            "price_mode": self.price_mode.data,
            "price_cents": round(price * 100) if price is not None else None,
            "available_from": self.available_from.data,
            "available_until": self.available_until.data,
        }


class ModerationForm(FlaskForm):
    reason = TextAreaField(_l("Raison (obligatoire pour un refus)"), validators=[Optional(), Length(max=2000)])


class CatalogueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    category = SelectField(
        _l("Catégorie"), choices=[("", _l("Toutes")), *choices(OFFER_CATEGORIES)], validators=[Optional()]
    )
    price_mode = SelectField(_l("Tarif"), choices=[("", _l("Tous")), *choices(PRICE_MODES)], validators=[Optional()])
    modality = SelectField(_l("Modalité"), choices=[("", _l("Toutes")), *choices(MODALITIES)], validators=[Optional()])
    departement = StringField(_l("Département (numéro)"), validators=[Optional(), Length(max=3)])
    skill = StringField(_l("Compétence"), validators=[Optional(), Length(max=80)])
