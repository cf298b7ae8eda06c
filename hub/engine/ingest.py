"""Ingest (system -> hub): read -> translate -> validate -> merge -> persist, one transaction per batch.

Idempotent consumer: a raw record identical to the last one taken from the same system (same
mapping version) is skipped before any merge; a crash before a batch commits re-reads that batch,
and after it commits nothing of it is applied again, because the cursor moves in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.engine import codec, observers
from hub.engine.gctune import batch_friendly_gc
from hub.engine.keys import KeyMinter, assign
from hub.engine.merge import Merger, normalise
from hub.engine.ports import Connector, ReadBatch
from hub.engine.repository import FailureRecord, GoldenRow, Repository
from hub.engine.stats import SyncStats, utcnow
from hub.errors import RecordRejected
from hub.faultpoints import reached
from hub.mapping import EntityMapping
from hub.store import Store
from hub.validation import evaluate

_RESOLVED_STAGES = ("read", "translate", "validate", "merge")


KEY_MAX = 255  # the key and system id columns of golden_records, xref, failures and audit_events


def storable(key: str | None) -> str | None:
    """The key when every store column can hold it (PostgreSQL refuses NUL; columns are 255 long), else None."""
    if key is None or len(key) > KEY_MAX or codec.storable_text(key) != key:  # NUL, lone surrogate
        return None
    return key


@dataclass
class _Item:
    raw: dict[str, Any]
    key: str
    system_id: str
    source_hash: str
    incoming: dict[str, Any]
    minted: bool = False  # the key is the hub's, not (yet) in the system's record


class _Lookup:
    """Reference rules look keys up in the store through the batch's open transaction."""

    def __init__(self, repo: Repository, conn: Any) -> None:
        self.repo, self.conn = repo, conn

    def existing_keys(self, entity: str, keys: set[str]) -> set[str]:
        return self.repo.existing_keys(self.conn, entity, keys)


