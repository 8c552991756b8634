from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp

from app.core.errors import ServiceError
from app.core.forms import DecimalCommaField, Form, MultiCheckboxField, check_now
from app.directory.vocab import ORGANISATION_KINDS, choices
from app.vouchers.funders import (
    check_programme_dates,
    check_programme_eligibility,
    check_programme_money,
    existing_account,
)
from app.vouchers.vocab import FUNDER_KINDS, REGION_SUD_DEPARTEMENTS

REQUIRED = _l("Ce champ est obligatoire.")


def euros_to_cents(value: Decimal | None) -> int | None:
    return None if value is None else int((value * 100).to_integral_value())


def _member_account(values: dict) -> None:
    if values["email"]:
        try:
            existing_account(values["email"])
        except ServiceError as error:
            error.field = "member_email"
            raise


class FunderForm(Form):
    name = StringField(_l("Nom du financeur"), validators=[DataRequired(REQUIRED), Length(max=200)])
    kind = SelectField(_l("Type de financeur"), choices=choices(FUNDER_KINDS), validators=[DataRequired(REQUIRED)])
    dep_code = SelectField(
        _l("Territoire"),
        choices=[("", _l("Toute la région ou au-delà")), *REGION_SUD_DEPARTEMENTS.items()],
        validators=[Optional()],
    )
    contact_email = EmailField(
        _l("E-mail de contact"), validators=[Optional(), Email(_l("Adresse e-mail invalide.")), Length(max=320)]
    )
    member_email = EmailField(
        _l("Compte à rattacher (e-mail)"),
        validators=[Optional(), Email(_l("Adresse e-mail invalide.")), Length(max=320)],
        description=_l("La personne doit déjà avoir un compte sur le Hub du Sud."),
    )

    def validate(self, extra_validators=None) -> bool:
        """The fields and the account to attach (it must exist already): every error at once."""
        valid = super().validate(extra_validators)
        email = (self.member_email.data or "").strip()
        return check_now(self, {"email": email}, ((_member_account, ("member_email",)),)) and valid

    def values(self) -> dict:
        return {
            "name": self.name.data.strip(),
            "kind": self.kind.data,
            "dep_code": self.dep_code.data or None,
            "contact_email": (self.contact_email.data or "").strip(),
        }


class MemberForm(FlaskForm):
    email = EmailField(
        _l("E-mail du compte à rattacher"),
        validators=[DataRequired(REQUIRED), Email(_l("Adresse e-mail invalide.")), Length(max=320)],
    )


