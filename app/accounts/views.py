from __future__ import annotations

import math

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.accounts import services, throttle
from app.accounts.dashboard import dashboard_context
from app.accounts.forms import (
    INTENTS,
    EmailForm,
    EmptyForm,
    FunderWishForm,
    IntentForm,
    LoginForm,
    NewPasswordForm,
    SignupForm,
)
from app.accounts.models import Intent
from app.core.access import Access, access
from app.core.errors import ServiceError
from app.core.jobs import commit
from app.core.security import no_store
from app.core.web import form_status, safe_next, transaction

bp = Blueprint("accounts", __name__)

AFTER_LOGIN = "after_login"  # a page a visitor was going to when they signed up (an offer to ask for)


def _confirm_url(token: str) -> str:
    return url_for("accounts.confirm", token=token, _external=True)


def _reset_url(token: str) -> str:
    return url_for("accounts.reset_password", token=token, _external=True)


def _client_ip() -> str:
    return request.remote_addr or "unknown"  # the proxy's client address when TRUSTED_PROXIES is set


def _too_many(error: throttle.Throttled):
    """429, a French page and Retry-After."""
    minutes = max(1, math.ceil(error.retry_after / 60))
    response = make_response(
        render_template(
            "core/error.html",
            status=429,
            title=_("Trop de tentatives"),
            message=_(
                "Trop de tentatives en peu de temps depuis votre connexion. Réessayez dans %(n)d min.", n=minutes
            ),
        ),
        429,
    )
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def _counted(rule: str):
    """Count one request of this IP under `rule`; a Throttled error when none is left."""
    throttle.reserve((rule, _client_ip()))


@bp.route("/inscription", methods=["GET", "POST"])
@access(Access.PUBLIC)
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    wanted = request.args.get("profil", "")
    form = SignupForm(intent=wanted if wanted in dict(INTENTS) else Intent.ORGANISATION.value)
    if safe_next(request.args.get("next"), ""):  # where the person was going: back there after the first login
        session[AFTER_LOGIN] = request.args["next"]
    if form.validate_on_submit():
        try:
            _counted("signup_ip")
        except throttle.Throttled as error:
            return _too_many(error)
        with transaction(form) as tx:
            # The same page whether or not the address already has an account (no enumeration).
            services.register_user(
                form.email.data,
                form.password.data,
                form.full_name.data,
                form.intent.data,
                locale=session.get("lang", "fr"),
                confirm_url_for=_confirm_url,
                terms_version=form.terms_version_number(),
            )
        if tx.ok:
            return render_template("accounts/check_email.html", email=form.email.data)
    return render_template("accounts/signup.html", form=form), form_status(form)


