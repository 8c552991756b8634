"""Pages of the organisations: their vouchers and the programmes they may ask vouchers of, a
voucher and its printable sheet, checking a code (for providers too), and a voucher-funded
mission: reserving its vouchers, paying its rest by card; and hub staff deciding the requests."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.forms import EmptyForm
from app.billing.gateway import current_gateway, publishable_key
from app.billing.responses import card_confirm_answer, card_setup, card_setup_answer, card_state_answer
from app.core.access import Access, access
from app.core.models import utcnow
from app.core.security import no_store
from app.core.urls import absolute_url
from app.core.web import load_or_404, transaction
from app.directory.models import Organisation
from app.extensions import db
from app.ledger import VoucherProgramme
from app.matches.models import Mission, MissionStatus
from app.vouchers import missions, services
from app.vouchers.forms import ActionForm, DecisionForm, PayForm, RequestForm
from app.vouchers.messages import mission_refusal_message
from app.vouchers.models import Funder, VoucherRequest
from app.vouchers.pdf import VoucherSheet, render
from app.vouchers.views.common import bp, org_mission_or_404, voucher_or_404
from app.vouchers.vocab import VOUCHER_STATUSES
from payments.codes import ProgrammeStatus
from payments.rules import utc

OPEN_MISSION = (MissionStatus.PLANNED, MissionStatus.IN_PROGRESS)


@bp.app_template_global()
def mission_vouchers(mission) -> dict:
    """For the mission page: the vouchers of the mission and what the organisation could still reserve."""
    return {
        "vouchers": missions.vouchers_for(mission),
        "funded": missions.takes_vouchers(mission),
        "price_cents": missions.price_cents(mission),
        "covered_cents": missions.covered_cents(mission),
        "card_paid_cents": missions.card_paid_cents(mission),
        "remainder_cents": missions.remainder_cents(mission),
        "usable": len(missions.usable_vouchers(mission.need.organisation_id)) if mission.status in OPEN_MISSION else 0,
    }


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
    programme = load_or_404(VoucherProgramme, programme_id, where=lambda p: p.status == ProgrammeStatus.FUNDED)
    form = RequestForm()
    form.organisation_id.choices = [
        (m.organisation_id, m.organisation.name) for m in current_user.memberships if m.organisation_id
    ]
    if not form.validate_on_submit():
        flash(_("Choisissez votre structure (ou rechargez la page)."), "error")
        return redirect(url_for("vouchers.my_vouchers"))
    with transaction() as tx:  # a refusal is flashed
        result = services.request_voucher(
            current_user, programme, db.session.get(Organisation, form.organisation_id.data)
        )
    if not tx.ok:
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
    voucher = voucher_or_404(voucher_id)
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
    voucher = voucher_or_404(voucher_id)
    response = Response(_voucher_pdf(voucher), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="cheque-{voucher.code}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _day(value) -> str:
    return utc(value).astimezone(services.PARIS).strftime("%d/%m/%Y")


def _voucher_pdf(voucher) -> bytes:
    programme = db.session.get(VoucherProgramme, voucher.programme_id)
    funder = db.session.get(Funder, programme.funder_id)
    organisation = db.session.get(Organisation, voucher.organisation_id)
    return render(
        VoucherSheet(
            title=_("Chèque d'accompagnement numérique"),
            code=voucher.code,
            value=services.euros(voucher.face_value_cents),
            programme=_("Programme : %(name)s", name=programme.name),
            funder=_("Financé par : %(name)s", name=funder.name if funder else ""),
            holder=_("Structure bénéficiaire : %(name)s", name=organisation.name if organisation else ""),
            validity=_("Valable du %(start)s au %(end)s", start=_day(voucher.valid_from), end=_day(voucher.expires_at)),
            check_url=absolute_url("vouchers.verify", code=voucher.code),
            lines=(
                _(
                    "État au %(date)s : %(status)s",
                    date=_day(utcnow()),
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


# ------------------------------------------------------------------ vouchers in a mission


@bp.post("/cheques/missions/<int:mission_id>/reserver")
@access(Access.ORG_MEMBER)
def reserve_for_mission(mission_id: int):
    """The organisation reserves its vouchers for a mission accepted before it had any."""
    mission = org_mission_or_404(mission_id)
    back = url_for("matches.mission_detail", mission_id=mission.id)
    if not ActionForm().validate_on_submit():
        flash(_("Le formulaire a expiré : rechargez la page."), "error")
        return redirect(back)
    if not missions.is_voucher_funded(mission) or mission.status not in OPEN_MISSION:
        flash(_("Cette mission n'est pas financée par chèque, ou elle est terminée."), "error")
        return redirect(back)
    refusal = missions.offer_refusal(mission)  # a free offer, or one that takes no voucher
    if refusal:
        flash(mission_refusal_message(refusal), "error")
        return redirect(back)
    with transaction():
        reserved = missions.reserve_for_mission(mission)
    if reserved:
        flash(_("%(n)d chèque(s) réservé(s) pour cette mission.", n=len(reserved)), "success")
    else:
        flash(_("Aucun chèque disponible : demandez-en un dans « Mes chèques »."), "error")
    return redirect(back)


@bp.get("/cheques/missions/<int:mission_id>/paiement")
@access(Access.ORG_MEMBER)
def mission_pay(mission_id: int):
    """The organisation pays by card what its vouchers leave of the mission's price."""
    mission = org_mission_or_404(mission_id)
    setup, error = None, None
    if missions.remainder_cents(mission):
        setup, error = card_setup(lambda: missions.start_remainder_setup(current_user, mission, current_gateway()))
    return render_template(
        "vouchers/pay_mission.html",
        mission=mission,
        setup=setup,
        error=error,
        price_cents=missions.price_cents(mission) or 0,
        covered_cents=missions.covered_cents(mission),
        paid_cents=missions.card_paid_cents(mission),
        remainder_cents=missions.remainder_cents(mission),
        publishable_key=publishable_key(),
        form=PayForm(),
    ), (503 if error else 200)


