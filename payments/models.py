"""The payments tables, defined on a declarative Base that the APP provides.

Choice: the columns live on plain mixins here (typed, importable without any
Base), and `bind_models(Base)` creates the concrete mapped classes on the
app's Base — so the tables join the app's MetaData, Alembic autogenerate sees
them, the app's naming convention names their constraints, and payments never
imports app::

    # app/models.py
    from app.extensions import db
    from payments.models import bind_models

    pm = bind_models(db.Model, foreign_keys={"organisation": "organisation.id",
                                            "provider": "provider.id"})
    LedgerAccount, Voucher = pm.LedgerAccount, pm.Voucher  # ... re-export what the app uses

`bind_models` is idempotent per Base. The functions of the package find the
classes through `models_for(session)`: the binding stored in
``session.info["payments.models"]`` when there is one (tests use that to run on
their own Base), else the default binding (the first ``bind_models`` call with
``default=True``, i.e. the app's).

Guards installed by `bind_models`:
- ORM: ledger transactions and lines refuse UPDATE and DELETE (mapper events,
  and a Session ``do_orm_execute`` hook for bulk statements); before each flush
  the new lines of each new transaction must sum to zero per currency, and no
  line may be appended to an already written transaction.
- Database (`guard_ddl`, run after CREATE TABLE by ``metadata.create_all``, and
  to be run by the Alembic migration that creates the tables): triggers
  refusing UPDATE/DELETE of ledger rows on SQLite and PostgreSQL, and on
  PostgreSQL a DEFERRABLE INITIALLY DEFERRED constraint trigger checking at
  COMMIT that each transaction's lines sum to zero per currency.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, MappedColumn, ORMExecuteState, Session, declared_attr, mapped_column, relationship

from .codes import PaymentStatus, ProgrammeStatus, VoucherStatus
from .errors import LedgerImmutable, ModelsNotBound, UnbalancedTransaction
from .guards import LEDGER_TABLES, attach_ddl
from .guards import drop_guard_ddl as drop_guard_ddl
from .guards import guard_ddl as guard_ddl

SESSION_INFO_KEY = "payments.models"

ACCOUNT_TYPES = ("asset", "liability", "revenue", "expense", "equity")
VOUCHER_STATUSES = tuple(status.value for status in VoucherStatus)
PROGRAMME_STATUSES = tuple(status.value for status in ProgrammeStatus)
PAYMENT_STATUSES = tuple(status.value for status in PaymentStatus)
EVENT_STATUSES = ("applied", "duplicate", "ignored", "unhandled")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# ---------------------------------------------------------------- mixins (the columns)


class LedgerAccountMixin:
    """An account of the chart (see `payments.ledger.ACCOUNT_PATTERNS`). Amounts are
    signed: positive = debit, negative = credit."""

    __tablename__ = "ledger_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True)
    type: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (CheckConstraint(_in("type", ACCOUNT_TYPES), name="account_type"),)

    def __repr__(self) -> str:
        return f"<LedgerAccount {self.code} {self.type} {self.currency}>"


class LedgerTransactionMixin:
    """One business event in the ledger; append-only."""

    __tablename__ = "ledger_transaction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    memo: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(120), index=True)  # "voucher:12", "payment:pi_..."
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transaction.id"))

    def __repr__(self) -> str:
        return f"<LedgerTransaction {self.id} {self.kind} {self.idempotency_key}>"


class LedgerLineMixin:
    __tablename__ = "ledger_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transaction.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (CheckConstraint("amount_cents <> 0", name="amount_nonzero"),)

    def __repr__(self) -> str:
        return f"<LedgerLine tx={self.transaction_id} account={self.account_id} {self.amount_cents} {self.currency}>"


class StripeEventMixin:
    """A received webhook event, stored once (primary key = Stripe's event id)."""

    __tablename__ = "stripe_event"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    livemode: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[int] = mapped_column(BigInteger)  # Stripe's unix time
    object_id: Mapped[str | None] = mapped_column(String(255), index=True)
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(String(500))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (CheckConstraint(_in("status", EVENT_STATUSES), name="event_status"),)


class PaymentMixin:
    """Our record of a PaymentIntent. ``settlement`` is the list of ledger credits
    ``[[account_code, cents], ...]`` (negative cents) that the payment pays for,
    fixed at checkout by `payments.rules`; they sum to ``-amount_cents``."""

    __tablename__ = "card_payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stripe_id: Mapped[str] = mapped_column(String(255), unique=True)
    purpose: Mapped[str] = mapped_column(String(40), index=True)
    reference: Mapped[str | None] = mapped_column(String(120), index=True)
    payer_ref: Mapped[str | None] = mapped_column(String(120))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    status: Mapped[str] = mapped_column(String(20), default="created", index=True)
    failure_code: Mapped[str | None] = mapped_column(String(80))
    refunded_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    settlement: Mapped[list[Any]] = mapped_column(JSON)
    environment: Mapped[str] = mapped_column(String(20))
    customer: Mapped[str | None] = mapped_column(String(255))
    stripe_created: Mapped[int | None] = mapped_column(BigInteger)
    last_event_created: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            CheckConstraint("amount_cents > 0", name="amount_positive"),
            CheckConstraint("refunded_cents >= 0 AND refunded_cents <= amount_cents", name="refunded_range"),
            CheckConstraint(_in("status", PAYMENT_STATUSES), name="payment_status"),
        )


