"""Pages of the funders: their dashboard, a new programme, a programme and paying it by card; and
hub staff declaring the funders and their members."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.forms import EmptyForm
from app.billing.gateway import current_gateway, publishable_key
from app.billing.responses import card_confirm_answer, card_setup, card_setup_answer, card_state_answer
from app.core.access import Access, access
from app.core.access_log import log_read
from app.core.inputs import parse_id
from app.core.web import flash_form_error, form_status, load_or_404, submit_form, transaction
from app.extensions import db
from app.vouchers import funders, services
from app.vouchers.forms import FunderForm, MemberForm, PayForm, ProgrammeForm
from app.vouchers.models import Funder
from app.vouchers.views.common import bp, programme_or_404


@bp.get("/financeur/")
@access(Access.FUNDER)
def funder_dashboard():
    return render_template(
        "vouchers/funder_dashboard.html",
        funders=funders.funders_of(current_user),
        figures=funders.dashboard(funders.programmes_of(current_user)),
        funders_by_id={f.id: f for f in db.session.scalars(select(Funder))},
    )


@bp.route("/financeur/programmes/nouveau", methods=["GET", "POST"])
@access(Access.FUNDER)
def programme_new():
    choices = funders.funders_of(current_user)
    wanted = parse_id(request.values.get("financeur"))
    funder = next((f for f in choices if f.id == wanted), choices[0] if len(choices) == 1 else None)
    if funder is None:
        if not choices:
            flash(_("Aucun financeur n'est encore déclaré : créez-en un d'abord."), "info")
            return redirect(url_for("vouchers.staff_funders"))
        return render_template("vouchers/choose_funder.html", funders=choices), (
            400 if request.method == "POST" else 200
        )
    form = ProgrammeForm()
    done = submit_form(
        form,
        lambda: funders.create_programme(current_user, funder, form.values()),
        _("Programme créé. Payez-le pour que les chèques puissent être émis."),
        lambda programme: url_for("vouchers.programme_pay", programme_id=programme.id),
    )
    if done is not None:
        return done
    return render_template("vouchers/programme_form.html", form=form, funder=funder), form_status(form)


@bp.get("/financeur/programmes/<int:programme_id>")
@access(Access.FUNDER)
def programme_detail(programme_id: int):
    programme = programme_or_404(programme_id)
    return render_template(
        "vouchers/programme.html",
        programme=programme,
        settings=funders.programme_settings(programme),
        funder=db.session.get(Funder, programme.funder_id),
        figures=funders.dashboard([programme]),
        payments=funders.programme_payments(programme),
    )


@bp.get("/financeur/programmes/<int:programme_id>/paiement")
@access(Access.FUNDER)
def programme_pay(programme_id: int):
    programme = programme_or_404(programme_id)
    setup, error = None, None
    if funders.needs_payment(programme):
        setup, error = card_setup(lambda: funders.start_card_setup(current_user, programme, current_gateway()))
    return render_template(
        "vouchers/pay.html",
        programme=programme,
        funder=db.session.get(Funder, programme.funder_id),
        setup=setup,
        error=error,
        form=PayForm(),
        publishable_key=publishable_key(),
        state=funders.funding_state(programme),
    ), (503 if error else 200)


@bp.post("/financeur/programmes/<int:programme_id>/paiement/carte")
@access(Access.FUNDER)
def programme_pay_card(programme_id: int):
    """Called by the payment page's script before another try: a fresh SetupIntent (JSON)."""
    programme = programme_or_404(programme_id)
    return card_setup_answer(
        EmptyForm(),
        lambda: funders.start_card_setup(current_user, programme, current_gateway()),
    )


@bp.post("/financeur/programmes/<int:programme_id>/paiement")
@access(Access.FUNDER)
def programme_pay_confirm(programme_id: int):
    """Called by the payment page's script (form-encoded, with the CSRF token); answers JSON."""
    programme = programme_or_404(programme_id)
    form = PayForm()
    return card_confirm_answer(
        form,
        lambda: funders.pay_programme(current_user, programme, form.payment_method.data, current_gateway()),
        redirect=url_for("vouchers.programme_detail", programme_id=programme_id),
        success_message=_("Paiement reçu : le programme est actif, les chèques peuvent être émis."),
    )


@bp.get("/financeur/programmes/<int:programme_id>/paiement/etat")
@access(Access.FUNDER)
def programme_pay_state(programme_id: int):
    return card_state_answer(
        funders.funding_state(programme_or_404(programme_id)),
        redirect=url_for("vouchers.programme_detail", programme_id=programme_id),
    )


# ------------------------------------------------------------------ hub staff declare the funders


@bp.route("/moderation/financeurs", methods=["GET", "POST"])
@access(Access.STAFF)
def staff_funders():
    form = FunderForm()
    if form.validate_on_submit():
        with transaction(form, show=False) as tx:
            funder = funders.create_funder(current_user, form.values())
            if form.member_email.data:
                funders.add_funder_member(current_user, funder, form.member_email.data)
        if tx.ok:
            flash(_("Financeur « %(name)s » créé.", name=funder.name), "success")
            return redirect(url_for("vouchers.staff_funders"))
        if tx.error.field == "email":
            tx.error.field = "member_email"
        flash_form_error(form, tx.error)
    all_funders = list(db.session.scalars(select(Funder).order_by(Funder.name)))
    log_read("organisation_members", users=[m.user_id for f in all_funders for m in f.members], detail="funders")
    return render_template(
        "vouchers/staff_funders.html",
        form=form,
        funders=all_funders,
        member_form=MemberForm(),
        requests=services.pending_requests(),
    ), form_status(form)


@bp.post("/moderation/financeurs/<int:funder_id>/membres")
@access(Access.STAFF)
def staff_funder_member(funder_id: int):
    funder = load_or_404(Funder, funder_id)
    form = MemberForm()
    if not form.validate_on_submit():
        flash(_("Adresse e-mail invalide ou formulaire expiré."), "error")
        return redirect(url_for("vouchers.staff_funders"))
    with transaction() as tx:  # a refusal is flashed
        funders.add_funder_member(current_user, funder, form.email.data)
    if tx.ok:
        flash(_("Compte rattaché à « %(name)s ».", name=funder.name), "success")
    return redirect(url_for("vouchers.staff_funders"))
