"""Pages of the money owed to providers: hub staff see the monthly statements, create and confirm
payout batches (SEPA pain.001), refund card payments; a provider sees its own statement."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.billing.gateway import current_gateway
from app.core.access import Access, access
from app.core.access_log import log_read
from app.core.web import form_status, load_or_404, submit_form, transaction
from app.directory.models import Provider
from app.directory.services import can_manage_provider
from app.ledger import Payment
from app.vouchers import clearing
from app.vouchers.forms import ActionForm, BatchForm, RefundForm
from app.vouchers.models import PayoutBatch
from app.vouchers.views.common import bp


def _month_arg() -> str:
    return clearing.parse_month(request.args.get("mois")) or clearing.previous_month()


@bp.get("/moderation/versements")
@access(Access.STAFF)
def staff_clearing():
    month = _month_arg()
    return _clearing_page(month, BatchForm(month=month))


def _clearing_page(month: str, form: BatchForm):
    return render_template(
        "vouchers/staff_clearing.html",
        month=month,
        statements=[clearing.statement(p, month) for p in clearing.providers_with_activity()],
        plan=clearing.plan_batch(),
        batches=clearing.batches(),
        form=form,
    )


@bp.get("/moderation/versements/prestataires/<int:provider_id>")
@access(Access.STAFF)
def staff_statement(provider_id: int):
    provider = load_or_404(Provider, provider_id)
    log_read("provider_bank", providers=[provider.id], detail=f"provider:{provider.id}")
    return render_template("vouchers/statement.html", statement=clearing.statement(provider, _month_arg()))


@bp.get("/prestataire/<int:provider_id>/releve")
@access(Access.PROVIDER_MEMBER)
def provider_statement(provider_id: int):
    """A provider's own monthly statement: vouchers redeemed, mission card payments, what is owed."""
    provider = load_or_404(Provider, provider_id, where=lambda p: can_manage_provider(current_user, p))
    return render_template("vouchers/statement.html", statement=clearing.statement(provider, _month_arg()), own=True)


@bp.post("/moderation/versements/lots")
@access(Access.STAFF)
def staff_batch_new():
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
    batch = load_or_404(PayoutBatch, batch_id)
    log_read("payout_batch", providers=[line.provider_id for line in batch.lines], detail=f"payout_batch:{batch.id}")
    return render_template("vouchers/payout_batch.html", batch=batch, form=ActionForm())


@bp.get("/moderation/versements/lots/<int:batch_id>/pain001.xml")
@access(Access.STAFF)
def staff_batch_xml(batch_id: int):
    batch = load_or_404(PayoutBatch, batch_id)
    log_read("payout_batch", providers=[line.provider_id for line in batch.lines], detail=f"payout_batch:{batch.id}")
    return Response(
        batch.document,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="virements-{batch.month}-{batch.id}.xml"'},
    )


@bp.post("/moderation/versements/lots/<int:batch_id>/confirmer")
@access(Access.STAFF)
def staff_batch_confirm(batch_id: int):
    batch = load_or_404(PayoutBatch, batch_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    already = batch.confirmed_at is not None
    with transaction() as tx:  # a refusal is flashed
        clearing.confirm_batch(current_user, batch)
    if tx.ok:
        flash(
            _("Ce lot était déjà confirmé.") if already else _("Virements confirmés : les soldes sont à jour."),
            "info" if already else "success",
        )
    return redirect(url_for("vouchers.staff_batch", batch_id=batch.id))


@bp.get("/moderation/paiements")
@access(Access.STAFF)
def staff_payments():
    return render_template("vouchers/staff_payments.html", payments=clearing.refundable_payments(), form=RefundForm())


@bp.post("/moderation/paiements/<int:payment_id>/rembourser")
@access(Access.STAFF)
def staff_payment_refund(payment_id: int):
    payment = load_or_404(Payment, payment_id)
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
