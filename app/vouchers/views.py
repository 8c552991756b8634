"""Pages of the vouchers: funders create and pay programmes and follow them; organisations
request, print and use their vouchers; hub staff manage funders and approve requests."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.billing.gateway import current_gateway, register_dev_webhook
from app.billing.responses import card_payment_answer
from app.core.access import Access, access
from app.core.errors import ServiceError
from app.core.inputs import parse_id
from app.core.jobs import commit
from app.core.security import no_store
from app.core.web import flash_form_error, form_status, submit_form
from app.directory.models import Organisation
from app.extensions import db
from app.matches.models import Mission, MissionStatus
from app.models import Voucher, VoucherProgramme
from app.vouchers import missions, services
from app.vouchers.forms import (
    ActionForm,
    BatchForm,
    DecisionForm,
    FunderForm,
    MemberForm,
    PayForm,
    ProgrammeForm,
    RefundForm,
    RequestForm,
)
from app.vouchers.models import Funder, VoucherRequest
from app.vouchers.vocab import FUNDER_KINDS, PAYMENT_STATUSES, PROGRAMME_STATUSES, REQUEST_STATUSES, VOUCHER_STATUSES

bp = Blueprint("vouchers", __name__)


@bp.record_once
def _payment_hooks(_state) -> None:
    from payments.checkout import register_success_hook

    register_success_hook("programme_funding", services.on_programme_funded)


@bp.record_once
def _template_globals(state) -> None:  # globals: the macros see them too
    state.app.jinja_env.globals.update(
        VOUCHER_STATUSES=VOUCHER_STATUSES,
        PROGRAMME_STATUSES=PROGRAMME_STATUSES,
        PAYMENT_STATUSES=PAYMENT_STATUSES,
        REQUEST_STATUSES=REQUEST_STATUSES,
        FUNDER_KINDS=FUNDER_KINDS,
    )


@bp.app_context_processor
def _nav():
    return {"is_funder": services.is_funder_member(current_user)}


@bp.app_template_global()
def mission_vouchers(mission) -> dict:
    """For the mission page: the vouchers of the mission and what the organisation could still reserve."""
    vouchers = missions.vouchers_for(mission)
    return {
        "vouchers": vouchers,
        "funded": missions.takes_vouchers(mission),
        "price_cents": missions.price_cents(mission),
        "covered_cents": missions.covered_cents(mission),
        "card_paid_cents": missions.card_paid_cents(mission),
        "remainder_cents": missions.remainder_cents(mission),
        "usable": len(missions.usable_vouchers(mission.need.organisation_id))
        if mission.status in (MissionStatus.PLANNED, MissionStatus.IN_PROGRESS)
        else 0,
    }


def _get(model, ident):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def _programme(programme_id: int):
    programme = db.session.get(VoucherProgramme, programme_id)
    if programme is None or not services.can_manage_programme(current_user, programme):
        abort(404)  # another funder's programme is not shown, nor confirmed to exist
    return programme


def _voucher(voucher_id: int):
    voucher = db.session.get(Voucher, voucher_id)
    if voucher is None or not services.can_see_voucher(current_user, voucher):
        abort(404)
    return voucher


# ------------------------------------------------------------------ funders


@bp.get("/financeur/")
@access(Access.FUNDER)
def funder_dashboard():
    funders = services.funders_of(current_user)
    programmes = services.programmes_of(current_user)
    return render_template(
        "vouchers/funder_dashboard.html",
        funders=funders,
        figures=services.dashboard(programmes),
        funders_by_id={f.id: f for f in db.session.scalars(select(Funder))},
    )


def _funder_choices() -> list[Funder]:
    return services.funders_of(current_user)


@bp.route("/financeur/programmes/nouveau", methods=["GET", "POST"])
@access(Access.FUNDER)
def programme_new():
    funders = _funder_choices()
    wanted = parse_id(request.values.get("financeur"))
    funder = next((f for f in funders if f.id == wanted), funders[0] if len(funders) == 1 else None)
    if funder is None:
        if not funders:
            flash(_("Aucun financeur n'est encore déclaré : créez-en un d'abord."), "info")
            return redirect(url_for("vouchers.staff_funders"))
        return render_template("vouchers/choose_funder.html", funders=funders), (
            400 if request.method == "POST" else 200
        )
    form = ProgrammeForm()
    done = submit_form(
        form,
        lambda: services.create_programme(current_user, funder, form.values()),
        _("Programme créé. Payez-le pour que les chèques puissent être émis."),
        lambda programme: url_for("vouchers.programme_pay", programme_id=programme.id),
    )
    if done is not None:
        return done
    return render_template("vouchers/programme_form.html", form=form, funder=funder), form_status(form)


@bp.get("/financeur/programmes/<int:programme_id>")
@access(Access.FUNDER)
def programme_detail(programme_id: int):
    programme = _programme(programme_id)
    return render_template(
        "vouchers/programme.html",
        programme=programme,
        settings=services.programme_settings(programme),
        funder=db.session.get(Funder, programme.funder_id),
        figures=services.dashboard([programme]),
        payments=services.programme_payments(programme),
    )


@bp.get("/financeur/programmes/<int:programme_id>/paiement")
@access(Access.FUNDER)
def programme_pay(programme_id: int):
    programme = _programme(programme_id)
    funder = db.session.get(Funder, programme.funder_id)
    setup, error = None, None
    if services.needs_payment(programme):
        register_dev_webhook()  # localstripe forgets it at each restart
        try:
            setup = services.start_card_setup(current_user, programme, current_gateway())
            commit()  # the funder's Stripe customer, created once
        except ServiceError as exc:
            db.session.rollback()
            error = str(exc.message)
    from flask import current_app

    return render_template(
        "vouchers/pay.html",
        programme=programme,
        funder=funder,
        setup=setup,
        error=error,
        form=PayForm(),
        publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY", ""),
        state=services.funding_state(programme),
    ), (503 if error else 200)


@bp.post("/financeur/programmes/<int:programme_id>/paiement")
@access(Access.FUNDER)
def programme_pay_confirm(programme_id: int):
    """Called by the payment page's script (form-encoded, with the CSRF token); answers JSON."""
    programme = _programme(programme_id)
    form = PayForm()
    if not form.validate_on_submit():
        return jsonify(
            status="invalid", message=_("Moyen de paiement invalide. Rechargez la page et recommencez.")
        ), 400
    return card_payment_answer(
        lambda: services.pay_programme(current_user, programme, form.payment_method.data, current_gateway()),
        redirect=url_for("vouchers.programme_detail", programme_id=programme_id),
        success_message=_("Paiement reçu : le programme est actif, les chèques peuvent être émis."),
    )