class PaymentRefundMixin:
    __tablename__ = "card_refund"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("card_payment.id"), index=True)
    stripe_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    absorbed: Mapped[bool] = mapped_column(Boolean, default=False)  # the platform bears it (account "refunds")
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (CheckConstraint("amount_cents > 0", name="amount_positive"),)


class VoucherProgrammeMixin:
    """A funder's programme: face value, quantity or budget, eligibility, validity."""

    __tablename__ = "voucher_programme"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    face_value_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    voucher_count: Mapped[int | None] = mapped_column(Integer)
    budget_cents: Mapped[int] = mapped_column(BigInteger)
    validity_days: Mapped[int] = mapped_column(Integer, default=365)
    valid_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    funded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            CheckConstraint("face_value_cents > 0", name="face_value_positive"),
            CheckConstraint("budget_cents > 0", name="budget_positive"),
            CheckConstraint(_in("status", PROGRAMME_STATUSES), name="programme_status"),
        )


class VoucherMixin:
    """A chèque d'accompagnement numérique. ``version`` grows at each move (the
    moves are compare-and-set UPDATEs, safe under concurrency)."""

    __tablename__ = "voucher"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("voucher_programme.id"), index=True)
    holder_siret: Mapped[str | None] = mapped_column(String(14), index=True)
    status: Mapped[str] = mapped_column(String(12), default="issued", index=True)
    face_value_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    blocks_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    reserved_for: Mapped[str | None] = mapped_column(String(120), index=True)  # "mission:42"
    reserved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    redeemed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    blocked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    warned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            CheckConstraint(_in("status", VOUCHER_STATUSES), name="voucher_status"),
            CheckConstraint("face_value_cents > 0", name="face_value_positive"),
        )


# ---------------------------------------------------------------- binding


@dataclass(frozen=True)
class PaymentModels:
    """The mapped classes of one binding."""

    base: Any
    LedgerAccount: Any
    LedgerTransaction: Any
    LedgerLine: Any
    StripeEvent: Any
    Payment: Any
    PaymentRefund: Any
    VoucherProgramme: Any
    Voucher: Any

    @property
    def metadata(self) -> MetaData:
        metadata: MetaData = self.base.metadata
        return metadata

    @property
    def tables(self) -> list[Table]:
        """The payments tables, in creation order (for ``metadata.create_all(tables=...)``)."""
        return [
            cls.__table__
            for cls in (
                self.LedgerAccount,
                self.LedgerTransaction,
                self.LedgerLine,
                self.StripeEvent,
                self.Payment,
                self.PaymentRefund,
                self.VoucherProgramme,
                self.Voucher,
            )
        ]


_lock = threading.Lock()
_bindings: dict[int, PaymentModels] = {}
_default: PaymentModels | None = None

#: Optional foreign keys to the app's tables: role -> "table.column".
FOREIGN_KEY_ROLES = ("funder", "organisation", "provider")


def _reference_column(target: str | None, *, nullable: bool = True) -> MappedColumn[Any]:
    args: list[Any] = [Integer]
    if target:
        args.append(ForeignKey(target))
    return mapped_column(*args, nullable=nullable, index=True)


def bind_models(base: Any, *, foreign_keys: Mapping[str, str] | None = None, default: bool = True) -> PaymentModels:
    """Create the payments models on ``base`` (a SQLAlchemy 2 DeclarativeBase, e.g.
    Flask-SQLAlchemy's ``db.Model``) and install the guards. Idempotent per base.

    ``foreign_keys`` optionally points the reference columns at the app's tables:
    ``{"funder": "organisation.id", "organisation": "organisation.id",
    "provider": "provider.id"}``; without it they are plain indexed integers.
    ``default=False`` keeps this binding out of `models_for` unless a session
    names it (``use_models(session, models)``)."""
    global _default
    with _lock:
        existing = _bindings.get(id(base))
        if existing is not None:
            if default and _default is None:
                _default = existing
            return existing
        fks = dict(foreign_keys or {})
        unknown = set(fks) - set(FOREIGN_KEY_ROLES)
        if unknown:
            raise ValueError(f"unknown foreign key roles: {sorted(unknown)}")

        def make(name: str, mixin: type, extra: dict[str, Any] | None = None) -> Any:
            return type(name, (mixin, base), {"__module__": __name__, **(extra or {})})

        account = make("LedgerAccount", LedgerAccountMixin)
        transaction = make("LedgerTransaction", LedgerTransactionMixin)
        line = make(
            "LedgerLine",
            LedgerLineMixin,
            {
                "account": relationship(account, lazy="joined", viewonly=True),
                "transaction": relationship(transaction),
            },
        )
        transaction.lines = relationship(line, viewonly=True, order_by=line.id)
        stripe_event = make("StripeEvent", StripeEventMixin)
        payment = make("Payment", PaymentMixin)
        refund = make(
            "PaymentRefund",
            PaymentRefundMixin,
            {
                "payment": relationship(payment),
            },
        )
        payment.refunds = relationship(refund, viewonly=True, order_by=refund.id)
        programme = make(
            "VoucherProgramme",
            VoucherProgrammeMixin,
            {
                "funder_id": _reference_column(fks.get("funder")),
            },
        )
        voucher = make(
            "Voucher",
            VoucherMixin,
            {
                "organisation_id": _reference_column(fks.get("organisation")),
                "provider_id": _reference_column(fks.get("provider")),
                "programme": relationship(programme),
            },
        )
        models = PaymentModels(
            base=base,
            LedgerAccount=account,
            LedgerTransaction=transaction,
            LedgerLine=line,
            StripeEvent=stripe_event,
            Payment=payment,
            PaymentRefund=refund,
            VoucherProgramme=programme,
            Voucher=voucher,
        )
        Index("ix_voucher_by_programme_status", voucher.programme_id, voucher.status)
        Index("ix_ledger_line_by_account_currency", line.account_id, line.currency)
        _install_orm_guards(models)
        _attach_ddl(models)
        _bindings[id(base)] = models
        if default and _default is None:
            _default = models
        return models


