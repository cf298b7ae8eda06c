"""Validation rules as asset checks on a golden asset, with the failing records in metadata.

Error rules reject records at ingest, so golden records never break them: their check reads the
open failures the rule left behind. Warning rules let records through, so their check evaluates
the rule over the golden records themselves, a page at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.engine import codec
from hub.engine.repository import Repository
from hub.mapping import EntityMapping
from hub.mapping.schema import RuleSpec
from hub.store import Store
from hub.store.schema import failures, golden_records
from hub.validation import evaluate

SHOWN = 50  # failing records listed per check
PAGE = 1000  # golden records per evaluation batch


def golden_key(entity: str) -> dg.AssetKey:
    return dg.AssetKey(["hub", entity])


def check_name(rule_id: str) -> str:
    """Dagster names allow letters, digits and underscores only."""
    return re.sub(r"[^A-Za-z0-9_]", "_", rule_id)


def check_specs(mapping: EntityMapping) -> list[dg.AssetCheckSpec]:
    """One check per rule of the entity, blocking where the mapping says so."""
    return [
        dg.AssetCheckSpec(
            check_name(rule.id),
            asset=golden_key(mapping.entity),
            blocking=rule.blocking,
            description=_describe(rule),
            metadata={"rule": rule.id, "mapping_line": mapping.rule_lines.get(rule.id, 0)},
        )
        for rule in mapping.rules
    ]


def _describe(rule: RuleSpec) -> str:
    how = (
        "passes while no record rejected by it is still open in the failures table"
        if rule.severity == "error"
        else "evaluated over the golden records"
    )
    blocking = "; blocks publishing when it fails" if rule.blocking else ""
    return f"Rule {rule.id} ({rule.kind} on {rule.field}, {rule.severity}): {how}{blocking}."


@dataclass
class _Finding:
    count: int = 0
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, key: Any, system: Any, field_: Any, message: Any) -> None:
        self.count += 1
        if len(self.rows) < SHOWN:
            self.rows.append((_cell(key), _cell(system), _cell(field_), _cell(message)))


def evaluate_checks(store: Store, mapping: EntityMapping) -> Iterator[dg.AssetCheckResult]:
    """An AssetCheckResult per rule of ``mapping``, in rule order."""
    findings = {rule.id: _Finding() for rule in mapping.rules}
    errors = [r for r in mapping.rules if r.severity == "error"]
    warnings = [r for r in mapping.rules if r.severity != "error"]
    if errors:
        with store.begin() as conn:
            _open_failures(conn, mapping.entity, errors, findings)
    if warnings:
        _scan_golden(store, mapping, warnings, findings)
    for rule in mapping.rules:
        found = findings[rule.id]
        metadata: dict[str, Any] = {"failing_count": dg.MetadataValue.int(found.count)}
        if found.rows:
            metadata["failing_records"] = dg.MetadataValue.md(_table(found, found.count))
        yield dg.AssetCheckResult(
            asset_key=golden_key(mapping.entity),
            check_name=check_name(rule.id),
            passed=found.count == 0,
            severity=dg.AssetCheckSeverity.ERROR if rule.severity == "error" else dg.AssetCheckSeverity.WARN,
            metadata=metadata,
        )


def _open_failures(
    conn: Connection, entity: str, rules: list[RuleSpec], findings: dict[str, _Finding]
) -> None:
    t = failures
    open_ = (t.c.entity == entity, t.c.status == "open")
    counts = conn.execute(
        sa.select(t.c.rule, sa.func.count())
        .where(*open_, t.c.rule.in_([r.id for r in rules]))
        .group_by(t.c.rule)
    )
    for rule_id, count in counts:
        if not count:
            continue
        rows = conn.execute(
            sa.select(t.c.key, t.c.system, t.c.field, t.c.message)
            .where(*open_, t.c.rule == rule_id)
            .order_by(t.c.id)
            .limit(SHOWN)
        )
        found = findings[rule_id]
        for row in rows:
            found.add(row.key, row.system, row.field, row.message)
        found.count = int(count)


class _GoldenLookup:
    """Reference rules look keys up in the golden records."""

    def __init__(self, repo: Repository, conn: Connection) -> None:
        self.repo, self.conn = repo, conn

    def existing_keys(self, entity: str, keys: set[str]) -> set[str]:
        return self.repo.existing_keys(self.conn, entity, keys)


def _scan_golden(
    store: Store, mapping: EntityMapping, rules: list[RuleSpec], findings: dict[str, _Finding]
) -> None:
    """Keyset pages of golden records, so memory stays flat however large the entity grows."""
    t = golden_records
    repo = Repository(store)
    after = 0
    while True:
        with store.begin() as conn:
            page = conn.execute(
                sa.select(t.c.id, t.c.key, t.c.data, t.c.provenance)
                .where(t.c.entity == mapping.entity, t.c.id > after)
                .order_by(t.c.id)
                .limit(PAGE)
            ).all()
            if not page:
                return
            records = [codec.loads(row.data) for row in page]
            violations = evaluate(rules, records, _GoldenLookup(repo, conn))
        for v in violations:
            row = page[v.index]
            provenance = codec.loads(row.provenance) or {}
            # who last set the field, else who owns it: the system where someone can fix it
            source = provenance.get(v.top_field) or [mapping.owner_of(v.top_field)]
            findings[v.rule.id].add(row.key, source[0], v.field, v.message)
        after = page[-1].id


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(found: _Finding, total: int) -> str:
    lines = ["| key | system | field | message |", "| --- | --- | --- | --- |"]
    lines += [f"| {' | '.join(row)} |" for row in found.rows]
    if total > len(found.rows):
        lines.append(f"\n{len(found.rows)} of {total} shown.")
    return "\n".join(lines)