@bp.get("/financeur/programmes/<int:programme_id>/paiement/etat")
@access(Access.FUNDER)
def programme_pay_state(programme_id: int):
    state = services.funding_state(_programme(programme_id))
    if state["funded"]:
        state["redirect"] = url_for("vouchers.programme_detail", programme_id=programme_id)
    return jsonify(state)


# ------------------------------------------------------------------ organisations


@bp.get("/cheques/")
@access(Access.ORG_MEMBER)
@no_store  # voucher codes
def my_vouchers():
    organisations = [m.organisation for m in current_user.memberships if m.organisation_id]
    offers = []
    for programme in services.open_programmes():
        settings = services.programme_settings(programme)
        eligible = [(org, services.eligibility_problems(programme, org)) for org in organisations]
        offers.append((programme, settings, eligible))
    return render_template(
        "vouchers/my_vouchers.html",
        vouchers=services.vouchers_of(current_user),
        requests=services.requests_of(current_user),
        offers=offers,
        organisations=organisations,
        form=ActionForm(),
        funders_by_id={f.id: f for f in db.session.scalars(select(Funder))},
    )


@bp.post("/cheques/programmes/<int:programme_id>/demande")
@access(Access.ORG_MEMBER)
def request_voucher(programme_id: int):
    programme = db.session.get(VoucherProgramme, programme_id)
    if programme is None or programme.status != "funded":
        abort(404)
    form = RequestForm()
    form.organisation_id.choices = [
        (m.organisation_id, m.organisation.name) for m in current_user.memberships if m.organisation_id
    ]
    if not form.validate_on_submit():
        flash(_("Choisissez votre structure (ou rechargez la page)."), "error")
        return redirect(url_for("vouchers.my_vouchers"))
    try:
        result = services.request_voucher(
            current_user, programme, db.session.get(Organisation, form.organisation_id.data)
        )
        commit()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("vouchers.my_vouchers"))
    if isinstance(result, VoucherRequest):
        flash(_("Demande envoyée : l'équipe du Hub la valide, vous recevrez un e-mail."), "success")
        return redirect(url_for("vouchers.my_vouchers"))
    flash(_("Votre chèque est émis."), "success")
    return redirect(url_for("vouchers.voucher_detail", voucher_id=result.id))


