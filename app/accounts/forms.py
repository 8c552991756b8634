from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

INTENTS = [
    ("organisation", _l("Je représente une petite organisation qui cherche un accompagnement")),
    ("provider", _l("Je propose mon aide : expert·e, médiateur·rice, tiers-lieu")),
]


class SignupForm(FlaskForm):
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
        validators=[DataRequired(_l("Choisissez un mot de passe.")), Length(max=200)],
        description=_l("Au moins 10 caractères. Une phrase de passe est idéale."),
        render_kw={"autocomplete": "new-password"},
    )
    intent = RadioField(
        _l("Vous êtes"),
        choices=INTENTS,
        default="organisation",
        validators=[DataRequired(_l("Dites-nous pourquoi vous venez."))],
    )
    accept = BooleanField(
        _l("J'accepte les conditions d'utilisation et la charte de confidentialité"),
        validators=[DataRequired(_l("Vous devez accepter les conditions pour continuer."))],
    )


class LoginForm(FlaskForm):
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


class EmailForm(FlaskForm):
    email = EmailField(
        _l("Adresse e-mail"),
        validators=[
            DataRequired(_l("Indiquez votre adresse e-mail.")),
            Email(_l("Adresse e-mail invalide.")),
            Length(max=320),
        ],
        render_kw={"autocomplete": "email"},
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[DataRequired(_l("Choisissez un mot de passe.")), Length(max=200)],
        description=_l("Au moins 10 caractères."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Confirmez le mot de passe"),
        validators=[EqualTo("password", _l("Les deux mots de passe diffèrent."))],
        render_kw={"autocomplete": "new-password"},
    )


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for buttons that change something."""