class Ingestor:
    """Ingests one entity from one system."""

    def __init__(
        self,
        store: Store,
        mapping: EntityMapping,
        system: str,
        connector: Connector,
        run_id: str,
        batch_size: int = 1000,
    ) -> None:
        self.store, self.mapping, self.system = store, mapping, system
        self.connector, self.run_id, self.batch_size = connector, run_id, batch_size
        self.repo = Repository(store)
        self.sysmap = mapping.systems[system]
        self.translator = self.sysmap.translator
        # a source that is also a target: the fields it receives from the hub (those it does not own)
        # (only fields it also sends can be compared: what it does not send, the hub cannot see)
        unseen = frozenset(mapping.spec.model.model_fields) - self.translator.supplied
        self.target_omit = mapping.owned_by(system) | unseen if self.sysmap.write else None
        self.model = mapping.spec.model
        self.merger = Merger(mapping, system, self.translator.supplied)
        self._open_failures: set[str] | None = None
        self.unique_rules = [r for r in mapping.rules if r.kind == "unique"]
        self.record_rules = [r for r in mapping.rules if r.kind != "unique"]
        spec = self.sysmap.mint_key
        self.minter = KeyMinter(store, mapping.entity, system, spec) if spec is not None else None

    def run(self, full: bool = False) -> SyncStats:
        stats = SyncStats(self.mapping.entity, self.system, "ingest")
        with self.store.begin() as conn:
            cursor = None if full else self.repo.get_cursor(conn, self.system, self.mapping.entity)
        stats.cursor = cursor
        with observers.step(stats, self.run_id), batch_friendly_gc(self.batch_size):
            for batch in self.connector.read(self.mapping.entity, cursor, self.batch_size):
                if self.store.dialect == "postgresql":  # a table that doubled gets fresh statistics
                    with self.store.begin() as conn:
                        self.repo.refresh_statistics(conn, growth=1.0)
                reached("ingest.batch.read")
                self._ingest_batch(batch, stats)
                reached("ingest.batch.committed")
                if batch.cursor is not None:
                    stats.cursor = batch.cursor
        with self.store.begin() as conn:
            self.repo.add_stats(conn, self.run_id, stats)
        return stats

    # ------------------------------------------------------------------------------------------------
    def _ingest_batch(self, batch: ReadBatch, stats: SyncStats) -> None:
        entity, system, run_id = self.mapping.entity, self.system, self.run_id
        now = utcnow()
        stats.read += len(batch.records) + len(batch.errors)
        fails: list[FailureRecord] = [
            FailureRecord(
                run_id,
                entity,
                None,
                system,
                "read",
                "parse",
                None,
                f"{e.position + ': ' if e.position else ''}{e.message}",
                e.raw,
            )
            for e in batch.errors
        ]
        items = self._reject_duplicates(self._translate(batch.records, fails), fails)
        stats.rejected += len(fails)  # one failure per record so far: unreadable, untranslatable, duplicate
        items = self._latest_per_key(items, stats)

        with self.store.begin() as conn:
            keys = [i.key for i in items]
            xrefs = self.repo.xref_by_keys(conn, entity, system, keys)
            taken = self.repo.xref_by_system_ids(conn, entity, system, [i.system_id for i in items])
            golden = self.repo.golden_by_keys(conn, entity, keys)
            xref_rows: dict[str, dict[str, Any]] = {}
            ledger: dict[str, dict[str, Any]] = {}
            audit: list[dict[str, Any]] = []
            pending: list[tuple[_Item, GoldenRow | None, Any, str, bytes]] = []
            for item in items:
                owner_key = taken.get(item.system_id)
                if owner_key is not None and owner_key != item.key:
                    fails.append(
                        self._fail(
                            item,
                            "merge",
                            "xref",
                            f"{system} id {item.system_id} is already linked to key {owner_key}",
                        )
                    )
                    stats.rejected += 1
                    continue
                if xrefs.get(item.key, (None, None))[1] == item.source_hash:
                    stats.unchanged += 1
                    continue
                row = golden.get(item.key)
                if row is None and not self.sysmap.creates:
                    fails.append(
                        self._fail(
                            item,
                            "merge",
                            "orphan",
                            f"no golden {entity} '{item.key}' yet, and {system} does not create them",
                            retriable=True,
                        )
                    )
                    stats.rejected += 1
                    continue
                outcome = self.merger(item.incoming, row.data if row else None)
                if outcome.changes:
                    _drop_empty_changes(outcome, row.data if row else {})
                if row is not None and self.mapping.fill_empty:
                    _keep_filled(outcome, row, self.mapping)
                if self.mapping.defaults is not None:
                    _apply_defaults(self.mapping.defaults, outcome, row.data if row else {})
                if outcome.conflicts:
                    stats.conflicts += 1
                    audit.append(self._audit(now, item.key, "conflict", outcome.conflicts))
                blob = codec.dumpb(outcome.candidate)
                new_hash = codec.hash_bytes(blob)
                if row is not None and new_hash == row.hash:
                    stats.unchanged += 1
                    xref_rows[item.key] = self._xref(item, now)
                    self._note_target_state(ledger, item, row.data, row.hash, now)
                    continue
                pending.append((item, row, outcome, new_hash, blob))

            violations = evaluate(
                self.record_rules, [p[2].candidate for p in pending], _Lookup(self.repo, conn)
            )
            by_index: dict[int, list[Any]] = {}
            for v in violations:
                by_index.setdefault(v.index, []).append(v)

            golden_rows: list[dict[str, Any]] = []
            merged_keys: list[str] = []
            stamp = [system, run_id, now.isoformat()]
            for index, (item, row, outcome, data_hash, blob) in enumerate(pending):
                errors = [
                    v
                    for v in by_index.get(index, ())
                    if v.rule.severity == "error" and (row is None or v.top_field in self.translator.supplied)
                ]
                if errors:
                    stats.rejected += 1
                    for v in errors:
                        fails.append(self._fail(item, "validate", v.rule.id, v.message, field=v.field))
                    audit.append(
                        self._audit(
                            now,
                            item.key,
                            "rejected",
                            {v.rule.id: {"field": v.field, "message": v.message} for v in errors},
                        )
                    )
                    continue
                provenance = dict(row.provenance) if row else {}
                for name in outcome.changes:
                    provenance[name] = stamp
                version = row.version + 1 if row else 1
                golden_rows.append(
                    {
                        "entity": entity,
                        "key": item.key,
                        "data": blob.decode(),
                        "hash": data_hash,
                        "version": version,
                        "provenance": codec.dumps(provenance),
                        "run_id": run_id,
                        "created_at": row.created_at if row and row.created_at else now,
                        "updated_at": now,
                    }
                )
                action = "updated" if row else "created"
                if row:
                    stats.updated += 1
                else:
                    stats.created += 1
                audit.append(
                    self._audit(
                        now,
                        item.key,
                        action,
                        outcome.changes,  # field -> (before, after): JSON arrays
                        correlation={system: item.system_id},
                    )
                )
                xref_rows[item.key] = self._xref(item, now)
                self._note_target_state(ledger, item, outcome.candidate, data_hash, now)
                merged_keys.append(item.key)

            failed_before = self._failed_keys(conn)
            self.repo.resolve_failures(
                conn, entity, system, [k for k in merged_keys if k in failed_before], _RESOLVED_STAGES, now
            )
            failed_before.update(f.key for f in fails if f.key is not None)
            self.repo.upsert_golden(conn, _dedupe(golden_rows))
            self.repo.upsert_xref(conn, list(xref_rows.values()))
            self.repo.upsert_deliveries(conn, list(ledger.values()))
            self.repo.add_audit(conn, audit)
            self.repo.record_failures(conn, fails, now)
            if batch.cursor is not None:
                self.repo.set_cursor(conn, system, entity, batch.cursor, now)

    def _failed_keys(self, conn: Any) -> set[str]:
        """Keys with open failures this ingest may close: read once per run, then kept up to date with
        the failures the run records, so a batch of clean records costs no failure-table update."""
        if self._open_failures is None:
            self._open_failures = self.repo.open_failure_keys(
                conn, self.mapping.entity, self.system, _RESOLVED_STAGES
            )
        return self._open_failures

    def _translate(self, records: list[dict[str, Any]], fails: list[FailureRecord]) -> list[_Item]:
        items: list[_Item] = []
        minting: list[_Item] = []
        version = self.mapping.version
        key_fields = self.mapping.spec.key_fields
        key_field = key_fields[0] if len(key_fields) == 1 else None
        for raw in records:
            try:
                incoming = normalise(self.model, self.translator.to_canonical(raw))
            except RecordRejected as exc:
                key = storable(self._key_of_raw(raw))
                fails.append(
                    FailureRecord(
                        self.run_id,
                        self.mapping.entity,
                        key,
                        self.system,
                        exc.stage,
                        exc.rule,
                        exc.field,
                        exc.message,
                        raw,
                    )
                )
                continue
            if key_field is not None:  # EntitySpec.key_of for a one-field key, inline
                value = incoming.get(key_field)
                key = None if value is None or value == "" else str(value)
            else:
                key = self.mapping.spec.key_of(incoming)
            if key is None and self.minter is not None and self.translator.system_id(raw):
                minting.append(_Item(raw, "", str(self.translator.system_id(raw)), "", incoming, True))
                continue
            if key is None:
                fails.append(
                    FailureRecord(
                        self.run_id,
                        self.mapping.entity,
                        None,
                        self.system,
                        "translate",
                        "key",
                        "/".join(self.mapping.spec.key_fields),
                        f"natural key {'/'.join(self.mapping.spec.key_fields)} is missing",
                        raw,
                    )
                )
                continue
            system_id = self.translator.system_id(raw) or key
            if storable(key) is None or storable(str(system_id)) is None:
                shown = (
                    (key if storable(key) is None else str(system_id))[:40].encode("unicode_escape").decode()
                )
                fails.append(
                    FailureRecord(
                        self.run_id,
                        self.mapping.entity,
                        None,
                        self.system,
                        "translate",
                        "key.storable",
                        "/".join(self.mapping.spec.key_fields),
                        f"key or id '{shown}...' cannot be stored: longer than {KEY_MAX} characters or with "
                        "a NUL character",
                        raw,
                    )
                )
                continue
            items.append(_Item(raw, key, system_id, codec.content_hash([version, raw]), incoming))
        if minting:
            items.extend(self._mint(minting))
        return items

    def _mint(self, items: list[_Item]) -> list[_Item]:
        """Keys for records that came without one: the key their system id already has, else a new one."""
        assert self.minter is not None
        entity, field = self.mapping.entity, self.mapping.spec.key_fields[0]
        with self.store.begin() as conn:
            known = self.repo.xref_by_system_ids(conn, entity, self.system, [i.system_id for i in items])
        keys = assign(self.minter, known, [i.system_id for i in items])
        version = self.mapping.version
        for item in items:
            item.key = keys[item.system_id]
            item.incoming[field] = item.key
            item.source_hash = codec.content_hash([version, item.raw])
        return items

    def _note_target_state(
        self,
        ledger: dict[str, dict[str, Any]],
        item: _Item,
        golden: dict[str, Any],
        golden_hash: str,
        at: Any,
    ) -> None:
        """When the source is also a target, what it just sent is what it has: record that in the ledger.

        If its record already matches the golden record in the fields it receives, publishing skips it
        (no echo of what was just read); if not (a conflict on a field it does not own), the ledger is
        marked stale so the next publish sets the owner's value back.
        """
        if self.target_omit is None:
            return
        sent = item.incoming
        if item.minted:  # the system does not have the key yet: what it sent lacks it
            sent = {k: v for k, v in sent.items() if k not in self.mapping.spec.key_fields}
        payload = self.translator.from_canonical(sent, self.target_omit)
        has = codec.content_hash(self.translator.from_canonical(_filled(sent), self.target_omit))
        wants = codec.content_hash(self.translator.from_canonical(_filled(golden), self.target_omit))
        ledger[item.key] = {
            "entity": self.mapping.entity,
            "key": item.key,
            "target": self.system,
            "hash": golden_hash if has == wants else "",
            "payload_hash": has,
            "payload": codec.dumps(payload),
            "system_id": item.system_id,
            "run_id": self.run_id,
            "at": at,
        }

    def _key_of_raw(self, raw: Any) -> str | None:
        """Key of a record that failed translation (key fields only, transforms applied), so ops can find
        it and its failure is resolved once the record goes through."""
        if not isinstance(raw, dict):
            return None
        try:
            return self.mapping.spec.key_of(
                self.translator.to_canonical(raw, only=self.mapping.spec.key_fields)
            )
        except RecordRejected:
            return None

    @staticmethod
    def _latest_per_key(items: list[_Item], stats: SyncStats) -> list[_Item]:
        """Without a unique rule, a key read twice in one batch is taken once: its last version wins."""
        latest = {item.key: item for item in items}
        if len(latest) < len(items):
            stats.unchanged += len(items) - len(latest)  # superseded within the batch
            keep = {id(item) for item in latest.values()}
            items = [item for item in items if id(item) in keep]
        return items

    def _reject_duplicates(self, items: list[_Item], fails: list[FailureRecord]) -> list[_Item]:
        """'unique within batch' rules run over every record read, before change detection."""
        if not self.unique_rules:
            return items
        violations = evaluate(self.unique_rules, [i.incoming for i in items], _NoLookup())
        bad = {v.index: v for v in violations if v.rule.severity == "error"}
        for index, v in bad.items():
            fails.append(self._fail(items[index], "validate", v.rule.id, v.message, field=v.field))
        return [item for index, item in enumerate(items) if index not in bad]

    def _fail(
        self,
        item: _Item,
        stage: str,
        rule: str,
        message: str,
        *,
        field: str | None = None,
        retriable: bool = False,
    ) -> FailureRecord:
        return FailureRecord(
            self.run_id,
            self.mapping.entity,
            item.key,
            self.system,
            stage,
            rule,
            field,
            message,
            item.raw,
            retriable,
        )

    def _audit(self, at: Any, key: str, action: str, changes: Any, correlation: Any = None) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "at": at,
            "entity": self.mapping.entity,
            "key": key,
            "system": self.system,
            "target": None,
            "action": action,
            "changes": codec.dumps(changes),
            "mapping_version": self.mapping.version,
            "correlation": codec.dumps(correlation) if correlation else None,
        }

    def _xref(self, item: _Item, at: Any) -> dict[str, Any]:
        return {
            "entity": self.mapping.entity,
            "key": item.key,
            "system": self.system,
            "system_id": item.system_id,
            "source_hash": item.source_hash,
            "updated_at": at,
        }