@bp.get("/confirmer/<token>")
@access(Access.PUBLIC)
def confirm(token: str):
    with transaction(show=False) as tx:
        services.confirm_email(token)
    if tx.error is not None:
        return render_template(
            "core/error.html", status=400, title=_("Lien invalide"), message=str(tx.error.message)
        ), 400
    flash(_("Votre adresse est confirmée. Vous pouvez vous connecter."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/confirmer", methods=["GET", "POST"])
@access(Access.PUBLIC)
def resend_confirmation():
    form = EmailForm()
    if form.validate_on_submit():
        try:
            _counted("reset_ip")
        except throttle.Throttled as error:
            return _too_many(error)
        user = services.get_user_by_email(form.email.data)
        if user is not None and not user.is_confirmed:
            services.send_confirmation(user, _confirm_url)
            commit()
        flash(_("Si un compte non confirmé existe pour cette adresse, un nouveau lien vient d'être envoyé."), "info")
        return redirect(url_for("accounts.login"))
    return render_template(
        "accounts/email_form.html", form=form, title=_("Recevoir un nouveau lien de confirmation")
    ), 422 if form.errors else 200


@bp.route("/connexion", methods=["GET", "POST"])
@access(Access.PUBLIC)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        try:  # refused before the password is even looked at: no oracle
            attempt = throttle.reserve(*throttle.login_targets(form.email.data, _client_ip()))
        except throttle.Throttled as error:
            return _too_many(error)
        with transaction(form) as tx:  # a rehashed password is saved
            user = services.authenticate(form.email.data, form.password.data)
        if tx.ok:
            attempt.release()  # only failures count
            lang = session.get("lang")
            target = safe_next(request.args.get("next") or session.get(AFTER_LOGIN), url_for("accounts.dashboard"))
            session.clear()  # no session fixation: a fresh session at login
            if lang:
                session["lang"] = lang
            login_user(user, remember=form.remember.data)
            return redirect(target)
    return render_template("accounts/login.html", form=form), form_status(form)


@bp.post("/deconnexion")
@access(Access.LOGIN)
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
        flash(_("Vous êtes déconnecté·e."), "info")
    return redirect(url_for("home.index"))


@bp.route("/mot-de-passe/oublie", methods=["GET", "POST"])
@access(Access.PUBLIC)
def forgot_password():
    form = EmailForm()
    if form.validate_on_submit():
        try:
            _counted("reset_ip")
        except throttle.Throttled as error:
            return _too_many(error)
        services.request_password_reset(form.email.data, _reset_url)
        commit()
        flash(_("Si un compte existe pour cette adresse, un lien de réinitialisation vient d'être envoyé."), "info")
        return redirect(url_for("accounts.login"))
    return render_template(
        "accounts/email_form.html", form=form, title=_("Mot de passe oublié")
    ), 422 if form.errors else 200


@bp.route("/mot-de-passe/nouveau/<token>", methods=["GET", "POST"])
@access(Access.PUBLIC)
@no_store  # the reset token is in the URL
def reset_password(token: str):
    try:
        user = services.user_for_reset_token(token)
    except ServiceError as error:
        return render_template("core/error.html", status=400, title=_("Lien invalide"), message=str(error.message)), 400
    form = NewPasswordForm()
    form.account_email = user.email  # the password must not repeat it
    if form.validate_on_submit():
        with transaction(form) as tx:
            services.set_password(user, form.password.data)
        if tx.ok:
            flash(_("Votre mot de passe a été changé. Connectez-vous."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form), 422 if form.errors else 200


@bp.get("/espace")
@access(Access.LOGIN)
def dashboard():
    return render_template("accounts/dashboard.html", funder_form=FunderWishForm(), **dashboard_context(current_user))


@bp.route("/espace/parametres", methods=["GET", "POST"])
@access(Access.LOGIN)
def settings():
    """What the person comes for (their space shows it first), and their API token (for developers)."""
    form = IntentForm(intent=current_user.intent)
    if form.validate_on_submit():
        with transaction(form) as tx:
            services.set_intent(current_user, form.intent.data)
        if tx.ok:
            flash(_("C'est noté : votre espace montre d'abord ce que vous venez faire."), "success")
            return redirect(url_for("accounts.dashboard"))
    return render_template("accounts/settings.html", form=form), form_status(form)


@bp.post("/espace/financeur")
@access(Access.LOGIN)
def funder_wish():
    """A person who comes for a funder asks the hub staff to attach their account: an e-mail to the
    staff, no role (funders are attached by the staff, on /moderation/financeurs)."""
    form = FunderWishForm()
    if form.validate_on_submit():
        try:  # it sends e-mails on demand: the per-IP budget of the other such requests
            _counted("reset_ip")
        except throttle.Throttled as error:
            return _too_many(error)
        services.ask_funder_attachment(current_user, form.organisation.data, form.message.data or "")
        commit()
        flash(
            _(
                "Votre demande est transmise à l'équipe du Hub : elle vous répondra par e-mail à %(email)s.",
                email=current_user.email,
            ),
            "success",
        )
        return redirect(url_for("accounts.dashboard"))
    return render_template("accounts/dashboard.html", funder_form=form, **dashboard_context(current_user)), form_status(
        form
    )


@bp.post("/espace/jeton")
@access(Access.LOGIN)
@no_store  # shows the new token, once
def create_token():
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("accounts.settings"))
    token = services.create_api_token(current_user)
    commit()
    return render_template("accounts/token.html", token=token)


@bp.post("/espace/jeton/revoquer")
@access(Access.LOGIN)
def revoke_token():
    form = EmptyForm()
    if form.validate_on_submit():
        services.revoke_api_token(current_user)
        commit()
        flash(_("Votre jeton d'API est révoqué."), "info")
    return redirect(url_for("accounts.settings"))
