"""Double-entry ledger: accounts, append-only transactions whose lines sum to zero.

Sign convention: a line's ``amount_cents`` is positive for a debit and negative
for a credit. Assets and expenses normally have a positive (debit) balance;
liabilities, revenue and equity a negative (credit) one — `balance(...,
natural=True)` flips those so that "what we owe the provider" reads positive.

Chart of accounts (codes; the type follows from the code, see ACCOUNT_PATTERNS):

====================================  =========  =====================================================
``stripe:clearing``                   asset      money collected by Stripe, not yet paid out to us
``bank:main``                         asset      our bank account (SEPA payouts leave from here)
``funder:{id}:receivable``            asset      a funder owes us (programme paid off-Stripe, by transfer)
``programme:{id}:fund``               liability  funded, not yet issued as vouchers
``programme:{id}:issued``             liability  value of the vouchers in status issued
``programme:{id}:reserved``           liability  ... reserved for a mission
``programme:{id}:blocked``            liability  ... blocked (15 days before expiry)
``provider:{id}:payable``             liability  owed to a mediation provider (redeemed vouchers, card payments)
``producer:{id}:payable``             liability  owed to a producer of licences/resources
``funder:{id}:credit``                liability  owed back to a funder (expired or unissued value)
``platform:fees``                     revenue    the platform's commission
``refunds``                           expense    refunds the platform bears itself
``equity:opening``                    equity     opening balances
====================================  =========  =====================================================

Every function here runs inside the caller's transaction: it flushes, never
commits. `post` is idempotent on its ``idempotency_key`` (unique in the
database): posting the same key again returns the first transaction, and of
two concurrent posts with one key exactly one inserts. On PostgreSQL and
SQLite the insert is ``INSERT ... ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id`` (the loser waits for the winner's commit, inserts nothing and
returns the winner's transaction); on other dialects the INSERT runs in a
SAVEPOINT rolled back on the unique violation.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from .errors import IdempotencyConflict, InvalidAccount, UnbalancedTransaction
from .models import models_for, utcnow

_UPSERT: dict[str, Callable[[Any], PgInsert | SqliteInsert]] = {"postgresql": pg_insert, "sqlite": sqlite_insert}

DEFAULT_CURRENCY = "EUR"

ACCOUNT_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^stripe:clearing$"), "asset"),
    (re.compile(r"^bank:[a-z0-9_]+$"), "asset"),
    (re.compile(r"^funder:\d+:receivable$"), "asset"),
    (re.compile(r"^programme:\d+:(fund|issued|reserved|blocked)$"), "liability"),
    (re.compile(r"^(provider|producer):\d+:payable$"), "liability"),
    (re.compile(r"^funder:\d+:credit$"), "liability"),
    (re.compile(r"^platform:fees$"), "revenue"),
    (re.compile(r"^refunds$"), "expense"),
    (re.compile(r"^equity:[a-z0-9_]+$"), "equity"),
]
CREDIT_NORMAL = {"liability", "revenue", "equity"}


def account_type(code: str) -> str:
    """The type an account code implies; `InvalidAccount` for an unknown pattern."""
    for pattern, kind in ACCOUNT_PATTERNS:
        if pattern.fullmatch(code):  # not `match`: "$" would let a trailing newline through
            return kind
    raise InvalidAccount(f"unknown account code {code!r}")


@dataclass(frozen=True)
class Line:
    """One leg of a transaction: debit (> 0) or credit (< 0) ``amount_cents`` on ``account``."""

    account: str
    amount_cents: int
    currency: str = DEFAULT_CURRENCY


def _normalise(lines: Iterable[Line | tuple[Any, ...]]) -> list[Line]:
    result = []
    for item in lines:
        line = item if isinstance(item, Line) else Line(*item)
        if not isinstance(line.amount_cents, int) or isinstance(line.amount_cents, bool):
            raise UnbalancedTransaction(f"amounts are integer cents, got {line.amount_cents!r} on {line.account}")
        if line.amount_cents == 0:
            continue  # a zero fee, a zero remainder: nothing to write
        result.append(Line(line.account, line.amount_cents, line.currency.upper()))
    return result


def check_balanced(lines: Sequence[Line]) -> None:
    """Raise `UnbalancedTransaction` unless the lines sum to zero in each currency."""
    if len(lines) < 2:
        raise UnbalancedTransaction("a transaction needs at least two non-zero lines")
    sums: dict[str, int] = defaultdict(int)
    for line in lines:
        sums[line.currency] += line.amount_cents
    unbalanced = {cur: total for cur, total in sums.items() if total}
    if unbalanced:
        raise UnbalancedTransaction(f"lines do not sum to zero: {unbalanced}")


def get_account(session: Session, code: str) -> Any:
    m = models_for(session)
    return session.execute(select(m.LedgerAccount).where(m.LedgerAccount.code == code)).scalar_one_or_none()


def ensure_accounts(session: Session, codes: dict[str, str]) -> dict[str, Any]:
    """Get or create the accounts ``{code: currency}``; concurrent creators of one
    code both end up with the same row (unique code, SAVEPOINT on conflict)."""
    m = models_for(session)
    Account = m.LedgerAccount
    found = {a.code: a for a in session.execute(select(Account).where(Account.code.in_(list(codes)))).scalars()}
    for code, currency in codes.items():
        account = found.get(code)
        if account is None:
            kind = account_type(code)
            try:
                with session.begin_nested():
                    account = Account(code=code, type=kind, currency=currency)
                    session.add(account)
            except IntegrityError:
                account = session.execute(select(Account).where(Account.code == code)).scalar_one()
            found[code] = account
        if account.currency != currency:
            raise InvalidAccount(f"account {code} is in {account.currency}, not {currency}")
    return found


def _signature(lines: Iterable[tuple[str, int, str]]) -> Counter[tuple[str, int, str]]:
    return Counter(lines)


def _existing(session: Session, key: str) -> Any:
    m = models_for(session)
    return session.execute(
        select(m.LedgerTransaction).where(m.LedgerTransaction.idempotency_key == key)
    ).scalar_one_or_none()


def _same_lines(session: Session, tx: Any, lines: Sequence[Line]) -> bool:
    m = models_for(session)
    rows = session.execute(
        select(m.LedgerAccount.code, m.LedgerLine.amount_cents, m.LedgerLine.currency)
        .join(m.LedgerAccount, m.LedgerAccount.id == m.LedgerLine.account_id)
        .where(m.LedgerLine.transaction_id == tx.id)
    ).all()
    return _signature(tuple(r) for r in rows) == _signature(
        (line.account, line.amount_cents, line.currency) for line in lines
    )


def _return_existing(session: Session, tx: Any, lines: Sequence[Line], key: str) -> Any:
    if not _same_lines(session, tx, lines):
        raise IdempotencyConflict(f"idempotency key {key!r} was used for other lines (transaction {tx.id})")
    return tx


def post(
    session: Session,
    kind: str,
    lines: Iterable[Line | tuple[Any, ...]],
    idempotency_key: str,
    *,
    memo: str | None = None,
    reference: str | None = None,
    reverses: Any = None,
    created_at: datetime | None = None,
) -> Any:
    """Write one balanced transaction and return it (flushed, not committed).

    ``lines``: `Line` objects or ``(account_code, amount_cents[, currency])``
    tuples; zero amounts are dropped. Same ``idempotency_key`` again → the
    existing transaction (`IdempotencyConflict` if its lines differ)."""
    if not idempotency_key:
        raise ValueError("idempotency_key is required")
    lines = _normalise(lines)
    check_balanced(lines)
    m = models_for(session)
    dialect = session.get_bind(mapper=m.LedgerTransaction.__mapper__).dialect.name
    if dialect not in _UPSERT:
        existing = _existing(session, idempotency_key)
        if existing is not None:
            return _return_existing(session, existing, lines, idempotency_key)
    currencies: dict[str, str] = {}
    for line in lines:
        if currencies.setdefault(line.account, line.currency) != line.currency:
            raise InvalidAccount(f"account {line.account} used in two currencies in one transaction")
    accounts = ensure_accounts(session, currencies)
    values = {
        "kind": kind,
        "idempotency_key": idempotency_key,
        "memo": memo,
        "reference": reference,
        "reverses_id": getattr(reverses, "id", reverses),
        "created_at": created_at or utcnow(),
    }
    if dialect in _UPSERT:
        # One round trip, no SAVEPOINT: INSERT ... ON CONFLICT (idempotency_key) DO NOTHING RETURNING id.
        # A concurrent insert of the same key makes PostgreSQL wait for it, then do nothing.
        statement = (
            _UPSERT[dialect](m.LedgerTransaction)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(m.LedgerTransaction.id)
        )
        new_id = session.execute(statement).scalar_one_or_none()
        if new_id is None:
            existing = _existing(session, idempotency_key)
            return _return_existing(session, existing, lines, idempotency_key)
        session.execute(
            insert(m.LedgerLine),
            [
                {
                    "transaction_id": new_id,
                    "account_id": accounts[line.account].id,
                    "amount_cents": line.amount_cents,
                    "currency": line.currency,
                }
                for line in lines
            ],
        )
        tx = session.identity_map.get(identity_key(m.LedgerTransaction, new_id))
        if tx is None:  # the row as a persistent object, without reading it back
            tx = m.LedgerTransaction(id=new_id, **values)
            make_transient_to_detached(tx)
            session.add(tx)
        return tx
    try:
        with session.begin_nested():
            tx = m.LedgerTransaction(**values)
            session.add(tx)
            for line in lines:
                session.add(
                    m.LedgerLine(
                        transaction=tx,
                        account_id=accounts[line.account].id,
                        amount_cents=line.amount_cents,
                        currency=line.currency,
                    )
                )
    except IntegrityError:
        existing = _existing(session, idempotency_key)
        if existing is None:
            raise
        return _return_existing(session, existing, lines, idempotency_key)
    return tx


def lines_of(session: Session, tx: Any) -> list[Line]:
    m = models_for(session)
    rows = session.execute(
        select(m.LedgerAccount.code, m.LedgerLine.amount_cents, m.LedgerLine.currency)
        .join(m.LedgerAccount, m.LedgerAccount.id == m.LedgerLine.account_id)
        .where(m.LedgerLine.transaction_id == tx.id)
        .order_by(m.LedgerLine.id)
    ).all()
    return [Line(code, amount, currency) for code, amount, currency in rows]


def reverse(
    session: Session, tx: Any, idempotency_key: str | None = None, *, memo: str | None = None, kind: str | None = None
) -> Any:
    """Post the exact opposite of ``tx`` (the way to correct the ledger)."""
    lines = [Line(line.account, -line.amount_cents, line.currency) for line in lines_of(session, tx)]
    return post(
        session,
        kind or f"reversal:{tx.kind}",
        lines,
        idempotency_key or f"reversal:{tx.idempotency_key}",
        memo=memo or f"reversal of transaction {tx.id}",
        reference=tx.reference,
        reverses=tx,
    )


def balance(session: Session, account_code: str, *, natural: bool = False, currency: str | None = None) -> int:
    """Signed sum of the account's lines in cents (debit positive). ``natural=True``:
    positive when the account holds its normal balance (e.g. a payable we owe)."""
    m = models_for(session)
    query = (
        select(func.coalesce(func.sum(m.LedgerLine.amount_cents), 0))
        .join(m.LedgerAccount, m.LedgerAccount.id == m.LedgerLine.account_id)
        .where(m.LedgerAccount.code == account_code)
    )
    if currency:
        query = query.where(m.LedgerLine.currency == currency.upper())
    total = int(session.execute(query).scalar_one())
    if natural:
        try:
            kind = account_type(account_code)
        except InvalidAccount:
            account = get_account(session, account_code)
            kind = account.type if account else "asset"
        if kind in CREDIT_NORMAL:
            total = -total
    return total


def balances(session: Session, prefix: str | None = None) -> dict[str, int]:
    """``{code: signed balance}`` of every account (or those whose code starts with ``prefix``)."""
    m = models_for(session)
    query = (
        select(m.LedgerAccount.code, func.coalesce(func.sum(m.LedgerLine.amount_cents), 0))
        .join(m.LedgerLine, m.LedgerLine.account_id == m.LedgerAccount.id, isouter=True)
        .group_by(m.LedgerAccount.code)
        .order_by(m.LedgerAccount.code)
    )
    if prefix:
        query = query.where(m.LedgerAccount.code.startswith(prefix, autoescape=True))
    return {code: int(total) for code, total in session.execute(query)}


@dataclass(frozen=True)
class TrialBalance:
    rows: list[tuple[str, str, str, int]]  # (code, type, currency, signed balance)
    totals: dict[str, int]  # per currency: always 0 in a sound ledger

    @property
    def balanced(self) -> bool:
        return all(total == 0 for total in self.totals.values())


def trial_balance(session: Session) -> TrialBalance:
    """Every account's balance, and per currency the total, which must be zero."""
    m = models_for(session)
    query = (
        select(m.LedgerAccount.code, m.LedgerAccount.type, m.LedgerLine.currency, func.sum(m.LedgerLine.amount_cents))
        .join(m.LedgerLine, m.LedgerLine.account_id == m.LedgerAccount.id)
        .group_by(m.LedgerAccount.code, m.LedgerAccount.type, m.LedgerLine.currency)
        .order_by(m.LedgerAccount.code)
    )
    rows = [(code, kind, currency, int(total)) for code, kind, currency, total in session.execute(query)]
    totals: dict[str, int] = defaultdict(int)
    for _code, _kind, currency, total in rows:
        totals[currency] += total
    return TrialBalance(rows=rows, totals=dict(totals))


def transactions_for(session: Session, reference: str) -> list[Any]:
    m = models_for(session)
    return list(
        session.execute(
            select(m.LedgerTransaction)
            .where(m.LedgerTransaction.reference == reference)
            .order_by(m.LedgerTransaction.id)
        ).scalars()
    )
