"""Accounts: sign-up, e-mail confirmation, login, password reset, API tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from app.accounts.models import INTENTS, Intent, MemberRole, Membership, User
from app.core.errors import Forbidden, ServiceError
from app.core.mail import send_mail
from app.core.models import utcnow
from app.core.urls import absolute_url
from app.extensions import db
from app.legal import services as legal

_hasher = PasswordHasher()  # Argon2id with the library's recommended parameters
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def password_problem(password: str, email: str = "") -> str | None:
    """A French reason why a password is too weak, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Le mot de passe doit contenir au moins %(n)d caractères.", n=MIN_PASSWORD_LENGTH)
    if password.lower() == email.lower() or (
        email and email.split("@")[0].lower() in password.lower() and len(email.split("@")[0]) > 3
    ):
        return _("Le mot de passe ne doit pas reprendre votre adresse e-mail.")
    if len(set(password)) < 5:
        return _("Le mot de passe est trop répétitif.")
    return None


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def register_user(
    email: str,
    password: str,
    full_name: str,
    intent: str,
    locale: str = "fr",
    confirm_url_for=None,
    terms_version: int | None = None,
) -> User | None:
    """A new, unconfirmed account; None when the address already has one. Signing up accepts the terms of
    use: the version the form showed (`terms_version`, else the one in force) is recorded with the time.

    The answer must not tell whether the address is known (account enumeration): the caller shows
    the same page either way, and the address's owner gets an e-mail instead (a new confirmation
    link if the account is not confirmed yet, else a warning with the way to log in or reset).
    """
    email = normalise_email(email)
    problem = password_problem(password, email)
    if problem:
        raise ServiceError(problem, field="password")
    existing = get_user_by_email(email)
    if existing is not None:
        hash_password(password)  # the same cost whether or not the address is known
        if existing.is_disabled:
            return None
        if not existing.is_confirmed and confirm_url_for:
            send_confirmation(existing, confirm_url_for)
        elif existing.is_confirmed:
            _warn_signup_attempt(existing)
        return None
    user = User(
        email=email,
        password_hash=hash_password(password),
        full_name=full_name.strip(),
        intent=intent if intent in INTENTS else Intent.ORGANISATION.value,
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    legal.accept_terms(user, legal.valid_terms_number(terms_version))
    if confirm_url_for:
        send_confirmation(user, confirm_url_for)
    return user


def set_intent(user: User, intent: str) -> None:
    """The person says what they come for now: their space shows it first. It grants nothing (a
    funder's agent is attached by the hub staff; a structure, a provider or a producer is created)."""
    if intent not in INTENTS:
        raise ServiceError(_("Choisissez ce que vous venez faire."), field="intent")
    user.intent = intent
    db.session.flush()


def ask_funder_attachment(user: User, organisation: str, message: str = "") -> int:
    """A person who comes for a funder asks to represent it: an e-mail to each hub staff account, who
    attach the account on the funders' page if the request holds. Grants nothing. Returns the number
    of staff accounts told."""
    staff = list(db.session.scalars(select(User).where(User.is_staff.is_(True), User.is_disabled.is_(False))))
    for member in staff:
        send_mail(
            member.email,
            _l("Demande de rattachement à un financeur — Hub du Sud"),
            _l(
                "Bonjour,\n\n%(name)s (%(email)s) demande à représenter « %(organisation)s » comme financeur "
                "sur le Hub du Sud.\n\nSon message :\n%(message)s\n\nSi la demande est fondée, rattachez ce compte "
                "au financeur (en le créant au besoin) : %(url)s",
                name=user.full_name,
                email=user.email,
                organisation=organisation.strip()[:200],
                message=message.strip()[:2000] or "—",
                url=absolute_url("vouchers.staff_funders"),
            ),
        )
    return len(staff)


def _warn_signup_attempt(user: User) -> None:
    send_mail(
        user.email,
        _("Tentative d'inscription avec votre adresse — Hub du Sud"),
        _(
            "Bonjour %(name)s,\n\nQuelqu'un a essayé de créer un compte Hub du Sud avec votre adresse e-mail, "
            "qui a déjà un compte.\n\nSi c'était vous, connectez-vous : %(login)s\n"
            "Mot de passe oublié ? Choisissez-en un nouveau : %(reset)s\n\n"
            "Si ce n'était pas vous, ignorez ce message : votre compte n'a pas changé.",
            name=user.full_name,
            login=absolute_url("accounts.login"),
            reset=absolute_url("accounts.forgot_password"),
        ),
    )


def send_confirmation(user: User, confirm_url_for) -> None:
    token = _serializer("confirm-email").dumps({"uid": user.id, "email": user.email})
    send_mail(
        user.email,
        _l("Confirmez votre adresse e-mail — Hub du Sud"),  # lazy: in the reader's language
        _l(
            "Bonjour %(name)s,\n\nPour activer votre compte Hub du Sud, ouvrez ce lien :\n%(url)s\n\n"
            "Si vous n'êtes pas à l'origine de cette inscription, ignorez ce message.",
            name=user.full_name,
            url=confirm_url_for(token),
        ),
    )


def confirm_email(token: str) -> User:
    try:
        data = _serializer("confirm-email").loads(token, max_age=current_app.config["EMAIL_TOKEN_MAX_AGE"])
    except SignatureExpired:
        raise ServiceError(
            _("Ce lien de confirmation a expiré. Demandez-en un nouveau depuis la page de connexion.")
        ) from None
    except BadSignature:
        raise ServiceError(_("Ce lien de confirmation n'est pas valide.")) from None
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email"):
        raise ServiceError(_("Ce lien de confirmation n'est pas valide."))
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


def authenticate(email: str, password: str) -> User:
    user = get_user_by_email(email)
    if user is None:
        hash_password(password)  # same cost whether or not the account exists
        raise ServiceError(_("Adresse e-mail ou mot de passe incorrect."))
    if not check_password(user, password):
        raise ServiceError(_("Adresse e-mail ou mot de passe incorrect."))
    if user.is_disabled:
        raise ServiceError(_("Ce compte est désactivé. Contactez l'équipe du Hub."))
    if not user.is_confirmed:
        raise ServiceError(_("Confirmez d'abord votre adresse e-mail : un lien vous a été envoyé."))
    user.last_login_at = utcnow()  # retention counts inactivity from here (app/privacy/retention.py)
    return user


def _reset_fingerprint(user: User) -> str:
    # The token dies once the password changes: it carries a digest of the current hash.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def request_password_reset(email: str, reset_url_for) -> None:
    """Always silent about whether the account exists."""
    user = get_user_by_email(email)
    if user is None or user.is_disabled:
        return
    token = _serializer("reset-password").dumps({"uid": user.id, "fp": _reset_fingerprint(user)})
    send_mail(
        user.email,
        _l("Réinitialisation de votre mot de passe — Hub du Sud"),  # lazy: the reader's language
        _l(
            "Bonjour %(name)s,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien (valable %(hours)d h) :\n%(url)s\n\n"
            "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe reste inchangé.",
            name=user.full_name,
            url=reset_url_for(token),
            hours=max(1, current_app.config["RESET_TOKEN_MAX_AGE"] // 3600),
        ),
    )


def user_for_reset_token(token: str) -> User:
    try:
        data = _serializer("reset-password").loads(token, max_age=current_app.config["RESET_TOKEN_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        raise ServiceError(_("Ce lien de réinitialisation n'est plus valide. Faites une nouvelle demande.")) from None
    user = db.session.get(User, data.get("uid"))
    if user is None or data.get("fp") != _reset_fingerprint(user):
        raise ServiceError(_("Ce lien de réinitialisation n'est plus valide. Faites une nouvelle demande."))
    return user


def set_password(user: User, password: str) -> None:
    problem = password_problem(password, user.email)
    if problem:
        raise ServiceError(problem, field="password")
    user.password_hash = hash_password(password)
    user.end_sessions()  # every session opened with the old password ends
    if user.email_confirmed_at is None:  # the reset link proved the address
        user.email_confirmed_at = utcnow()


def set_account_disabled(actor: User, user: User, disabled: bool = True) -> None:
    """Hub staff disable (or enable again) an account; its open sessions end either way."""
    if not actor.is_staff:
        raise Forbidden(_("Seule l'équipe du Hub peut désactiver un compte."))
    user.is_disabled = disabled
    user.end_sessions()
    db.session.flush()


def create_api_token(user: User) -> str:
    """Return a new personal token (shown once); only its SHA-256 is stored."""
    token = "hub_" + secrets.token_urlsafe(32)
    user.api_token_hash = hashlib.sha256(token.encode()).hexdigest()
    user.api_token_created_at = utcnow()
    return token


def revoke_api_token(user: User) -> None:
    user.api_token_hash = None
    user.api_token_created_at = None


def user_for_api_token(token: str) -> User | None:
    if not token:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    user = db.session.scalar(select(User).where(User.api_token_hash == digest))
    return user if user is not None and user.is_active and user.is_confirmed else None


def add_membership(user: User, *, organisation=None, provider=None, role: MemberRole = MemberRole.OWNER) -> Membership:
    membership = Membership(user=user, organisation=organisation, provider=provider, role=role)
    db.session.add(membership)
    return membership


def make_admin(email: str, password: str | None = None, full_name: str = "Administrateur") -> tuple[User, bool]:
    """Create or promote a hub staff admin. Returns (user, created)."""
    user = get_user_by_email(email)
    created = user is None
    if created:
        if not password:
            raise ServiceError(_("Un mot de passe est nécessaire pour créer le compte."))
        problem = password_problem(password, email)
        if problem:
            raise ServiceError(problem)
        user = User(
            email=normalise_email(email),
            password_hash=hash_password(password),
            full_name=full_name,
            intent=Intent.ORGANISATION.value,
        )
        db.session.add(user)
    elif password:
        set_password(user, password)
    user.is_staff = True
    user.is_admin = True
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    db.session.flush()
    return user, created