@bp.get("/cheques/<int:voucher_id>")
@access(Access.ORG_MEMBER)
@no_store  # voucher codes
def voucher_detail(voucher_id: int):
    voucher = _voucher(voucher_id)
    programme = db.session.get(VoucherProgramme, voucher.programme_id)
    mission = None
    if voucher.reserved_for and voucher.reserved_for.startswith("mission:"):
        mission = db.session.get(Mission, int(voucher.reserved_for.split(":")[1]))
    return render_template(
        "vouchers/voucher.html",
        voucher=voucher,
        programme=programme,
        mission=mission,
        funder=db.session.get(Funder, programme.funder_id),
        organisation=db.session.get(Organisation, voucher.organisation_id),
    )


@bp.get("/cheques/<int:voucher_id>/cheque.pdf")
@access(Access.ORG_MEMBER)
@no_store  # voucher codes
def voucher_pdf(voucher_id: int):
    voucher = _voucher(voucher_id)
    response = Response(_voucher_pdf(voucher), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="cheque-{voucher.code}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _voucher_pdf(voucher) -> bytes:
    from app.core.urls import absolute_url
    from app.vouchers.pdf import VoucherSheet, render
    from payments.rules import utc

    programme = db.session.get(VoucherProgramme, voucher.programme_id)
    funder = db.session.get(Funder, programme.funder_id)
    organisation = db.session.get(Organisation, voucher.organisation_id)
    day = lambda value: utc(value).astimezone(services.PARIS).strftime("%d/%m/%Y")  # noqa: E731
    return render(
        VoucherSheet(
            title=_("Chèque d'accompagnement numérique"),
            code=voucher.code,
            value=services._euros(voucher.face_value_cents),
            programme=_("Programme : %(name)s", name=programme.name),
            funder=_("Financé par : %(name)s", name=funder.name if funder else ""),
            holder=_("Structure bénéficiaire : %(name)s", name=organisation.name if organisation else ""),
            validity=_("Valable du %(start)s au %(end)s", start=day(voucher.valid_from), end=day(voucher.expires_at)),
            check_url=absolute_url("vouchers.verify", code=voucher.code),
            lines=(
                _(
                    "État au %(date)s : %(status)s",
                    date=day(services.utcnow()),
                    status=VOUCHER_STATUSES.get(voucher.status, voucher.status),
                ),
            ),
            footer=_(
                "Ce chèque finance l'accompagnement de votre structure par une équipe de médiation numérique\n"
                "du Hub du Sud. Il est réservé quand un prestataire accepte votre besoin, puis utilisé quand\n"
                "vous confirmez tous les deux la réalisation. Gardez son code : il ne peut servir qu'une fois."
            ),
        )
    )


@bp.get("/cheques/verifier")
@access(Access.LOGIN)
@no_store  # voucher codes
def verify():
    """A provider checks a typed or scanned code (the voucher's QR code leads here)."""
    code = (request.args.get("code") or "").strip()[:60]
    voucher, problem = services.check_code(code) if code else (None, None)
    programme = organisation = None
    if voucher is not None:
        programme = db.session.get(VoucherProgramme, voucher.programme_id)
        organisation = db.session.get(Organisation, voucher.organisation_id)
    return render_template(
        "vouchers/verify.html",
        code=code,
        voucher=voucher,
        problem=problem,
        programme=programme,
        organisation=organisation,
    )


@bp.post("/cheques/missions/<int:mission_id>/reserver")
@access(Access.ORG_MEMBER)
def reserve_for_mission(mission_id: int):
    """The organisation reserves its vouchers for a mission accepted before it had any."""
    mission = db.session.get(Mission, mission_id)
    if mission is None or mission.need.organisation_id not in current_user.organisation_ids:
        abort(404)
    back = url_for("matches.mission_detail", mission_id=mission.id)
    if not ActionForm().validate_on_submit():
        flash(_("Le formulaire a expiré : rechargez la page."), "error")
        return redirect(back)
    if not missions.is_voucher_funded(mission) or mission.status not in (
        MissionStatus.PLANNED,
        MissionStatus.IN_PROGRESS,
    ):
        flash(_("Cette mission n'est pas financée par chèque, ou elle est terminée."), "error")
        return redirect(back)
    if missions.offer_refusal(mission):  # a free offer, or one that takes no voucher
        flash(missions.refusal_message(missions.offer_refusal(mission)), "error")
        return redirect(back)
    reserved = missions.reserve_for_mission(mission)
    commit()
    if reserved:
        flash(_("%(n)d chèque(s) réservé(s) pour cette mission.", n=len(reserved)), "success")
    else:
        flash(_("Aucun chèque disponible : demandez-en un dans « Mes chèques »."), "error")
    return redirect(back)


def _org_mission(mission_id: int) -> Mission:
    mission = db.session.get(Mission, mission_id)
    if mission is None or mission.need.organisation_id not in current_user.organisation_ids:
        abort(404)
    return mission


@bp.get("/cheques/missions/<int:mission_id>/paiement")
@access(Access.ORG_MEMBER)
def mission_pay(mission_id: int):
    """The organisation pays by card what its vouchers leave of the mission's price."""
    from flask import current_app

    mission = _org_mission(mission_id)
    setup, error = None, None
    if missions.remainder_cents(mission):
        register_dev_webhook()
        try:
            setup = missions.start_remainder_setup(current_user, mission, current_gateway())
        except ServiceError as exc:
            db.session.rollback()
            error = str(exc.message)
    return render_template(
        "vouchers/pay_mission.html",
        mission=mission,
        setup=setup,
        error=error,
        price_cents=missions.price_cents(mission) or 0,
        covered_cents=missions.covered_cents(mission),
        paid_cents=missions.card_paid_cents(mission),
        remainder_cents=missions.remainder_cents(mission),
        publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY", ""),
        form=PayForm(),
    ), (503 if error else 200)


@bp.post("/cheques/missions/<int:mission_id>/paiement")
@access(Access.ORG_MEMBER)
def mission_pay_confirm(mission_id: int):
    mission = _org_mission(mission_id)
    form = PayForm()
    if not form.validate_on_submit():
        return jsonify(
            status="invalid", message=_("Moyen de paiement invalide. Rechargez la page et recommencez.")
        ), 400
    return card_payment_answer(
        lambda: missions.pay_remainder(current_user, mission, form.payment_method.data, current_gateway()),
        redirect=url_for("matches.mission_detail", mission_id=mission.id),
        success_message=_("Paiement reçu : le prestataire est payé à la réalisation de la mission."),
    )


@bp.get("/cheques/missions/<int:mission_id>/paiement/etat")
@access(Access.ORG_MEMBER)
def mission_pay_state(mission_id: int):
    mission = _org_mission(mission_id)
    state = missions.remainder_state(mission)
    if state["done"]:
        state["redirect"] = url_for("matches.mission_detail", mission_id=mission.id)
    return jsonify(state)


# ------------------------------------------------------------------ hub staff


@bp.route("/moderation/financeurs", methods=["GET", "POST"])
@access(Access.STAFF)
def staff_funders():
    form = FunderForm()
    if form.validate_on_submit():
        try:
            funder = services.create_funder(current_user, form.values())
            if form.member_email.data:
                services.add_funder_member(current_user, funder, form.member_email.data)
            commit()
            flash(_("Financeur « %(name)s » créé.", name=funder.name), "success")
            return redirect(url_for("vouchers.staff_funders"))
        except ServiceError as error:
            db.session.rollback()
            if error.field == "email":
                error.field = "member_email"
            flash_form_error(form, error)
    funders = list(db.session.scalars(select(Funder).order_by(Funder.name)))
    return render_template(
        "vouchers/staff_funders.html",
        form=form,
        funders=funders,
        member_form=MemberForm(),
        requests=services.pending_requests(),
    ), form_status(form)


@bp.post("/moderation/financeurs/<int:funder_id>/membres")
@access(Access.STAFF)
def staff_funder_member(funder_id: int):
    funder = _get(Funder, funder_id)
    form = MemberForm()
    if not form.validate_on_submit():
        flash(_("Adresse e-mail invalide ou formulaire expiré."), "error")
        return redirect(url_for("vouchers.staff_funders"))
    try:
        services.add_funder_member(current_user, funder, form.email.data)
        commit()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("vouchers.staff_funders"))
    flash(_("Compte rattaché à « %(name)s ».", name=funder.name), "success")
    return redirect(url_for("vouchers.staff_funders"))


