"""The payments library's tables (ledger, Stripe events, card payments and refunds, voucher
programmes, vouchers), bound on the app's declarative Base.

It stands just above `core`: billing, vouchers and the knowledge base import these classes from
here (not from `app.models`, the aggregator above every domain). The foreign keys name the
domains' tables by string only, so binding them imports no domain.
"""

from __future__ import annotations

from app.extensions import db
from payments.models import bind_models

payments_models = bind_models(
    db.Model, foreign_keys={"funder": "funder.id", "organisation": "organisation.id", "provider": "provider.id"}
)
LedgerAccount = payments_models.LedgerAccount
LedgerTransaction = payments_models.LedgerTransaction
LedgerLine = payments_models.LedgerLine
StripeEvent = payments_models.StripeEvent
Payment = payments_models.Payment
PaymentRefund = payments_models.PaymentRefund
VoucherProgramme = payments_models.VoucherProgramme
Voucher = payments_models.Voucher
