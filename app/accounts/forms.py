from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from app.accounts.models import Intent
from app.accounts.services import password_problem
from app.core.forms import Form
from app.legal import services as legal

INTENTS = [
    (Intent.ORGANISATION.value, _l("Une association ou une petite structure qui cherche un accompagnement numérique")),
    (Intent.PROVIDER.value, _l("Un·e expert·e, un·e médiateur·rice ou un tiers-lieu qui propose son aide")),
    (Intent.FUNDER.value, _l("Un financeur (collectivité, CAF, fondation…) qui veut financer des chèques numériques")),
    (Intent.PRODUCER.value, _l("Un producteur de ressources de médiation (fiches, ateliers, guides)")),
]


class StrongPassword:
    """The accounts' password rule (`password_problem`), run with the other fields: one pass.
    `email_field`: the field holding the address the password must not repeat (or the form's
    `account_email` attribute, set by the view)."""

    def __init__(self, email_field: str | None = None):
        self.email_field = email_field

    def __call__(self, form, field):
        if not field.data:
            return  # DataRequired says so
        email = form[self.email_field].data if self.email_field else getattr(form, "account_email", "")
        problem = password_problem(field.data, email or "")
        if problem:
            raise ValidationError(problem)


class SignupForm(Form):
    intent = RadioField(
        _l("Vous venez pour"),
        choices=INTENTS,
        default=Intent.ORGANISATION.value,
        validators=[DataRequired(_l("Dites-nous pourquoi vous venez."))],
        description=_l(
            "Votre espace vous montre d'abord ce que vous venez faire ; vous pourrez changer ce choix. "
            "Un compte de financeur est rattaché à son organisme par l'équipe du Hub, après vérification."
        ),
    )
    full_name = StringField(
        _l("Nom et prénom"),
        validators=[DataRequired(_l("Indiquez votre nom.")), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("Adresse e-mail"),
        validators=[
            DataRequired(_l("Indiquez votre adresse e-mail.")),
            Email(_l("Adresse e-mail invalide.")),
            Length(max=320),
        ],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(_l("Choisissez un mot de passe.")), Length(max=200), StrongPassword("email")],
        description=_l("Au moins 10 caractères. Une phrase de passe est idéale."),
        render_kw={"autocomplete": "new-password"},
    )
    accept = BooleanField(
        _l("J'accepte les conditions d'utilisation"),
        validators=[DataRequired(_l("Vous devez accepter les conditions pour continuer."))],
    )
    # The version of the terms the page linked to: the one recorded as accepted (a newer one published
    # meanwhile is asked for at the first page after logging in).
    terms_version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.terms_version.data:
            self.terms_version.data = str(legal.current_terms_number())
        # The label links to the terms (read them before ticking): built per request, in the reader's language.
        self.accept.label.text = Markup(
            _(
                "J'accepte les %(link)s du Hub du Sud, qui disent aussi ce que deviennent mes données",
                link=Markup('<a href="{}">{}</a>').format(
                    url_for("legal.terms"), escape(_("conditions d'utilisation"))
                ),
            )
        )

    def terms_version_number(self) -> int | None:
        value = (self.terms_version.data or "").strip()
        return int(value) if value.isdigit() and len(value) < 6 else None


class IntentForm(Form):
    intent = RadioField(
        _l("Vous venez pour"), choices=INTENTS, validators=[DataRequired(_l("Dites-nous pourquoi vous venez."))]
    )


class FunderWishForm(Form):
    """A person who comes for a funder asks the hub staff to attach their account to it."""

    organisation = StringField(
        _l("Organisme que vous représentez"),
        validators=[DataRequired(_l("Indiquez l'organisme que vous représentez.")), Length(max=200)],
        description=_l("Par exemple : Ville de Digne-les-Bains, CAF du Var, Fondation …"),
        render_kw={"autocomplete": "organization"},
    )
    message = TextAreaField(
        _l("Votre projet (facultatif)"),
        validators=[Length(max=2000)],
        description=_l("Le public, le territoire, le budget envisagé : ce qui aide l'équipe à vous répondre."),
    )


class LoginForm(Form):
    email = EmailField(
        _l("Adresse e-mail"),
        validators=[DataRequired(_l("Indiquez votre adresse e-mail.")), Length(max=320)],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(_l("Indiquez votre mot de passe.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Rester connecté·e"))


class EmailForm(Form):
    email = EmailField(
        _l("Adresse e-mail"),
        validators=[
            DataRequired(_l("Indiquez votre adresse e-mail.")),
            Email(_l("Adresse e-mail invalide.")),
            Length(max=320),
        ],
        render_kw={"autocomplete": "email"},
    )


class NewPasswordForm(Form):
    """`account_email`: the address of the account whose password changes (set by the view)."""

    account_email = ""
    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[DataRequired(_l("Choisissez un mot de passe.")), Length(max=200), StrongPassword()],
        description=_l("Au moins 10 caractères."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Confirmez le mot de passe"),
        validators=[
            DataRequired(_l("Confirmez le mot de passe.")),
            EqualTo("password", _l("Les deux mots de passe diffèrent.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class EmptyForm(Form):
    """A form with only its CSRF token, for buttons that change something."""
