"""The register of processing (GDPR art. 30), read from `register.yaml`, typed.

The stable API (what the privacy policy, the export, the erasure and the retention jobs use):

- `register()` -> `Register`: the register, loaded once (`load(path)` reads another file).
- `Register.controller` (`Text` + `name`), `Register.processings` (in the YAML's order),
  `Register.processing(id)` -> `Processing`.
- `Register.retention(rule_id)` -> `RetentionRule`: a machine-readable duration a job applies:
  `days`, `from_` (a column such as "created_at", or a named event: "last_login", "need_closed",
  "assessment_decided"), `table`, `columns` (empty: whole rows), `when` (a condition in words),
  `action` ("delete", "anonymise", "erase_columns", "delete_file"), `warn_days` (warn this many days
  before), `processing_id`. `Register.retention_rules()` lists them all.
- `Register.tables` -> {table name: `TableEntry`}: `subject` (the `SubjectPath`s that find a
  person's rows), `not_exported` ({column: reason}), `not_personal` (columns), `justified`
  ({column: reason}). `Register.subject_tables()`: the tables with at least one subject path.
- `Register.personal_columns(table)` -> {column: (processing ids)}; `Register.processings_for(table)`.
- `person_rows(user_id)` -> {table: [row mapping]}: every row of every table that the subject paths
  reach from one user account (the export reads them; the erasure acts on them).
- `LEGAL_BASES`: the GDPR art. 6 codes a processing may name.

Subject paths, written in the YAML as one string each:
  "col"                          col holds the person's user id
  "col in table.col2"            col is one of the values of col2 in the person's rows of table
  "col = text{table.col2}text"   col equals the text built from each such value
  ... "if col=value"             only the rows where col equals value (a polymorphic link)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Table, and_, or_, select
from sqlalchemy.engine import RowMapping

from app.extensions import db

REGISTER_PATH = Path(__file__).with_name("register.yaml")
LEGAL_BASES = ("contract", "consent", "legal_obligation", "public_task", "legitimate_interest")
ACTIONS = ("delete", "anonymise", "erase_columns", "delete_file")


class RegisterError(ValueError):
    """The YAML says something the loader cannot take."""


@dataclass(frozen=True)
class Text:
    """A text in French and English."""

    fr: str
    en: str

    def get(self, locale: str | None) -> str:
        return self.en if (locale or "").startswith("en") else self.fr


@dataclass(frozen=True)
class TextList:
    fr: tuple[str, ...]
    en: tuple[str, ...]

    def get(self, locale: str | None) -> tuple[str, ...]:
        return self.en if (locale or "").startswith("en") else self.fr


@dataclass(frozen=True)
class RetentionRule:
    id: str
    processing_id: str
    days: int
    from_: str
    action: str
    table: str | None = None
    columns: tuple[str, ...] = ()
    when: str | None = None
    warn_days: int | None = None


@dataclass(frozen=True)
class Processing:
    id: str
    name: Text
    purpose: Text
    legal_basis: str
    people: TextList
    data: TextList
    recipients: TextList
    retention_text: Text
    rules: tuple[RetentionRule, ...]
    columns: dict[str, tuple[str, ...]]


_PATH = re.compile(
    r"^(?P<column>\w+)"
    r"(?:\s+in\s+(?P<via_table>\w+)\.(?P<via_column>\w+)|\s+=\s+(?P<template>\S+))?"
    r"(?:\s+if\s+(?P<where_column>\w+)=(?P<where_value>\S+))?$"
)
_PLACEHOLDER = re.compile(r"\{(\w+)\.(\w+)\}")


@dataclass(frozen=True)
class SubjectPath:
    """How a table's rows are tied to a person (see the module docstring)."""

    table: str
    column: str
    via_table: str | None = None  # "in": the table whose person's rows give the values
    via_column: str | None = None
    template: str | None = None  # "=": the text, with one {table.column} placeholder
    where: tuple[str, str] | None = None

    @classmethod
    def parse(cls, table: str, text: str) -> SubjectPath:
        match = _PATH.match(text.strip())
        if not match:
            raise RegisterError(f"{table}: unreadable subject path {text!r}")
        parts = match.groupdict()
        via_table, via_column, template = parts["via_table"], parts["via_column"], parts["template"]
        if template:
            placeholders = _PLACEHOLDER.findall(template)
            if len(placeholders) != 1:
                raise RegisterError(f"{table}: {text!r} needs exactly one {{table.column}}")
            via_table, via_column = placeholders[0]
        where = (parts["where_column"], parts["where_value"]) if parts["where_column"] else None
        return cls(table, parts["column"], via_table, via_column, template, where)

    @property
    def direct(self) -> bool:
        """The column holds the user id itself."""
        return self.via_table is None

    def __str__(self) -> str:
        text = self.column
        if self.template:
            text += f" = {self.template}"
        elif self.via_table:
            text += f" in {self.via_table}.{self.via_column}"
        if self.where:
            text += f" if {self.where[0]}={self.where[1]}"
        return text