@bp.get("/moderation/cheques/demandes")
@access(Access.STAFF)
def staff_requests():
    pending = services.pending_requests()
    return render_template(
        "vouchers/staff_requests.html",
        requests=pending,
        form=DecisionForm(),
        problems={r.id: services.eligibility_problems(r.programme, r.organisation, requested=0) for r in pending},
    )


@bp.post("/moderation/cheques/demandes/<int:request_id>")
@access(Access.STAFF)
def staff_request_decide(request_id: int):
    voucher_request = _get(VoucherRequest, request_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Décision inconnue ou formulaire expiré."), "error")
        return redirect(url_for("vouchers.staff_requests"))
    try:
        services.decide_request(current_user, voucher_request, form.decision.data == "approve", form.reason.data)
        commit()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("vouchers.staff_requests"))
    flash(_("Décision enregistrée."), "success")
    return redirect(url_for("vouchers.staff_requests"))


# ------------------------------------------------------------------ clearing (hub staff)


def _month_arg() -> str:
    from app.vouchers import clearing

    return clearing.parse_month(request.args.get("mois")) or clearing.previous_month()


@bp.get("/moderation/versements")
@access(Access.STAFF)
def staff_clearing():

    month = _month_arg()
    return _clearing_page(month, BatchForm(month=month))


