"""Voucher programmes without the card payment: create one, make it usable once funded (the
success hook of ``programme_funding`` payments, which `checkout` calls), lock it, close it, count
its figures. No import of `checkout` (it calls `on_programme_funded`), so the arrows run one way:
``vouchers → checkout → programmes``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import ledger, rules
from .codes import ProgrammeStatus, VoucherStatus
from .models import models_for, utcnow
from .rules import Eligibility


def create_programme(
    session: Session,
    *,
    funder_id: int,
    name: str,
    face_value_cents: int,
    voucher_count: int | None = None,
    budget_cents: int | None = None,
    validity_days: int = 365,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    eligibility: Eligibility | dict[str, Any] | None = None,
    currency: str = "EUR",
) -> Any:
    """A draft programme. Give ``voucher_count`` (budget = count × face value) or ``budget_cents``."""
    if not isinstance(face_value_cents, int) or face_value_cents <= 0:
        raise ValueError("face_value_cents must be a positive integer")
    if voucher_count is not None:
        if voucher_count <= 0:
            raise ValueError("voucher_count must be positive")
        budget = voucher_count * face_value_cents
        if budget_cents is not None and budget_cents != budget:
            raise ValueError("budget_cents does not match voucher_count × face value")
        budget_cents = budget
    if not isinstance(budget_cents, int) or budget_cents < face_value_cents:
        raise ValueError("budget_cents must cover at least one voucher")
    if isinstance(eligibility, Eligibility):
        eligibility = eligibility.to_json()
    m = models_for(session)
    programme = m.VoucherProgramme(
        funder_id=funder_id,
        name=name,
        face_value_cents=face_value_cents,
        voucher_count=voucher_count,
        budget_cents=budget_cents,
        validity_days=validity_days,
        valid_from=valid_from,
        valid_until=valid_until,
        eligibility=Eligibility.from_json(eligibility).to_json(),
        status=ProgrammeStatus.DRAFT.value,
        currency=currency,
    )
    session.add(programme)
    session.flush()
    return programme


def on_programme_funded(session: Session, payment: Any) -> None:
    """Success hook of ``programme_funding`` payments (called once per payment)."""
    m = models_for(session)
    if not (payment.reference or "").startswith("programme:"):
        return
    programme = session.get(m.VoucherProgramme, int(payment.reference.split(":")[1]))
    if programme is not None and programme.status in (ProgrammeStatus.DRAFT, ProgrammeStatus.AWAITING_PAYMENT):
        programme.status = ProgrammeStatus.FUNDED.value
        programme.funded_at = utcnow()
        session.flush()


def available_cents(session: Session, programme: Any) -> int:
    """Funded value not yet issued as vouchers."""
    return ledger.balance(session, rules.programme_account(programme.id, "fund"), natural=True)


def lock_programme(session: Session, programme: Any) -> Any:
    m = models_for(session)
    return session.execute(
        select(m.VoucherProgramme).where(m.VoucherProgramme.id == programme.id).with_for_update()
    ).scalar_one()


def close_programme(session: Session, programme: Any) -> Any:
    """Close the programme: funded value never issued goes back to the funder's credit."""
    programme = lock_programme(session, programme)
    left = available_cents(session, programme)
    tx = None
    if left > 0:
        tx = ledger.post(
            session,
            "programme:close",
            [(rules.programme_account(programme.id, "fund"), left), (rules.funder_credit(programme.funder_id), -left)],
            f"programme:{programme.id}:close",
            reference=f"programme:{programme.id}",
            memo="unissued value back to the funder",
        )
    programme.status = ProgrammeStatus.CLOSED.value
    session.flush()
    return tx


# ---------------------------------------------------------------- figures


def programme_figures(session: Session, programme: Any) -> dict[str, Any]:
    """Count and value per status, plus the money view from the ledger (for the funder dashboard)."""
    m = models_for(session)
    V = m.Voucher
    rows = session.execute(
        select(V.status, func.count(), func.coalesce(func.sum(V.face_value_cents), 0))
        .where(V.programme_id == programme.id)
        .group_by(V.status)
    ).all()
    counts = {status.value: {"count": 0, "cents": 0} for status in VoucherStatus}
    for status, count, cents in rows:
        counts[status] = {"count": int(count), "cents": int(cents)}
    return {
        "vouchers": counts,
        "funded_cents": -sum(line.amount_cents for line in _funding_lines(session, programme)),
        "available_cents": available_cents(session, programme),
    }


def _funding_lines(session: Session, programme: Any) -> Sequence[Any]:
    m = models_for(session)
    L, A, T = m.LedgerLine, m.LedgerAccount, m.LedgerTransaction
    query = (
        select(L)
        .join(A, A.id == L.account_id)
        .join(T, T.id == L.transaction_id)
        .where(
            A.code == rules.programme_account(programme.id, "fund"), T.kind.in_(("payment:programme_funding", "refund"))
        )
    )
    return session.execute(query).scalars().all()
