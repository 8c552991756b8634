"""Every refusal of `payments.ledger`, pinned with its exact error, and the read side
(`balance(currency=...)`, `balances(prefix)`, `trial_balance` rows) checked value by value
(issue 10, finding 10), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from payments import ledger
from payments.errors import IdempotencyConflict, InvalidAccount, UnbalancedTransaction
from payments.ledger import Line, TrialBalance


def _count(db, models):
    return db.query(models.LedgerTransaction).count(), db.query(models.LedgerLine).count()


@pytest.mark.parametrize(
    "code, kind",
    [
        ("stripe:clearing", "asset"),
        ("bank:main", "asset"),
        ("bank:other_2", "asset"),
        ("funder:3:receivable", "asset"),
        ("programme:1:fund", "liability"),
        ("programme:1:issued", "liability"),
        ("programme:1:reserved", "liability"),
        ("programme:1:blocked", "liability"),
        ("provider:2:payable", "liability"),
        ("producer:2:payable", "liability"),
        ("funder:3:credit", "liability"),
        ("platform:fees", "revenue"),
        ("refunds", "expense"),
        ("equity:opening", "equity"),
    ],
)
def test_account_types(code, kind):
    assert ledger.account_type(code) == kind


@pytest.mark.parametrize(
    "code",
    [
        "cash:drawer",
        "programme:1:redeemed",
        "provider:x:payable",
        "bank:Main",
        "stripe:clearing2",
        "xstripe:clearing",
        "refunds:1",
        "",
        "programme:1:fund\n",
    ],
)
def test_unknown_account_codes_are_refused(code):
    with pytest.raises(InvalidAccount, match="unknown account code"):
        ledger.account_type(code)


def test_an_empty_transaction_is_refused(db, models):
    with pytest.raises(UnbalancedTransaction, match="at least two non-zero lines"):
        ledger.post(db, "empty", [], "empty-1")
    with pytest.raises(UnbalancedTransaction, match="at least two non-zero lines"):
        ledger.post(db, "zeros", [("stripe:clearing", 0), ("programme:1:fund", 0)], "empty-2")
    with pytest.raises(UnbalancedTransaction, match="at least two non-zero lines"):
        ledger.check_balanced([Line("stripe:clearing", 0)])
    assert _count(db, models) == (0, 0)


def test_a_single_line_is_refused_even_when_zero_lines_pad_it(db, models):
    with pytest.raises(UnbalancedTransaction, match="at least two non-zero lines"):
        ledger.post(db, "one", [("stripe:clearing", 100), ("programme:1:fund", 0)], "one-1")
    assert _count(db, models) == (0, 0)


def test_zero_amount_lines_are_dropped_not_written(db, models):
    """The code's intent (`post`'s docstring): a zero fee or a zero remainder writes nothing."""
    tx = ledger.post(db, "fund", [("stripe:clearing", 100), ("programme:1:fund", -100), ("platform:fees", 0)], "zero-1")
    assert ledger.lines_of(db, tx) == [Line("stripe:clearing", 100), Line("programme:1:fund", -100)]
    assert ledger.get_account(db, "platform:fees") is None  # not even opened
    assert _count(db, models) == (1, 2)


@pytest.mark.parametrize("amount", [1.0, 0.5, True, "100", None])
def test_amounts_are_integer_cents(db, models, amount):
    with pytest.raises(UnbalancedTransaction, match="amounts are integer cents"):
        ledger.post(db, "bad", [("stripe:clearing", amount), ("programme:1:fund", -1)], "bad-amount")
    assert _count(db, models) == (0, 0)


def test_unbalanced_per_currency_is_refused(db, models):
    with pytest.raises(UnbalancedTransaction, match="do not sum to zero"):
        ledger.post(db, "bad", [("stripe:clearing", 100), ("programme:1:fund", -99)], "unbalanced-1")
    with pytest.raises(UnbalancedTransaction, match="do not sum to zero"):
        ledger.post(
            db, "bad", [Line("stripe:clearing", 100, "EUR"), Line("programme:1:fund", -100, "USD")], "unbalanced-2"
        )
    with pytest.raises(UnbalancedTransaction, match="do not sum to zero"):
        ledger.check_balanced([Line("a", 1), Line("b", 1)])
    ledger.check_balanced([Line("a", 1), Line("b", -1)])  # balanced: no error
    ledger.check_balanced([Line("a", 1, "EUR"), Line("b", -1, "EUR"), Line("c", 5, "USD"), Line("d", -5, "USD")])
    assert _count(db, models) == (0, 0)


@pytest.mark.parametrize("key", ["", None])
def test_an_empty_idempotency_key_is_refused(db, models, key):
    with pytest.raises(ValueError, match="idempotency_key is required"):
        ledger.post(db, "fund", [("stripe:clearing", 100), ("programme:1:fund", -100)], key)
    assert _count(db, models) == (0, 0)


def test_posting_to_an_account_in_another_currency_is_refused(db, models):
    ledger.post(db, "fund", [("stripe:clearing", 100), ("programme:1:fund", -100)], "eur-1")
    assert ledger.get_account(db, "stripe:clearing").currency == "EUR"
    with pytest.raises(InvalidAccount, match="is in EUR, not USD"):
        ledger.post(db, "fund", [Line("stripe:clearing", 100, "USD"), Line("programme:2:fund", -100, "USD")], "usd-1")
    with pytest.raises(InvalidAccount, match="is in EUR, not USD"):
        ledger.ensure_accounts(db, {"stripe:clearing": "USD"})
    assert _count(db, models) == (1, 2)
    # lower-case currencies are upper-cased: the same account, accepted
    ledger.post(db, "fund", [Line("stripe:clearing", 5, "eur"), Line("programme:1:fund", -5, "eur")], "eur-2")
    assert ledger.balance(db, "stripe:clearing") == 105


def test_one_account_in_two_currencies_in_one_transaction_is_refused(db, models):
    lines = [
        Line("stripe:clearing", 100, "EUR"),
        Line("programme:1:fund", -100, "EUR"),
        Line("stripe:clearing", 70, "USD"),
        Line("programme:2:fund", -70, "USD"),
    ]
    with pytest.raises(InvalidAccount, match="used in two currencies in one transaction"):
        ledger.post(db, "mixed", lines, "mixed-1")
    assert _count(db, models) == (0, 0)
    assert ledger.get_account(db, "stripe:clearing") is None  # refused before any account is opened


def test_one_account_twice_in_one_currency_is_fine(db):
    tx = ledger.post(
        db, "split", [("stripe:clearing", 60), ("stripe:clearing", 40), ("programme:1:fund", -100)], "twice"
    )
    assert len(ledger.lines_of(db, tx)) == 3 and ledger.balance(db, "stripe:clearing") == 100


def test_an_unknown_account_in_a_post_is_refused(db, models):
    with pytest.raises(InvalidAccount, match="unknown account code 'cash:drawer'"):
        ledger.post(db, "x", [("cash:drawer", 100), ("programme:1:fund", -100)], "unknown")
    assert _count(db, models) == (0, 0)


def test_idempotency_same_lines_in_any_order_else_conflict(db, models):
    first = ledger.post(db, "fund", [("stripe:clearing", 100), ("programme:1:fund", -100)], "idem")
    again = ledger.post(db, "fund", [("programme:1:fund", -100), ("stripe:clearing", 100)], "idem")
    assert again.id == first.id and _count(db, models) == (1, 2)
    for other in (
        [("stripe:clearing", 101), ("programme:1:fund", -101)],
        [("stripe:clearing", 100), ("programme:2:fund", -100)],
        [Line("stripe:clearing", 100, "EUR"), Line("programme:1:fund", -60), Line("programme:1:fund", -40)],
    ):
        with pytest.raises(IdempotencyConflict, match="'idem' was used for other lines"):
            ledger.post(db, "fund", other, "idem")
    assert _count(db, models) == (1, 2)


def test_idempotency_through_the_savepoint_path(db, models, monkeypatch):
    monkeypatch.setattr(ledger, "_UPSERT", {})  # as on a dialect without ON CONFLICT
    first = ledger.post(db, "fund", [("stripe:clearing", 100), ("programme:1:fund", -100)], "idem-sp")
    again = ledger.post(db, "fund", [("stripe:clearing", 100), ("programme:1:fund", -100)], "idem-sp")
    assert again.id == first.id and _count(db, models) == (1, 2)
    with pytest.raises(IdempotencyConflict):
        ledger.post(db, "fund", [("stripe:clearing", 99), ("programme:1:fund", -99)], "idem-sp")


def test_post_records_its_fields(db, models):
    tx = ledger.post(
        db, "fund", [("stripe:clearing", 100), ("programme:1:fund", -100)], "fields", memo="m", reference="programme:1"
    )
    db.flush()
    db.expire_all()
    row = db.get(models.LedgerTransaction, tx.id)
    assert (row.kind, row.idempotency_key, row.memo, row.reference, row.reverses_id) == (
        "fund",
        "fields",
        "m",
        "programme:1",
        None,
    )
    assert row.created_at is not None
    back = ledger.reverse(db, row)
    assert back.reverses_id == row.id and back.kind == "reversal:fund" and back.idempotency_key == "reversal:fields"
    assert back.reference == "programme:1" and back.memo == f"reversal of transaction {row.id}"
    assert ledger.lines_of(db, back) == [Line("stripe:clearing", -100), Line("programme:1:fund", 100)]
    assert ledger.balance(db, "stripe:clearing") == 0
    assert [t.id for t in ledger.transactions_for(db, "programme:1")] == [row.id, back.id]
    assert ledger.transactions_for(db, "programme:2") == []
    named = ledger.reverse(db, row, "undo-2", memo="oops", kind="correction")
    assert (named.idempotency_key, named.memo, named.kind) == ("undo-2", "oops", "correction")


def test_balance_by_currency_is_not_inverted(db):
    ledger.post(db, "eur", [Line("stripe:clearing", 100, "EUR"), Line("programme:1:fund", -100, "EUR")], "cur-eur")
    ledger.post(db, "usd", [Line("bank:usd", 70, "USD"), Line("programme:2:fund", -70, "USD")], "cur-usd")
    assert ledger.balance(db, "stripe:clearing", currency="EUR") == 100
    assert ledger.balance(db, "stripe:clearing", currency="eur") == 100  # case does not matter
    assert ledger.balance(db, "stripe:clearing", currency="USD") == 0
    assert ledger.balance(db, "bank:usd", currency="USD") == 70
    assert ledger.balance(db, "bank:usd", currency="EUR") == 0
    assert ledger.balance(db, "bank:usd") == 70 and ledger.balance(db, "stripe:clearing") == 100
    assert ledger.balance(db, "programme:2:fund", currency="USD") == -70
    assert ledger.balance(db, "programme:2:fund", currency="USD", natural=True) == 70


def test_balance_natural_sign_by_account_type(db):
    ledger.post(db, "fee", [("stripe:clearing", 300), ("provider:1:payable", -200), ("platform:fees", -100)], "nat-1")
    ledger.post(db, "refund", [("refunds", 50), ("stripe:clearing", -50)], "nat-2")
    ledger.post(db, "open", [("bank:main", 10), ("equity:opening", -10)], "nat-3")
    assert ledger.balance(db, "stripe:clearing", natural=True) == 250  # asset: as is
    assert ledger.balance(db, "refunds", natural=True) == 50  # expense: as is
    assert ledger.balance(db, "provider:1:payable") == -200
    assert ledger.balance(db, "provider:1:payable", natural=True) == 200  # liability: flipped
    assert ledger.balance(db, "platform:fees", natural=True) == 100  # revenue: flipped
    assert ledger.balance(db, "equity:opening", natural=True) == 10  # equity: flipped
    assert ledger.balance(db, "provider:9:payable", natural=True) == 0  # never used
    assert ledger.balance(db, "no:such:account", natural=True) == 0  # unknown code: no error, nothing


def test_balances_by_prefix(db):
    ledger.post(db, "a", [("stripe:clearing", 300), ("provider:1:payable", -200), ("provider:2:payable", -100)], "pre")
    ledger.ensure_accounts(db, {"producer:4:payable": "EUR"})  # opened, never used
    assert ledger.balances(db, "provider:") == {"provider:1:payable": -200, "provider:2:payable": -100}
    assert ledger.balances(db, "producer:") == {"producer:4:payable": 0}
    assert ledger.balances(db, "provider_") == {}  # the prefix is literal (no LIKE wildcard)
    everything = ledger.balances(db)
    assert everything == {
        "producer:4:payable": 0,
        "provider:1:payable": -200,
        "provider:2:payable": -100,
        "stripe:clearing": 300,
    }
    assert list(everything) == sorted(everything)


def test_trial_balance_rows_per_account_and_currency(db):
    ledger.post(db, "eur", [("stripe:clearing", 300), ("provider:1:payable", -200), ("platform:fees", -100)], "tb-1")
    ledger.post(db, "eur", [("stripe:clearing", 50), ("provider:1:payable", -50)], "tb-2")
    ledger.post(db, "usd", [Line("bank:usd", 70, "USD"), Line("programme:2:fund", -70, "USD")], "tb-3")
    ledger.ensure_accounts(db, {"producer:4:payable": "EUR"})  # no line: no row
    trial = ledger.trial_balance(db)
    assert trial.rows == [
        ("bank:usd", "asset", "USD", 70),
        ("platform:fees", "revenue", "EUR", -100),
        ("programme:2:fund", "liability", "USD", -70),
        ("provider:1:payable", "liability", "EUR", -250),
        ("stripe:clearing", "asset", "EUR", 350),
    ]
    assert trial.totals == {"EUR": 0, "USD": 0} and trial.balanced


def test_trial_balance_flags_any_nonzero_total():
    assert TrialBalance(rows=[], totals={}).balanced
    assert TrialBalance(rows=[], totals={"EUR": 0, "USD": 0}).balanced
    assert not TrialBalance(rows=[], totals={"EUR": 0, "USD": 1}).balanced
    assert not TrialBalance(rows=[], totals={"EUR": -1}).balanced


def test_get_and_ensure_accounts(db):
    assert ledger.get_account(db, "stripe:clearing") is None
    accounts = ledger.ensure_accounts(db, {"stripe:clearing": "EUR", "provider:1:payable": "EUR"})
    assert {code: (a.type, a.currency) for code, a in accounts.items()} == {
        "stripe:clearing": ("asset", "EUR"),
        "provider:1:payable": ("liability", "EUR"),
    }
    again = ledger.ensure_accounts(db, {"stripe:clearing": "EUR"})
    assert again["stripe:clearing"].id == accounts["stripe:clearing"].id
    assert ledger.get_account(db, "stripe:clearing").id == accounts["stripe:clearing"].id
    with pytest.raises(InvalidAccount, match="unknown account code"):
        ledger.ensure_accounts(db, {"cash:drawer": "EUR"})


def test_trial_balance_exposes_a_tampered_ledger(db):
    """A line slipped in by raw SQL (SQLite has no deferred trigger; PostgreSQL's fires only at
    COMMIT): the trial balance says so, with the total of the currency that does not balance."""
    from sqlalchemy import text

    ledger.post(db, "eur", [("stripe:clearing", 300), ("provider:1:payable", -300)], "tamper-1")
    tx_id = db.execute(text("SELECT id FROM ledger_transaction WHERE idempotency_key = 'tamper-1'")).scalar_one()
    account_id = ledger.get_account(db, "stripe:clearing").id
    db.execute(
        text("INSERT INTO ledger_line (transaction_id, account_id, amount_cents, currency) VALUES (:t, :a, 5, 'EUR')"),
        {"t": tx_id, "a": account_id},
    )
    trial = ledger.trial_balance(db)
    assert trial.totals == {"EUR": 5} and not trial.balanced
    assert ("stripe:clearing", "asset", "EUR", 305) in trial.rows


def test_an_integrity_error_other_than_the_key_is_not_swallowed(db, models, monkeypatch):
    """The SAVEPOINT path: an IntegrityError that is not a replay of the key (here a reversal of
    a transaction that does not exist) is raised, not mistaken for an idempotent replay."""
    from sqlalchemy.exc import IntegrityError

    monkeypatch.setattr(ledger, "_UPSERT", {})
    with pytest.raises(IntegrityError):
        ledger.post(db, "x", [("stripe:clearing", 1), ("programme:1:fund", -1)], "fk-1", reverses=987_654)


def test_a_hand_made_account_keeps_its_type_for_the_natural_sign(db, models):
    account = models.LedgerAccount(code="legacy:deposit", type="liability", currency="EUR")
    db.add(account)
    db.flush()
    assert ledger.balance(db, "legacy:deposit", natural=True) == 0
    clearing = ledger.ensure_accounts(db, {"stripe:clearing": "EUR"})["stripe:clearing"]
    tx = models.LedgerTransaction(kind="legacy", idempotency_key="legacy-1")
    db.add(tx)
    db.add(models.LedgerLine(transaction=tx, account_id=account.id, amount_cents=-40, currency="EUR"))
    db.add(models.LedgerLine(transaction=tx, account_id=clearing.id, amount_cents=40, currency="EUR"))
    db.flush()
    assert ledger.balance(db, "legacy:deposit") == -40
    assert ledger.balance(db, "legacy:deposit", natural=True) == 40  # its stored type: liability


def test_the_savepoint_path_when_a_concurrent_post_wins_the_race(db, models, monkeypatch):
    """No ON CONFLICT: the first look finds nothing (the other post is not committed yet), the
    INSERT hits the unique key, and the winner's transaction is returned (or a conflict raised)."""
    first = ledger.post(db, "fund", [("stripe:clearing", 100), ("programme:1:fund", -100)], "race")
    monkeypatch.setattr(ledger, "_UPSERT", {})
    real, looks = ledger._existing, []

    def late(session, key):
        looks.append(key)
        return None if len(looks) == 1 else real(session, key)

    monkeypatch.setattr(ledger, "_existing", late)
    again = ledger.post(db, "fund", [("stripe:clearing", 100), ("programme:1:fund", -100)], "race")
    assert again is not None and again.id == first.id and len(looks) == 2
    looks.clear()
    with pytest.raises(IdempotencyConflict):
        ledger.post(db, "fund", [("stripe:clearing", 5), ("programme:1:fund", -5)], "race")
    assert _count(db, models) == (1, 2)