def _clearing_page(month: str, form: BatchForm):
    from app.vouchers import clearing

    statements = [clearing.statement(p, month) for p in clearing.providers_with_activity()]
    return render_template(
        "vouchers/staff_clearing.html",
        month=month,
        statements=statements,
        plan=clearing.plan_batch(),
        batches=clearing.batches(),
        form=form,
    )


@bp.get("/moderation/versements/prestataires/<int:provider_id>")
@access(Access.STAFF)
def staff_statement(provider_id: int):
    from app.directory.models import Provider
    from app.vouchers import clearing

    provider = _get(Provider, provider_id)
    return render_template("vouchers/statement.html", statement=clearing.statement(provider, _month_arg()))


@bp.get("/prestataire/<int:provider_id>/releve")
@access(Access.PROVIDER_MEMBER)
def provider_statement(provider_id: int):
    """A provider's own monthly statement: vouchers redeemed, mission card payments, what is owed."""
    from app.directory.models import Provider
    from app.directory.services import can_manage_provider
    from app.vouchers import clearing

    provider = _get(Provider, provider_id)
    if not can_manage_provider(current_user, provider):
        abort(404)
    return render_template("vouchers/statement.html", statement=clearing.statement(provider, _month_arg()), own=True)


@bp.post("/moderation/versements/lots")
@access(Access.STAFF)
def staff_batch_new():
    from app.vouchers import clearing

    form = BatchForm()
    done = submit_form(
        form,
        lambda: clearing.create_batch(current_user, form.month.data),
        _("Lot de virements créé : téléchargez le fichier SEPA pour la banque."),
        lambda batch: url_for("vouchers.staff_batch", batch_id=batch.id),
    )
    return done or (_clearing_page(clearing.previous_month(), form), form_status(form))


@bp.get("/moderation/versements/lots/<int:batch_id>")
@access(Access.STAFF)
def staff_batch(batch_id: int):
    from app.vouchers.models import PayoutBatch

    return render_template("vouchers/payout_batch.html", batch=_get(PayoutBatch, batch_id), form=ActionForm())


@bp.get("/moderation/versements/lots/<int:batch_id>/pain001.xml")
@access(Access.STAFF)
def staff_batch_xml(batch_id: int):
    from app.vouchers.models import PayoutBatch

    batch = _get(PayoutBatch, batch_id)
    return Response(
        batch.document,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="virements-{batch.month}-{batch.id}.xml"'},
    )


@bp.post("/moderation/versements/lots/<int:batch_id>/confirmer")
@access(Access.STAFF)
def staff_batch_confirm(batch_id: int):
    from app.vouchers import clearing
    from app.vouchers.models import PayoutBatch

    batch = _get(PayoutBatch, batch_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    already = batch.confirmed_at is not None
    clearing.confirm_batch(current_user, batch)
    commit()
    flash(
        _("Ce lot était déjà confirmé.") if already else _("Virements confirmés : les soldes sont à jour."),
        "info" if already else "success",
    )
    return redirect(url_for("vouchers.staff_batch", batch_id=batch.id))


@bp.get("/moderation/paiements")
@access(Access.STAFF)
def staff_payments():
    from app.vouchers import clearing

    return render_template("vouchers/staff_payments.html", payments=clearing.refundable_payments(), form=RefundForm())


@bp.post("/moderation/paiements/<int:payment_id>/rembourser")
@access(Access.STAFF)
def staff_payment_refund(payment_id: int):
    from app.models import Payment
    from app.vouchers import clearing

    payment = _get(Payment, payment_id)
    form = RefundForm()
    done = submit_form(
        form,
        lambda: clearing.refund_card_payment(
            current_user, payment, current_gateway(), form.reason.data, absorb=form.absorb.data
        ),
        _("Paiement remboursé."),
        url_for("vouchers.staff_payments"),
    )
    return done or (
        render_template(
            "vouchers/staff_payments.html", payments=clearing.refundable_payments(), form=form, failed=payment.id
        ),
        form_status(form),
    )
