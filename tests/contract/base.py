"""The contract every connector passes against its real server or sandbox (singer-sdk style).

A connector's test module subclasses ``ConnectorContract`` and provides the fixtures and the few
dialect facts below; the tests themselves are written once here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from hub.engine.ports import Connector, OutboundRecord, ReadBatch, WriteResult


class ConnectorContract:
    """Subclass and implement: ``connector`` fixture (fresh server state per test), and the methods."""

    entity: ClassVar[str]
    batch_size: ClassVar[int] = 50

    # -- what a subclass provides -------------------------------------------------------------------
    def payload(self, i: int) -> dict[str, Any]:
        """A valid record in the system's own shape (what the hub would write), number ``i``."""
        raise NotImplementedError

    def changed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The same record with one visible change."""
        raise NotImplementedError

    def invalid(self) -> dict[str, Any]:
        """A record the system refuses for good (a 4xx other than 429)."""
        raise NotImplementedError

    def key(self, payload: dict[str, Any]) -> str:
        """The natural key of a record written (from the payload)."""
        raise NotImplementedError

    def read_key(self, record: dict[str, Any]) -> str:
        """The natural key of a record read back."""
        raise NotImplementedError

    def set_faults(self, connector: Connector, rate: float) -> None:
        """Make the server fail ``rate`` of requests with 429, 5xx, timeouts and dropped connections."""
        raise NotImplementedError

    # -- helpers ------------------------------------------------------------------------------------
    def write(
        self, connector: Connector, payloads: list[dict[str, Any]], ids: dict[str, str] | None = None
    ) -> list[WriteResult]:
        ids = ids or {}
        records = [
            OutboundRecord(self.key(p), ids.get(self.key(p)), p, "update" if self.key(p) in ids else "create")
            for p in payloads
        ]
        return connector.write(self.entity, records)

    def read(
        self, connector: Connector, cursor: str | None = None
    ) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
        """Records read, grouped by natural key (a list, so duplicates show), and the last cursor."""
        found: dict[str, list[dict[str, Any]]] = {}
        batches: Iterator[ReadBatch] = connector.read(self.entity, cursor, self.batch_size)
        last = cursor
        for batch in batches:
            for record in batch.records:
                found.setdefault(self.read_key(record), []).append(record)
            last = batch.cursor or last
        return found, last

    # -- the contract -------------------------------------------------------------------------------
    def test_write_creates(self, connector: Connector) -> None:
        payloads = [self.payload(i) for i in range(3)]
        results = self.write(connector, payloads)
        assert [r.key for r in results] == [self.key(p) for p in payloads]
        assert all(r.ok and r.system_id for r in results), results
        found, _ = self.read(connector)
        for p in payloads:
            assert len(found.get(self.key(p), [])) == 1, f"{self.key(p)} not readable once after create"

    def test_full_read_pages_through_everything(self, connector: Connector) -> None:
        payloads = [self.payload(i) for i in range(self.batch_size * 2 + 7)]  # several pages and batches
        assert all(r.ok for r in self.write(connector, payloads))
        found, cursor = self.read(connector)
        assert {self.key(p) for p in payloads} <= set(found)
        assert all(len(v) == 1 for v in found.values()), "a record was read twice in one full read"
        assert cursor, "a full read returns a cursor for the next incremental read"

    def test_incremental_read_returns_only_what_changed(self, connector: Connector) -> None:
        payloads = [self.payload(i) for i in range(5)]
        results = self.write(connector, payloads)
        ids = {r.key: r.system_id for r in results if r.system_id}
        _, cursor = self.read(connector)
        changed = self.changed(payloads[2])
        assert all(r.ok for r in self.write(connector, [changed], ids))
        found, _ = self.read(connector, cursor)
        assert set(found) == {self.key(changed)}, f"incremental read returned {sorted(found)}"

    def test_writing_the_same_again_changes_nothing(self, connector: Connector) -> None:
        payloads = [self.payload(i) for i in range(3)]
        results = self.write(connector, payloads)
        ids = {r.key: r.system_id for r in results if r.system_id}
        before, cursor = self.read(connector)
        again = self.write(connector, payloads, ids)
        assert all(r.ok for r in again) and [r.system_id for r in again] == [r.system_id for r in results]
        after, _ = self.read(connector)
        assert after == before, "writing identical records changed them on the server"
        changed_since, _ = self.read(connector, cursor)
        assert not changed_since, f"identical writes moved the change cursor of {sorted(changed_since)}"

    def test_create_replayed_without_id_does_not_duplicate(self, connector: Connector) -> None:
        """A create whose result was lost (crash before commit) is sent again as a create."""
        payloads = [self.payload(i) for i in range(2)]
        first = self.write(connector, payloads)
        second = self.write(connector, payloads)  # no ids: the hub lost them
        assert all(r.ok for r in second)
        assert [r.system_id for r in second] == [r.system_id for r in first]
        found, _ = self.read(connector)
        assert all(len(found[self.key(p)]) == 1 for p in payloads)

    def test_permanent_error_fails_only_that_record(self, connector: Connector) -> None:
        payloads = [self.payload(0), self.invalid(), self.payload(1)]
        results = self.write(connector, payloads)
        assert results[0].ok and results[2].ok, results
        assert not results[1].ok and results[1].error and not results[1].retriable, results[1]

    @pytest.mark.parametrize("rate", [0.2])
    def test_writes_and_reads_under_faults_succeed_without_duplicates(
        self, connector: Connector, rate: float
    ) -> None:
        payloads = [self.payload(i) for i in range(30)]
        self.set_faults(connector, rate)
        try:
            results = self.write(connector, payloads)
            found, _ = self.read(connector)
        finally:
            self.set_faults(connector, 0.0)
        assert all(r.ok for r in results), [r for r in results if not r.ok]
        assert all(len(found.get(self.key(p), [])) == 1 for p in payloads), "lost or duplicated under faults"
