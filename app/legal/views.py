"""The legal pages, their history and staff's editing; the terms' acceptance page (asked at the first page a
logged-in person opens after a new version of the terms is published)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core.access import Access, access
from app.core.web import form_status, safe_next, transaction
from app.legal import services
from app.legal.facts import FACTS
from app.legal.forms import AcceptTermsForm, LegalEditForm
from app.legal.models import ACCESSIBILITY, NOTICE, PRIVACY, SLUGS, TERMS

bp = Blueprint("legal", __name__)

TITLES = {
    NOTICE: _l("Mentions légales"),
    TERMS: _l("Conditions d'utilisation"),
    PRIVACY: _l("Politique de confidentialité"),
    ACCESSIBILITY: _l("Déclaration d'accessibilité"),
}
#: The public page of each legal text.
ENDPOINTS = {
    NOTICE: "legal.notice",
    TERMS: "legal.terms",
    PRIVACY: "privacy.policy",  # the register-generated policy (app/privacy) opens with this text
    ACCESSIBILITY: "legal.accessibility",
}
#: Pages a person who must accept new terms may still open: the legal pages themselves, the acceptance.
_OPEN_WHILE_ASKED = {"static", "core.health", "core.set_language", "accounts.logout"}
TERMS_SEEN = "terms_ok"  # the session remembers the version found accepted: one query per page, not two


def _locale() -> str:
    return str(get_locale() or "fr")


def _slug(slug: str) -> str:
    if slug not in SLUGS:
        abort(404)
    return slug


def _page(slug: str):
    version = services.current(slug)
    if version is None:
        abort(404)
    html, language = services.render(version, _locale())
    return render_template(
        "legal/page.html", slug=slug, title=TITLES[slug], version=version, html=html, language=language
    )


@bp.get("/mentions-legales")
@access(Access.PUBLIC)
def notice():
    return _page(NOTICE)


@bp.get("/conditions-utilisation")
@access(Access.PUBLIC)
def terms():
    return _page(TERMS)


@bp.get("/accessibilite")
@access(Access.PUBLIC)
def accessibility():
    return _page(ACCESSIBILITY)


@bp.get("/pages-legales/<slug>/versions")
@access(Access.PUBLIC)
def history(slug: str):
    slug = _slug(slug)
    return render_template(
        "legal/history.html", slug=slug, title=TITLES[slug], versions=services.history(slug), endpoint=ENDPOINTS[slug]
    )


@bp.get("/pages-legales/<slug>/versions/<int:number>")
@access(Access.PUBLIC)
def version_detail(slug: str, number: int):
    slug = _slug(slug)
    with transaction(show=False) as tx:
        version = services.version(slug, number)
    if tx.error is not None:
        abort(404)
    previous = services.previous_of(version)
    html, language = services.render(version, _locale())
    changes = []
    if previous is not None:
        changes = [
            (_("Texte français"), "fr", services.diff(previous.body_fr, version.body_fr)),
            (_("Texte anglais"), "en", services.diff(previous.body_en, version.body_en)),
        ]
    return render_template(
        "legal/version.html",
        slug=slug,
        title=TITLES[slug],
        version=version,
        previous=previous,
        html=html,
        language=language,
        changes=changes,
        current=services.current(slug),
        endpoint=ENDPOINTS[slug],
    )


@bp.route("/pages-legales/<slug>/modifier", methods=["GET", "POST"])
@access(Access.STAFF)
def edit(slug: str):
    slug = _slug(slug)
    current = services.current(slug)
    form = LegalEditForm(
        body_fr=current.body_fr if current else "", body_en=current.body_en if current else "", summary=""
    )
    if form.validate_on_submit():
        with transaction(form) as tx:
            new = services.publish(slug, form.body_fr.data, form.body_en.data, form.summary.data, current_user)
        if tx.ok:
            flash(_("Version %(n)d publiée : elle est en vigueur dès maintenant.", n=new.number), "success")
            return redirect(url_for("legal.history", slug=slug))
    return render_template(
        "legal/edit.html", slug=slug, title=TITLES[slug], form=form, current=current, facts=FACTS
    ), form_status(form)


@bp.route("/conditions-utilisation/accepter", methods=["GET", "POST"])
@access(Access.LOGIN)
def accept_terms():
    target = safe_next(request.args.get("next"), url_for("accounts.dashboard"))
    version = services.current(TERMS)
    if version is None or not services.terms_to_accept(current_user):
        return redirect(target)
    form = AcceptTermsForm(version=str(version.number))
    if form.validate_on_submit():
        shown = form.version.data or ""
        with transaction(form) as tx:
            services.accept_terms(
                current_user, services.valid_terms_number(int(shown) if shown.isdigit() and len(shown) < 6 else None)
            )
        if tx.ok:
            session.pop(TERMS_SEEN, None)
            return redirect(url_for("legal.accept_terms", next=target))  # a newer one meanwhile: asked again
    html, language = services.render(version, _locale())
    return render_template(
        "legal/accept.html", version=version, html=html, language=language, form=form, next=target
    ), form_status(form)


@bp.before_app_request
def ask_for_new_terms():
    """A logged-in person whose accepted terms are older than the ones in force is asked to accept them at
    the next page they open (GET only: a form being sent is never lost). The API is not concerned: a token
    acts under the terms its owner accepted on the site."""
    endpoint = request.endpoint
    if request.method != "GET" or endpoint is None or endpoint in _OPEN_WHILE_ASKED:
        return None
    if request.blueprint in ("legal", "api") or request.path.startswith("/api/"):
        return None
    if not current_user.is_authenticated:
        return None
    in_force = services.current_terms_number()
    if not in_force or session.get(TERMS_SEEN) == in_force:
        return None
    if services.accepted_terms_number(current_user) >= in_force:
        session[TERMS_SEEN] = in_force
        return None
    return redirect(url_for("legal.accept_terms", next=request.full_path.rstrip("?")))