class ProgrammeForm(Form):
    name = StringField(_l("Nom du programme"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(
        _l("Présentation"),
        validators=[Optional(), Length(max=5000)],
        description=_l("À qui s'adresse le programme, pour quoi faire."),
    )
    face_value = DecimalCommaField(
        _l("Valeur d'un chèque (€)"),
        places=2,
        validators=[InputRequired(REQUIRED), NumberRange(1, 10000, _l("Entre 1 et 10 000 €."))],
    )
    voucher_count = IntegerField(
        _l("Nombre de chèques"),
        validators=[Optional(), NumberRange(1, 100000, _l("Entre 1 et 100 000."))],
        description=_l("Indiquez le nombre de chèques, ou bien le budget."),
    )
    budget = DecimalCommaField(
        _l("Budget (€)"), places=2, validators=[Optional(), NumberRange(1, 5000000, _l("Entre 1 et 5 000 000 €."))]
    )
    valid_from = DateField(_l("Utilisable à partir du"), validators=[Optional()])
    valid_until = DateField(_l("Utilisable jusqu'au"), validators=[Optional()])
    validity_days = IntegerField(
        _l("Durée de validité d'un chèque (jours)"),
        default=365,
        validators=[InputRequired(REQUIRED), NumberRange(30, 730, _l("Entre 30 et 730 jours."))],
    )
    organisation_kinds = MultiCheckboxField(
        _l("Structures éligibles (aucune case : toutes)"), choices=choices(ORGANISATION_KINDS)
    )
    departements = MultiCheckboxField(
        _l("Départements couverts (aucune case et aucune commune : tout le territoire)"),
        choices=list(REGION_SUD_DEPARTEMENTS.items()),
    )
    communes = StringField(
        _l("Communes couvertes (codes INSEE)"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Codes INSEE séparés par des espaces ou des virgules, par exemple 13055 83137."),
    )
    max_per_organisation = IntegerField(
        _l("Chèques au plus par structure"), validators=[Optional(), NumberRange(1, 1000, _l("Entre 1 et 1 000."))]
    )
    require_siret = BooleanField(_l("SIRET valide obligatoire (une structure par SIRET)"), default=True)
    requires_approval = BooleanField(_l("Chaque demande est validée par l'équipe du Hub"))

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the programme's rules across fields (amounts, dates, communes): every error at once."""
        valid = super().validate(extra_validators)
        face, budget = self.face_value.data, self.budget.data
        if budget is not None and not budget.is_finite() and not self.budget.errors:  # "NaN", "inf"
            self.budget.errors = [*self.budget.errors, str(_l("Entre 1 et 5 000 000 €."))]
            valid = False
        values = {
            "face_value_cents": euros_to_cents(face) if face is None or face.is_finite() else None,
            "voucher_count": self.voucher_count.data,
            "budget_cents": euros_to_cents(budget) if budget is None or budget.is_finite() else None,
            "valid_from": self.valid_from.data,
            "valid_until": self.valid_until.data,
            "communes": [c for c in (self.communes.data or "").replace(",", " ").split() if c],
        }
        rules = (
            (check_programme_money, ("face_value", "voucher_count", "budget")),
            (check_programme_dates, ("valid_from", "valid_until")),
            (check_programme_eligibility, ("communes",)),
        )
        return check_now(self, values, rules) and valid

    def values(self) -> dict:
        return {
            "name": self.name.data.strip(),
            "description": (self.description.data or "").strip(),
            "face_value_cents": euros_to_cents(self.face_value.data),
            "voucher_count": self.voucher_count.data,
            "budget_cents": euros_to_cents(self.budget.data),
            "valid_from": self.valid_from.data,
            "valid_until": self.valid_until.data,
            "validity_days": self.validity_days.data,
            "organisation_kinds": list(self.organisation_kinds.data or []),
            "departements": list(self.departements.data or []),
            "communes": [c for c in (self.communes.data or "").replace(",", " ").split() if c],
            "max_per_organisation": self.max_per_organisation.data,
            "require_siret": bool(self.require_siret.data),
            "requires_approval": bool(self.requires_approval.data),
        }


class PayForm(FlaskForm):
    """Posted by the payment page's script: the PaymentMethod Stripe.js saved on the SetupIntent."""

    payment_method = HiddenField(
        validators=[
            DataRequired(REQUIRED),
            Length(max=255),
            Regexp(r"^pm_[A-Za-z0-9_]+$", message=_l("Moyen de paiement invalide.")),
        ]
    )


class RequestForm(FlaskForm):
    organisation_id = SelectField(
        _l("Pour la structure"), coerce=int, validate_choice=True, validators=[InputRequired(REQUIRED)]
    )


class DecisionForm(FlaskForm):
    decision = SelectField(choices=[("approve", ""), ("reject", "")], validators=[DataRequired()])
    reason = TextAreaField(_l("Raison (obligatoire pour un refus)"), validators=[Optional(), Length(max=2000)])


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token."""


class BatchForm(FlaskForm):
    """Hub staff build a payout batch following the statements of a month."""

    month = StringField(
        _l("Mois des relevés (AAAA-MM)"),
        validators=[DataRequired(REQUIRED), Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("Mois invalide (AAAA-MM)."))],
    )


class RefundForm(FlaskForm):
    reason = TextAreaField(_l("Raison du remboursement"), validators=[DataRequired(REQUIRED), Length(max=200)])
    absorb = BooleanField(_l("À la charge de la plateforme (la somme a déjà été dépensée ou versée)"))
