"""Pure money rules: fees, splits, refund lines, settlements, eligibility, dates, messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payments import rules
from payments.ledger import check_balanced
from payments.rules import Eligibility, OrganisationFacts


def test_fee_rounding():
    assert rules.fee_cents(1_999, 1_000) == 200  # 199.9 -> 200
    assert rules.fee_cents(1_994, 1_000) == 199
    assert rules.fee_cents(5, 1_000) == 1  # 0.5 rounds half up
    assert rules.fee_cents(100, 0, minimum_cents=30) == 30
    assert rules.fee_cents(10, 1_000, minimum_cents=30) == 10  # never above the amount
    with pytest.raises(TypeError):
        rules.fee_cents(10.0, 100)


@given(total=st.integers(-(10**9), 10**9), weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=6))
def test_split_is_exact(total, weights):
    if sum(weights) == 0:
        return
    parts = rules.split_proportionally(total, weights)
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - total * weight / sum(weights)) < 1 + 1e-9


@settings(max_examples=200)
@given(amount=st.integers(1, 10**7), fee_bps=st.integers(0, 5_000), cuts=st.lists(st.integers(1, 10**7), max_size=6))
def test_partial_refunds_end_exactly_on_the_original_credits(amount, fee_bps, cuts):
    settlement = rules.licence_sale_settlement(3, amount, fee_bps=fee_bps)
    check_balanced(rules.settlement_lines(amount, settlement))
    refunded, totals = 0, {}
    pieces = []
    for cut in cuts:
        piece = min(cut, amount - refunded - 1) if refunded + cut >= amount else cut
        if piece <= 0:
            break
        pieces.append(piece)
        refunded += piece
    pieces.append(amount - refunded)
    done = 0
    for piece in pieces:
        lines = rules.refund_lines(settlement, amount, already_refunded=done, refund_cents=piece)
        check_balanced(lines)
        done += piece
        for line in lines:
            totals[line.account] = totals.get(line.account, 0) + line.amount_cents
    assert totals.get("stripe:clearing") == -amount
    for code, cents in settlement:
        assert totals.get(code, 0) == -cents


def test_settlements_refused_when_wrong():
    with pytest.raises(ValueError):
        rules.check_settlement(1_000, [("provider:1:payable", -900)])
    with pytest.raises(ValueError):
        rules.check_settlement(1_000, [("provider:1:payable", 1_000)])
    with pytest.raises(ValueError):
        rules.check_settlement(0, [])
    assert (
        rules.refund_lines([("programme:1:fund", -100)], 100, refund_cents=100, absorbed=True)[0].account == "refunds"
    )


def test_eligibility():
    org = OrganisationFacts(id=1, kind="association", commune_insee="13055", siret="732 829 320 00074")
    assert org.departement_code == "13"
    assert OrganisationFacts(id=2, commune_insee="97411").departement_code == "974"
    assert rules.eligibility_problems(Eligibility(departements=["13"], organisation_kinds=["association"]), org) == []
    assert rules.eligibility_problems(Eligibility(communes=["13055"]), org) == []
    assert len(rules.eligibility_problems(Eligibility(departements=["06"], organisation_kinds=["tpe"]), org)) == 2
    assert rules.eligibility_problems(Eligibility(max_per_organisation=2), org, requested=2, already_held=1)
    assert rules.eligibility_problems(Eligibility(), OrganisationFacts(id=3, siret="73282932000075"))  # bad Luhn key
    assert rules.eligibility_problems(Eligibility(require_siret=False), OrganisationFacts(id=3)) == []
    round_trip = Eligibility.from_json(Eligibility(departements=["83"], max_per_organisation=3).to_json())
    assert round_trip.departements == ["83"] and round_trip.max_per_organisation == 3


def test_voucher_dates():
    issued = datetime(2026, 1, 10, 12, 0)  # naive = UTC (SQLite)
    dates = rules.voucher_dates(issued)
    assert dates.expires_at == datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
    assert dates.expires_at - dates.blocks_at == timedelta(days=15)
    assert dates.expires_at - dates.warns_at == timedelta(days=30)
    capped = rules.voucher_dates(issued, programme_valid_until=datetime(2026, 6, 30, tzinfo=UTC))
    assert capped.expires_at == datetime(2026, 6, 30, tzinfo=UTC)
    later = rules.voucher_dates(issued, programme_valid_from=datetime(2026, 2, 1, tzinfo=UTC), validity_days=30)
    assert later.valid_from == datetime(2026, 2, 1, tzinfo=UTC) and later.expires_at == datetime(2026, 3, 3, tzinfo=UTC)


def _imports(path) -> set[str]:
    import ast

    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_gateway_imports_stripe_in_the_whole_project():
    import pathlib

    root = pathlib.Path(rules.__file__).parent.parent
    gateway = pathlib.Path(rules.__file__).parent / "gateway.py"
    for folder in ("app", "payments", "matching", "search", "scripts", "migrations", "tests"):
        for path in (root / folder).rglob("*.py"):
            if path != gateway:
                assert "stripe" not in _imports(path), (
                    f"{path.relative_to(root)} imports stripe: go through payments.gateway"
                )


def test_payments_imports_no_flask_no_app_and_only_gateway_imports_stripe():
    import ast
    import pathlib

    root = pathlib.Path(rules.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        assert not names & {"flask", "app", "flask_sqlalchemy"}, path.name
        assert ("stripe" in names) == (path.name == "gateway.py"), path.name
