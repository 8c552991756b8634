from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from app.core.forms import Form, MultiCheckboxField, check_now
from app.directory.forms import SkillsField
from app.directory.vocab import MODALITIES, OFFER_CATEGORIES, PRICE_MODES, choices
from app.needs.services import CHARTER_PREFERENCES, check_two_experts, check_wanted, check_window
from app.territory.forms import CommuneField

REQUIRED = _l("Ce champ est obligatoire.")


class NeedForm(Form):
    organisation_id = SelectField(_l("Pour la structure"), coerce=int, validators=[DataRequired(REQUIRED)])
    title = StringField(_l("Titre du besoin"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(
        _l("Décrivez votre besoin"),
        validators=[DataRequired(REQUIRED), Length(max=10000)],
        description=_l("Votre situation, ce que vous attendez, vos contraintes."),
    )
    skills = SkillsField(_l("Compétences recherchées"))
    categories = MultiCheckboxField(_l("Types d'accompagnement"), choices=choices(OFFER_CATEGORIES))
    accepts_category_only = BooleanField(
        _l("Accepter une offre du bon type d'accompagnement même si elle ne couvre aucune compétence recherchée"),
        description=_l("Sinon, seules les offres qui couvrent au moins une compétence recherchée vous sont proposées."),
    )
    two_experts = BooleanField(
        _l("Besoin de deux experts complémentaires"),
        description=_l(
            "Deux prestataires différents qui, ensemble, couvrent les compétences recherchées : chacun "
            "accepte sa mission et elle se règle à part."
        ),
    )
    commune = CommuneField(_l("Commune"), validators=[DataRequired(REQUIRED)])
    modality = RadioField(
        _l("Modalité"), choices=choices(MODALITIES), default="both", validators=[DataRequired(REQUIRED)]
    )
    window_start = DateField(_l("À partir du"), validators=[Optional()])
    window_end = DateField(_l("Au plus tard le"), validators=[Optional()])
    funding_mode = RadioField(
        _l("Financement"), choices=choices(PRICE_MODES), default="volunteer", validators=[DataRequired(REQUIRED)]
    )
    charter_preference = RadioField(
        _l("Prestataires labellisés charte"),
        choices=choices(CHARTER_PREFERENCES),
        default="",
        validators=[Optional()],
        description=_l("Les prestataires labellisés par la charte du numérique éthique."),
    )
    contact_name = StringField(_l("Personne à contacter"), validators=[DataRequired(REQUIRED), Length(max=120)])
    contact_email = EmailField(
        _l("E-mail de contact"),
        validators=[DataRequired(REQUIRED), Email(_l("Adresse e-mail invalide.")), Length(max=320)],
    )
    contact_phone = StringField(_l("Téléphone"), validators=[Optional(), Length(max=30)])
    answers = HiddenField(validators=[Optional(), Length(max=200)])

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the need's rules across fields (its period, what it asks for): every error at once."""
        valid = super().validate(extra_validators)
        values = {
            "window_start": self.window_start.data,
            "window_end": self.window_end.data,
            "skills": list(self.skills.data or []),
            "categories": list(self.categories.data or []),
            "two_experts": bool(self.two_experts.data),
        }
        rules = (
            (check_window, ("window_start", "window_end")),
            (check_wanted, ("skills", "categories")),
            (check_two_experts, ("skills", "two_experts")),
        )
        return check_now(self, values, rules) and valid

    def values(self) -> dict:
        return {
            "title": self.title.data.strip(),
            "description": self.description.data,
            "skills": list(self.skills.data or []),
            "categories": list(self.categories.data or []),
            "commune_insee": self.commune.commune.insee,
            "modality": self.modality.data,
            "window_start": self.window_start.data,
            "window_end": self.window_end.data,
            "funding_mode": self.funding_mode.data,
            "charter_preference": self.charter_preference.data or "",
            "accepts_category_only": bool(self.accepts_category_only.data),
            "two_experts": bool(self.two_experts.data),
            "contact_name": self.contact_name.data.strip(),
            "contact_email": self.contact_email.data.strip(),
            "contact_phone": (self.contact_phone.data or "").strip(),
        }


class RequestNeedForm(NeedForm):
    """A need prefilled from an offer, reviewed, then sent to that offer's provider (a direct request).
    `request_key`: the same key twice (a double click) makes one request."""

    request_key = HiddenField(validators=[DataRequired(REQUIRED), Length(min=16, max=64)])


class LinkNeedForm(Form):
    """One of the organisation's open needs, sent to the offer's provider (a direct request)."""

    need_id = RadioField(_l("Votre besoin"), coerce=int, validate_choice=True, validators=[DataRequired(REQUIRED)])
    request_key = HiddenField(validators=[DataRequired(REQUIRED), Length(min=16, max=64)])
