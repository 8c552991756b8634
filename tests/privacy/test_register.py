"""The register of processing covers every column of every table: a column in no processing and not
declared non-personal fails, naming it; a column named like personal data declared non-personal
fails unless a reason of its own justifies it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import app.models  # noqa: F401  (every model on the metadata)
from app.extensions import db
from app.privacy.register import LEGAL_BASES, RegisterError, SubjectPath, load, register

# Names that say "a person" (substring) or "a place, a message, a secret about a person" (whole word).
PERSONAL_SUBSTRINGS = ("email", "phone", "name", "iban", "address", "holder", "comment", "message", "contact")
PERSONAL_WORDS = {"ip", "bic", "body", "siret", "lat", "lon", "latitude", "longitude", "password", "token"}


def looks_personal(column: str) -> bool:
    return any(part in column for part in PERSONAL_SUBSTRINGS) or bool(set(column.split("_")) & PERSONAL_WORDS)


def test_every_column_of_every_table_is_classified():
    reg = register()
    unclassified = []
    for table in sorted(db.metadata.tables.values(), key=lambda t: t.name):
        personal = reg.personal_columns(table.name)
        entry = reg.entry(table.name)
        for column in table.columns:
            if column.name not in personal and column.name not in entry.non_personal_columns:
                unclassified.append(f"{table.name}.{column.name}")
    assert not unclassified, "columns in no processing and not declared non-personal: " + ", ".join(unclassified)


def test_columns_named_like_personal_data_need_their_own_reason_to_be_non_personal():
    reg = register()
    suspicious = [
        f"{name}.{column}"
        for name, entry in reg.tables.items()
        for column in entry.not_personal
        if looks_personal(column)
    ]
    assert not suspicious, "named like personal data, declared non-personal without a reason: " + ", ".join(suspicious)
    assert looks_personal("contact_email") and looks_personal("client_ip") and not looks_personal("description")


def test_the_register_names_only_real_tables_and_columns():
    reg = register()
    tables = db.metadata.tables
    wrong = []
    for processing in reg.processings:
        assert processing.legal_basis in LEGAL_BASES
        for table, columns in processing.columns.items():
            wrong += [
                f"{processing.id}: {table}.{c}" for c in columns if table not in tables or c not in tables[table].c
            ]
    for name, entry in reg.tables.items():
        if name not in tables:
            wrong.append(f"tables: {name}")
            continue
        overlap = set(reg.personal_columns(name)) & entry.non_personal_columns
        wrong += [f"{name}.{c} is both personal and not" for c in overlap]
        for path in entry.subject:
            referenced = [(name, path.column)]
            if path.where:
                referenced.append((name, path.where[0]))
            if path.via_table:
                referenced.append((path.via_table, path.via_column))
                if not reg.entry(path.via_table).subject:
                    wrong.append(f"{name}: {path} goes through {path.via_table}, which has no subject path")
            wrong += [f"{name}: {path} names {t}.{c}" for t, c in referenced if t not in tables or c not in tables[t].c]
        wrong += [f"{name}.{c} (not exported)" for c in entry.not_exported if c not in tables[name].c]
    for rule in reg.retention_rules():
        if rule.table and rule.table not in tables:
            wrong.append(f"retention {rule.id}: {rule.table}")
        wrong += [f"retention {rule.id}: {rule.table}.{c}" for c in rule.columns if c not in tables[rule.table].c]
    assert not wrong, wrong


def test_every_table_with_personal_columns_says_how_a_persons_rows_are_found():
    reg = register()
    missing = [name for name in db.metadata.tables if reg.personal_columns(name) and not reg.entry(name).subject]
    assert not missing, "personal data no export can find: " + ", ".join(sorted(missing))


def test_every_processing_is_written_in_french_and_english():
    for processing in register().processings:
        for text in (processing.name, processing.purpose, processing.retention_text):
            assert text.fr and text.en and text.fr != text.en
        assert processing.people.get("en") and processing.recipients.get("fr")


def test_retention_rules_are_found_by_id():
    reg = register()
    rule = reg.retention("inactive_accounts")
    assert (rule.days, rule.from_, rule.processing_id, rule.warn_days) == (1095, "last_login", "accounts", 30)
    assert reg.retention("outbox_emails").table == "outbox_email"
    with pytest.raises(KeyError):
        reg.retention("nothing")


def test_subject_paths_parse():
    assert str(SubjectPath.parse("need", "organisation_id in organisation.id")) == "organisation_id in organisation.id"
    path = SubjectPath.parse("card_intent", "buyer_ref = user:{user_account.id}")
    assert (path.via_table, path.via_column, path.template) == ("user_account", "id", "user:{user_account.id}")
    path = SubjectPath.parse("listing_change", "entity_id in provider.id if entity_kind=provider")
    assert path.where == ("entity_kind", "provider") and not path.direct
    with pytest.raises(RegisterError):
        SubjectPath.parse("need", "organisation_id in organisation")


def test_a_processing_with_an_unknown_legal_basis_is_refused(tmp_path: Path):
    text = (Path(__file__).parents[2] / "app/privacy/register.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "register.yaml"
    bad.write_text(re.sub(r"legal_basis: contract", "legal_basis: because", text, count=1), encoding="utf-8")
    with pytest.raises(RegisterError, match="legal basis"):
        load(bad)


def test_person_rows_follow_the_subject_paths_to_the_persons_rows_only(factory):
    from app.privacy.register import person_rows

    alice, bob = factory.user(name="Alice Martin"), factory.user(name="Bob Durand")
    need = factory.need(organisation=factory.organisation(owner=alice, name="Les Amis d'Alice"), user=alice)
    other = factory.need(organisation=factory.organisation(owner=bob, name="Les Amis de Bob", siret=None), user=bob)
    rows = person_rows(alice.id)
    assert [r["id"] for r in rows["user_account"]] == [alice.id]
    assert [r["id"] for r in rows["need"]] == [need.id]
    assert [r["name"] for r in rows["organisation"]] == ["Les Amis d'Alice"]
    assert [r["id"] for r in person_rows(bob.id)["need"]] == [other.id]
    assert {r["user_id"] for r in rows["membership"]} == {alice.id}