@bp.post("/cheques/missions/<int:mission_id>/paiement/carte")
@access(Access.ORG_MEMBER)
def mission_pay_card(mission_id: int):
    """Called by the payment page's script before another try: a fresh SetupIntent (JSON)."""
    mission = org_mission_or_404(mission_id)
    return card_setup_answer(
        EmptyForm(), lambda: missions.start_remainder_setup(current_user, mission, current_gateway())
    )


@bp.post("/cheques/missions/<int:mission_id>/paiement")
@access(Access.ORG_MEMBER)
def mission_pay_confirm(mission_id: int):
    mission = org_mission_or_404(mission_id)
    form = PayForm()
    return card_confirm_answer(
        form,
        lambda: missions.pay_remainder(current_user, mission, form.payment_method.data, current_gateway()),
        redirect=url_for("matches.mission_detail", mission_id=mission.id),
        success_message=_("Paiement reçu : le prestataire est payé à la réalisation de la mission."),
    )


@bp.get("/cheques/missions/<int:mission_id>/paiement/etat")
@access(Access.ORG_MEMBER)
def mission_pay_state(mission_id: int):
    mission = org_mission_or_404(mission_id)
    return card_state_answer(
        missions.remainder_state(mission), redirect=url_for("matches.mission_detail", mission_id=mission.id)
    )


# ------------------------------------------------------------------ hub staff decide the requests


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
    voucher_request = load_or_404(VoucherRequest, request_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Décision inconnue ou formulaire expiré."), "error")
        return redirect(url_for("vouchers.staff_requests"))
    with transaction() as tx:  # a refusal is flashed
        services.decide_request(current_user, voucher_request, form.decision.data == "approve", form.reason.data)
    if tx.ok:
        flash(_("Décision enregistrée."), "success")
    return redirect(url_for("vouchers.staff_requests"))
