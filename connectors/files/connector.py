"""Reads and writes record files; remembers which files (and how far into them) it has taken.

Cursor: ``{"done": {file: signature}, "at": {"file", "signature", "line"}}``. A file whose size or
mtime changes is read again (unchanged records are then skipped by the engine's hashes); a batch
that crashed before commit is read again from its first line.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from hub.engine import codec
from hub.engine.ports import OutboundRecord, ReadBatch, ReadError, WriteResult
from hub.errors import FatalError

READABLE = (".jsonl", ".ndjson", ".csv")
_UNREAD = object()


class FilesConnector:
    def __init__(
        self,
        system: str,
        *,
        inbox: str | None,
        outbox: str | None,
        format: str = "jsonl",
        encoding: str = "utf-8",
    ) -> None:
        self.system = system
        self.inbox = Path(inbox) if inbox else None
        self.outbox = Path(outbox) if outbox else None
        self.format, self.encoding = format, encoding

    # -- read ----------------------------------------------------------------------------------------
    def read(self, entity: str, cursor: str | None, batch_size: int) -> Iterator[ReadBatch]:
        if self.inbox is None:
            raise FatalError(f"{self.system}: no inbox folder configured")
        folder = self.inbox / entity
        state = codec.loads(cursor) if cursor else {}
        done: dict[str, str] = dict(state.get("done", {}))
        at = state.get("at") or {}
        if not folder.is_dir():
            return
        for file in sorted(p for p in folder.iterdir() if p.suffix.lower() in READABLE and p.is_file()):
            stat = file.stat()
            signature = f"{stat.st_size}-{stat.st_mtime_ns}"
            if done.get(file.name) == signature:
                continue
            skip = (
                at.get("line", 0) if at.get("file") == file.name and at.get("signature") == signature else 0
            )
            records: list[dict[str, Any]] = []
            errors: list[ReadError] = []
            line_no = 0
            for line_no, record, error in self._records(file):
                if line_no <= skip:
                    continue
                if error is not None:
                    errors.append(error)
                else:
                    records.append(record)
                if len(records) + len(errors) >= batch_size:
                    position = {"file": file.name, "signature": signature, "line": line_no}
                    yield ReadBatch(records, codec.dumps({"done": done, "at": position}), errors)
                    records, errors = [], []
            done[file.name] = signature
            yield ReadBatch(records, codec.dumps({"done": done, "at": None}), errors)

    def _records(self, file: Path) -> Iterator[tuple[int, dict[str, Any] | None, ReadError | None]]:
        if file.suffix.lower() == ".csv":
            yield from self._csv(file)
        else:
            yield from self._jsonl(file)

    def _jsonl(self, file: Path) -> Iterator[tuple[int, dict[str, Any] | None, ReadError | None]]:
        # UTF-8 lines go to orjson as they are (it checks the encoding itself); a line it refuses
        # takes the decoding path, which words the error as before
        utf8 = codecs.lookup(self.encoding).name == "utf-8"
        with file.open("rb") as handle:
            for line_no, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                value: Any = _UNREAD
                if utf8:
                    try:
                        value = orjson.loads(line)
                    except orjson.JSONDecodeError:
                        pass
                if value is _UNREAD:
                    where = f"{file.name}:{line_no}"
                    try:
                        value = orjson.loads(line.decode(self.encoding))
                    except (UnicodeDecodeError, orjson.JSONDecodeError) as exc:
                        raw = line.decode(self.encoding, "backslashreplace").rstrip("\r\n")
                        yield line_no, None, ReadError(raw, f"not valid JSON: {exc}", where)
                        continue
                if not isinstance(value, dict):
                    text = line.decode(self.encoding)
                    yield (
                        line_no,
                        None,
                        ReadError(
                            text.rstrip("\r\n"), "a line must hold a JSON object", f"{file.name}:{line_no}"
                        ),
                    )
                    continue
                yield line_no, value, None

    def _csv(self, file: Path) -> Iterator[tuple[int, dict[str, Any] | None, ReadError | None]]:
        with file.open("r", encoding=self.encoding, errors="surrogateescape", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return
            header = [h.strip().lstrip("\ufeff") for h in header]
            for row in reader:
                line_no = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                raw_line = (
                    ",".join(row).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                )
                where = f"{file.name}:{line_no}"
                if len(row) != len(header):
                    yield (
                        line_no,
                        None,
                        ReadError(raw_line, f"{len(row)} columns, header has {len(header)}", where),
                    )
                    continue
                if any("\udc80" <= ch <= "\udcff" for cell in row for ch in cell):
                    yield line_no, None, ReadError(raw_line, f"not valid {self.encoding} text", where)
                    continue
                yield line_no, _unflatten(dict(zip(header, row, strict=True))), None

    # -- write ---------------------------------------------------------------------------------------
    def write(self, entity: str, records: Sequence[OutboundRecord]) -> list[WriteResult]:
        """One file per batch, named by its content: writing the same batch again replaces the same file."""
        if self.outbox is None:
            raise FatalError(f"{self.system}: no outbox folder configured")
        if not records:
            return []
        folder = self.outbox / entity
        folder.mkdir(parents=True, exist_ok=True)
        if self.format == "csv":
            digest = codec.content_hash([[r.key, r.payload] for r in records])[:16]
            body: str | bytes = _csv_text(records)
        else:
            payloads = [r.encoded if r.encoded is not None else codec.dumpb(r.payload) for r in records]
            # the name is the hash of [[key, payload], ...] in sorted JSON, assembled from the lines
            listed = b",".join(
                b"[" + codec.dumpb(r.key) + b"," + p + b"]" for r, p in zip(records, payloads, strict=True)
            )
            digest = codec.hash_bytes(b"[" + listed + b"]")[:16]
            body = b"".join(p + b"\n" for p in payloads)
        final = folder / f"{entity}-{digest}.{self.format}"
        part = final.with_name(final.name + ".part")
        with part.open("wb") as handle:
            handle.write(body if isinstance(body, bytes) else body.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, final)
        return [WriteResult(r.key, r.system_id or r.key) for r in records]


def _unflatten(row: dict[str, str]) -> dict[str, Any]:
    """CSV columns named ``price.amount`` become nested objects, so mappings use the same dot paths."""
    out: dict[str, Any] = {}
    for column, value in row.items():
        node = out
        parts = column.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return out


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}{key}."))
        return out
    if isinstance(value, list):
        return {prefix[:-1]: codec.dumps(value)}
    return {prefix[:-1]: value}


def _csv_text(records: Sequence[OutboundRecord]) -> str:
    rows = [_flatten(r.payload) for r in records]
    columns: list[str] = []
    for row in rows:
        columns.extend(c for c in row if c not in columns)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
