"""Producers: the public list and pages, creating and editing one, its space (resources, sales,
members) and the CSV import of resources."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.core.access import Access, access
from app.core.web import form_status, load_or_404, transaction
from app.extensions import db
from app.library import exports, purchase
from app.library.forms import ImportForm, MemberForm, ProducerForm
from app.library.models import GrantStatus, Producer
from app.library.services.licences import sales_for_producer
from app.library.services.producers import (
    add_producer_member,
    create_producer,
    producer_resources,
    update_producer,
)
from app.library.services.rights import can_manage_producer, grant_is_valid
from app.library.views.common import bp, producer_or_404


@bp.get("/bibliotheque/producteurs")
@access(Access.PUBLIC)
def producers():
    rows = db.session.scalars(select(Producer).order_by(Producer.name)).all()
    return render_template("library/producers.html", producers=rows)


@bp.get("/bibliotheque/producteurs/<int:producer_id>")
@access(Access.PUBLIC)
def producer_detail(producer_id: int):
    producer = load_or_404(Producer, producer_id)
    return render_template(
        "library/producer.html",
        producer=producer,
        resources=producer_resources(producer, include_unpublished=False),
        can_manage=can_manage_producer(current_user, producer),
    )


@bp.route("/bibliotheque/producteurs/nouveau", methods=["GET", "POST"])
@access(Access.LOGIN)
def producer_new():
    form = ProducerForm()
    if form.validate_on_submit():
        with transaction(form) as tx:
            producer = create_producer(current_user, form.values())
        if tx.ok:
            flash(_("Votre espace producteur est créé. Publiez votre première ressource."), "success")
            return redirect(url_for("library.producer_space", producer_id=producer.id))
    return render_template("library/producer_form.html", form=form, producer=None), form_status(form)


@bp.route("/bibliotheque/producteurs/<int:producer_id>/modifier", methods=["GET", "POST"])
@access(Access.LOGIN)
def producer_edit(producer_id: int):
    producer = producer_or_404(producer_id)
    form = ProducerForm(obj=producer)
    if form.validate_on_submit():
        with transaction(form) as tx:
            update_producer(current_user, producer, form.values())
        if tx.ok:
            flash(_("Modifications enregistrées."), "success")
            return redirect(url_for("library.producer_space", producer_id=producer.id))
    return render_template("library/producer_form.html", form=form, producer=producer), form_status(form)


def _space_page(producer: Producer, member_form=None, status: int = 200):
    sales = sales_for_producer(producer)
    paid = [g for g in sales if g.amount_cents and g.status == GrantStatus.ACTIVE]
    return render_template(
        "library/producer_space.html",
        producer=producer,
        resources=producer_resources(producer, include_unpublished=True),
        sales=sales,
        total_cents=sum(g.amount_cents for g in paid),
        member_form=member_form or MemberForm(),
        is_valid=grant_is_valid,
        owed_cents=purchase.producer_balance_cents(producer.id),
        fee_percent=f"{purchase.fee_bps() / 100:g}".replace(".", ","),
    ), status


@bp.get("/bibliotheque/producteurs/<int:producer_id>/espace")
@access(Access.LOGIN)
def producer_space(producer_id: int):
    """A producer's space: its resources (drafts included), its sales; payouts come with the ledger."""
    return _space_page(producer_or_404(producer_id))


@bp.post("/bibliotheque/producteurs/<int:producer_id>/membres")
@access(Access.LOGIN)
def producer_member_add(producer_id: int):
    producer = producer_or_404(producer_id)
    form = MemberForm()
    if form.validate_on_submit():
        with transaction(form) as tx:
            add_producer_member(current_user, producer, form.email.data)
        if tx.ok:
            flash(_("Membre ajouté."), "success")
            return redirect(url_for("library.producer_space", producer_id=producer.id))
        producer = producer_or_404(producer_id)
    return _space_page(producer, member_form=form, status=422)


@bp.route("/bibliotheque/producteurs/<int:producer_id>/import", methods=["GET", "POST"])
@access(Access.LOGIN)
def producer_import(producer_id: int):
    producer = producer_or_404(producer_id)
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        with transaction(form) as tx:
            report = exports.import_csv(
                current_user,
                producer,
                form.file.data.read(exports.MAX_IMPORT_BYTES + 1),
                publish=bool(form.publish.data),
            )
        if not tx.ok:
            producer = producer_or_404(producer_id)
    return render_template(
        "library/import.html",
        form=form,
        producer=producer,
        report=report,
        columns=exports.CSV_COLUMNS,
        required=exports.REQUIRED_COLUMNS,
    ), form_status(form)