@dataclass(frozen=True)
class TableEntry:
    name: str
    subject: tuple[SubjectPath, ...] = ()
    not_exported: dict[str, str] = field(default_factory=dict)
    not_personal: tuple[str, ...] = ()
    not_personal_reason: str = ""
    justified: dict[str, str] = field(default_factory=dict)

    @property
    def non_personal_columns(self) -> set[str]:
        return set(self.not_personal) | set(self.justified)


@dataclass(frozen=True)
class Register:
    name: str
    controller: Text
    processings: tuple[Processing, ...]
    tables: dict[str, TableEntry]

    def processing(self, processing_id: str) -> Processing:
        for processing in self.processings:
            if processing.id == processing_id:
                return processing
        raise KeyError(processing_id)

    def retention_rules(self) -> list[RetentionRule]:
        return [rule for processing in self.processings for rule in processing.rules]

    def retention(self, rule_id: str) -> RetentionRule:
        for rule in self.retention_rules():
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def personal_columns(self, table: str) -> dict[str, tuple[str, ...]]:
        """{column: ids of the processings that cover it} for one table."""
        found: dict[str, list[str]] = {}
        for processing in self.processings:
            for column in processing.columns.get(table, ()):
                found.setdefault(column, []).append(processing.id)
        return {column: tuple(ids) for column, ids in found.items()}

    def processings_for(self, table: str) -> list[Processing]:
        return [p for p in self.processings if table in p.columns]

    def subject_tables(self) -> list[str]:
        return [name for name, entry in self.tables.items() if entry.subject]

    def entry(self, table: str) -> TableEntry:
        return self.tables.get(table) or TableEntry(table)


def _text(value: Any, where: str) -> Text:
    if not isinstance(value, dict) or not value.get("fr") or not value.get("en"):
        raise RegisterError(f"{where}: needs a French and an English text")
    return Text(str(value["fr"]).strip(), str(value["en"]).strip())


def _text_list(value: Any, where: str) -> TextList:
    if not isinstance(value, dict) or not value.get("fr") or not value.get("en"):
        raise RegisterError(f"{where}: needs French and English lists")
    return TextList(tuple(map(str, value["fr"])), tuple(map(str, value["en"])))


def _rule(rule_id: str, processing_id: str, raw: dict) -> RetentionRule:
    where = f"{processing_id}.retention.{rule_id}"
    try:
        days = int(raw["days"])
        from_ = str(raw["from"])
    except (KeyError, TypeError, ValueError) as error:
        raise RegisterError(f"{where}: needs days and from") from error
    action = str(raw.get("action", "delete"))
    if action not in ACTIONS:
        raise RegisterError(f"{where}: unknown action {action!r}")
    return RetentionRule(
        id=rule_id,
        processing_id=processing_id,
        days=days,
        from_=from_,
        action=action,
        table=raw.get("table"),
        columns=tuple(raw.get("columns") or ()),
        when=raw.get("when"),
        warn_days=int(raw["warn_days"]) if raw.get("warn_days") is not None else None,
    )