def models_for(session: Session | None = None) -> PaymentModels:
    """The binding the payments functions use for ``session``."""
    if session is not None:
        chosen: PaymentModels | None = session.info.get(SESSION_INFO_KEY)
        if chosen is not None:
            return chosen
    if _default is not None:
        return _default
    raise ModelsNotBound("call payments.models.bind_models(Base) first (or use_models(session, models))")


def use_models(session: Session, models: PaymentModels) -> Session:
    """Make ``session`` use ``models`` (a non-default binding, e.g. in tests)."""
    session.info[SESSION_INFO_KEY] = models
    return session


# ---------------------------------------------------------------- ORM guards


def _column_changed(target: Any) -> bool:
    state = inspect(target)
    return any(state.attrs[attr.key].history.has_changes() for attr in state.mapper.column_attrs)


def _refuse_update(_mapper: Any, _connection: Any, target: Any) -> None:
    if _column_changed(target):
        raise LedgerImmutable(f"{type(target).__name__} rows are append-only: post a reversing transaction instead")


def _refuse_delete(_mapper: Any, _connection: Any, target: Any) -> None:
    raise LedgerImmutable(f"{type(target).__name__} rows cannot be deleted: post a reversing transaction instead")


def _install_orm_guards(models: PaymentModels) -> None:
    for cls in (models.LedgerTransaction, models.LedgerLine):
        event.listen(cls, "before_update", _refuse_update)
        event.listen(cls, "before_delete", _refuse_delete)
    _install_session_guards()


_session_guards_installed = False


def _install_session_guards() -> None:
    global _session_guards_installed
    if _session_guards_installed:
        return
    event.listen(Session, "do_orm_execute", _guard_bulk_statements)
    event.listen(Session, "before_flush", _check_new_lines)
    _session_guards_installed = True


def _guard_bulk_statements(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name in LEDGER_TABLES:
        raise LedgerImmutable(
            f"bulk {'UPDATE' if state.is_update else 'DELETE'} on {name} refused: the ledger is append-only"
        )


def _check_new_lines(session: Session, _flush_context: Any, _instances: Any) -> None:
    for obj in list(session.dirty):
        if isinstance(obj, (LedgerLineMixin, LedgerTransactionMixin)) and _column_changed(obj):
            raise LedgerImmutable(f"{type(obj).__name__} rows are append-only: post a reversing transaction instead")
    for obj in session.deleted:
        if isinstance(obj, (LedgerLineMixin, LedgerTransactionMixin)):
            raise LedgerImmutable(f"{type(obj).__name__} rows cannot be deleted: post a reversing transaction instead")
    sums: dict[tuple[int, str], int] = defaultdict(int)
    new_tx = {id(obj) for obj in session.new if isinstance(obj, LedgerTransactionMixin)}
    seen = False
    for obj in session.new:
        if not isinstance(obj, LedgerLineMixin):
            continue
        seen = True
        tx = getattr(obj, "transaction", None)  # the relationship `bind_models` adds to the mapped class
        if tx is None or id(tx) not in new_tx:
            raise LedgerImmutable(
                "a ledger line can only be added with its new transaction (lines of a written transaction are final)"
            )
        if not isinstance(obj.amount_cents, int) or isinstance(obj.amount_cents, bool):
            raise UnbalancedTransaction(f"amount must be integer cents, got {obj.amount_cents!r}")
        sums[(id(tx), obj.currency)] += obj.amount_cents
    if seen:
        bad = {key: total for key, total in sums.items() if total != 0}
        if bad:
            raise UnbalancedTransaction(
                f"ledger lines do not sum to zero per transaction and currency: {sorted(bad.values())}"
            )


def _attach_ddl(models: PaymentModels) -> None:
    """``metadata.create_all`` creates the guards once both ledger tables exist."""
    attach_ddl(models.LedgerLine.__table__)  # created after ledger_transaction
