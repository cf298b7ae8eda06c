"""A tiny SQLite document store for sandbox state: one table per collection, JSON documents.

Each sandbox keeps its own file, so state survives restarts and can be inspected with sqlite3.
Timestamps are set by the store (``created_at``/``updated_at``, ISO 8601 UTC, microseconds) so
incremental reads behave like the real services.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class DocStore:
    def __init__(self, path: str | Path, collections: list[str]) -> None:
        self.path = str(path)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.collections = list(collections)
        for name in collections:
            self.conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{name}" (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE, '
                "doc TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
            )
            self.conn.execute(f'CREATE INDEX IF NOT EXISTS "ix_{name}_updated" ON "{name}" (updated_at, id)')

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group many writes into one SQLite transaction (seeding, batch endpoints)."""
        with self.lock:
            self.conn.execute("BEGIN")
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def insert(self, collection: str, doc: dict[str, Any], key: str | None = None) -> dict[str, Any]:
        """Store a new document; returns it with ``id``, ``created_at`` and ``updated_at`` set."""
        with self.lock:
            stamp = now_iso()
            cur = self.conn.execute(
                f'INSERT INTO "{collection}" (key, doc, created_at, updated_at) VALUES (?, ?, ?, ?)',
                (key, "{}", stamp, stamp),
            )
            doc = {**doc, "id": cur.lastrowid, "created_at": stamp, "updated_at": stamp}
            self.conn.execute(
                f'UPDATE "{collection}" SET doc = ? WHERE id = ?', (json.dumps(doc), cur.lastrowid)
            )
            return doc

    def update(self, collection: str, doc_id: int, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Apply changes; ``updated_at`` moves only when something really changed (like real services)."""
        with self.lock:
            doc = self.get(collection, doc_id)
            if doc is None:
                return None
            merged = {**doc, **changes, "id": doc["id"], "created_at": doc["created_at"]}
            if {k: v for k, v in merged.items() if k != "updated_at"} == {
                k: v for k, v in doc.items() if k != "updated_at"
            }:
                return doc
            merged["updated_at"] = now_iso()
            self.conn.execute(
                f'UPDATE "{collection}" SET doc = ?, updated_at = ? WHERE id = ?',
                (json.dumps(merged), merged["updated_at"], doc_id),
            )
            return merged

    def get(self, collection: str, doc_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(f'SELECT doc FROM "{collection}" WHERE id = ?', (doc_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def by_key(self, collection: str, key: str) -> dict[str, Any] | None:
        row = self.conn.execute(f'SELECT doc FROM "{collection}" WHERE key = ?', (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_key(self, collection: str, doc_id: int, key: str | None) -> None:
        with self.lock:
            self.conn.execute(f'UPDATE "{collection}" SET key = ? WHERE id = ?', (key, doc_id))

    def scan(
        self,
        collection: str,
        *,
        since: str | None = None,
        after_id: int = 0,
        after_updated: str | None = None,
        limit: int = 250,
        order: str = "id",
    ) -> list[dict[str, Any]]:
        """Documents in id order (keyset after ``after_id``) or in (updated_at, id) order after a position."""
        if order == "updated":
            # keyset on (updated_at, id): strictly after the last position returned
            sql = (
                f'SELECT doc FROM "{collection}" WHERE updated_at >= ? '
                "AND (updated_at > ? OR (updated_at = ? AND id > ?)) ORDER BY updated_at, id LIMIT ?"
            )
            position = after_updated or ""
            params: tuple[Any, ...] = (since or "", position, position, after_id, limit)
        else:
            sql = f'SELECT doc FROM "{collection}" WHERE id > ? AND updated_at >= ? ORDER BY id LIMIT ?'
            params = (after_id, since or "", limit)
        return [json.loads(r[0]) for r in self.conn.execute(sql, params)]

    def all(self, collection: str) -> Iterator[dict[str, Any]]:
        for (doc,) in self.conn.execute(f'SELECT doc FROM "{collection}" ORDER BY id'):
            yield json.loads(doc)

    def count(self, collection: str) -> int:
        return int(self.conn.execute(f'SELECT count(*) FROM "{collection}"').fetchone()[0])

    def delete(self, collection: str, doc_id: int) -> None:
        with self.lock:
            self.conn.execute(f'DELETE FROM "{collection}" WHERE id = ?', (doc_id,))

    def reset(self) -> None:
        with self.lock:
            for name in self.collections:
                self.conn.execute(f'DELETE FROM "{name}"')

    def close(self) -> None:
        self.conn.close()