def _processing(raw: dict) -> Processing:
    pid = raw.get("id")
    if not pid:
        raise RegisterError("a processing without an id")
    if raw.get("legal_basis") not in LEGAL_BASES:
        raise RegisterError(f"{pid}: legal basis must be one of {', '.join(LEGAL_BASES)}")
    retention = raw.get("retention") or {}
    rules = tuple(_rule(rule_id, pid, rule) for rule_id, rule in (retention.get("rules") or {}).items())
    return Processing(
        id=pid,
        name=_text(raw.get("name"), f"{pid}.name"),
        purpose=_text(raw.get("purpose"), f"{pid}.purpose"),
        legal_basis=raw["legal_basis"],
        people=_text_list(raw.get("people"), f"{pid}.people"),
        data=_text_list(raw.get("data"), f"{pid}.data"),
        recipients=_text_list(raw.get("recipients"), f"{pid}.recipients"),
        retention_text=_text(retention, f"{pid}.retention"),
        rules=rules,
        columns={table: tuple(columns) for table, columns in (raw.get("columns") or {}).items()},
    )


def _table(name: str, raw: dict) -> TableEntry:
    raw = raw or {}
    not_personal = raw.get("not_personal") or {}
    return TableEntry(
        name=name,
        subject=tuple(SubjectPath.parse(name, path) for path in raw.get("subject") or ()),
        not_exported={str(k): str(v) for k, v in (raw.get("not_exported") or {}).items()},
        not_personal=tuple(not_personal.get("columns") or ()),
        not_personal_reason=str(not_personal.get("reason") or ""),
        justified={str(k): str(v) for k, v in (not_personal.get("justified") or {}).items()},
    )


def load(path: Path = REGISTER_PATH) -> Register:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    processings = tuple(_processing(p) for p in raw.get("processings") or ())
    ids = [p.id for p in processings]
    if len(set(ids)) != len(ids):
        raise RegisterError("two processings share an id")
    rule_ids = [rule.id for p in processings for rule in p.rules]
    if len(set(rule_ids)) != len(rule_ids):
        raise RegisterError("two retention rules share an id")
    tables = {name: _table(name, entry) for name, entry in (raw.get("tables") or {}).items()}
    for entry in tables.values():
        if entry.not_personal and not entry.not_personal_reason:
            raise RegisterError(f"{entry.name}: non-personal columns need a reason")
    controller = raw.get("controller") or {}
    return Register(
        name=str(controller.get("name") or ""),
        controller=_text(controller, "controller"),
        processings=processings,
        tables=tables,
    )


@cache
def register() -> Register:
    return load()


def _template_values(template: str, values: set) -> set[str]:
    return {_PLACEHOLDER.sub(str(value), template) for value in values}


def person_rows(user_id: int, reg: Register | None = None) -> dict[str, list[RowMapping]]:
    """Every row that the register's subject paths reach from one user account, per table
    (tables with no row are left out). Reads through the app's session."""
    reg = reg or register()
    metadata = db.metadata
    found: dict[str, list[RowMapping]] = {}
    resolving: set[str] = set()

    def rows(name: str) -> list[RowMapping]:
        if name in found:
            return found[name]
        if name in resolving:  # a cycle: this table's rows are being found by a caller
            return []
        resolving.add(name)
        table: Table = metadata.tables[name]
        conditions = []
        for path in reg.entry(name).subject:
            column = table.c[path.column]
            if path.direct:
                condition = column == user_id
            else:
                assert path.via_table is not None and path.via_column is not None
                values = {row[path.via_column] for row in rows(path.via_table)} - {None}
                if path.template:
                    values = _template_values(path.template, values)
                if not values:
                    continue
                condition = column.in_(sorted(values, key=str))
            if path.where:
                condition = and_(condition, table.c[path.where[0]] == path.where[1])
            conditions.append(condition)
        result = list(db.session.execute(select(table).where(or_(*conditions))).mappings()) if conditions else []
        resolving.discard(name)
        found[name] = result
        return result

    for name in reg.subject_tables():
        rows(name)
    return {name: result for name, result in found.items() if result}