_EMPTY = (None, "", [], {})


def _filled(record: dict[str, Any]) -> dict[str, Any]:
    """The record without empty fields: an empty list and no list are the same to a target."""
    return {k: v for k, v in record.items() if v not in _EMPTY}


def _drop_empty_changes(outcome: Any, before: dict[str, Any]) -> None:
    """Missing and empty (``None`` -> ``[]``) is no change: a system that sends an empty list where the
    golden record has none would otherwise change it, and every record it was published to."""
    changes = outcome.changes
    # ``v in _EMPTY`` for JSON values, without comparing each value to every empty form
    dropped = [
        name
        for name, (old, new) in changes.items()
        if (old is None or (not old and isinstance(old, _EMPTY_TYPES)))
        and (new is None or (not new and isinstance(new, _EMPTY_TYPES)))
    ]
    for name in dropped:
        if name in before:
            outcome.candidate[name] = before[name]
        else:
            outcome.candidate.pop(name, None)
        del changes[name]


_EMPTY_TYPES = (str, list, dict)


def _keep_filled(outcome: Any, row: GoldenRow, mapping: EntityMapping) -> None:
    """An owner with nothing to say about a field another system filled does not empty it.

    (It would flip every time both are read: emptied by the owner, filled again by the other.) An
    owner that clears a value it supplied itself still clears it.
    """
    for name, (before, after) in list(outcome.changes.items()):
        if after is None and before is not None:
            origin = row.provenance.get(name)
            if origin and origin[0] != mapping.owner_of(name):
                outcome.candidate[name] = before
                del outcome.changes[name]


def _apply_defaults(defaults: Any, outcome: Any, before: dict[str, Any]) -> None:
    """Fill fields no system supplied (mapping ``defaults``); a default that only restores what the
    golden record had is no change."""
    for name, (_, value) in defaults.fill(outcome.candidate).items():
        if before.get(name) == value:
            outcome.changes.pop(name, None)
        else:
            outcome.changes[name] = (before.get(name), value)


class _NoLookup:
    def existing_keys(self, entity: str, keys: set[str]) -> set[str]:
        return set()


def _dedupe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last row per key wins (a key may change twice within one batch)."""
    return list({row["key"]: row for row in rows}.values())
