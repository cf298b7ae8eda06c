"""PostgreSQL bulk path: COPY a batch into a session-local staging table, then one INSERT .. SELECT.

``execute_values`` sends a 1,000-row VALUES list the server parses and plans for every batch; COPY
streams the rows in PostgreSQL's text format and one ``INSERT .. SELECT .. ON CONFLICT`` moves them.
The staging table is a temporary table per connection (``ON COMMIT DELETE ROWS``) holding only the
batch's columns; the statement empties it as it reads it, so a transaction may stage a table twice.
Rows keep their order (new ids are assigned in the batch's order, as with ``execute_values``).
Callers hand in one row per conflict key, as they do for ``Store.upsert``.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

MIN_ROWS = 64  # below this, one multi-row VALUES costs less than the extra statements

_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        return "t" if value else "f"
    elif isinstance(value, (datetime, date)):
        return value.isoformat()
    else:
        text = str(value)
    for char, escaped in _ESCAPES:
        if char in text:
            text = text.replace(char, escaped)
    return text


def _lines(rows: Sequence[dict[str, Any]], names: tuple[str, ...]) -> str:
    """The batch in COPY text format, with its position first. A value repeated by identity in
    every row (the batch's timestamp) is formatted once."""
    first = rows[0]
    constant: dict[str, str] = {}
    for name in names:
        value = first[name]
        if all(r[name] is value for r in rows):
            constant[name] = _text(value)
    convert: list[Callable[[dict[str, Any]], str]] = [
        (lambda _r, t=constant[n]: t) if n in constant else (lambda r, n=n: _text(r[n])) for n in names
    ]
    out = [f"{index}\t" + "\t".join([c(row) for c in convert]) for index, row in enumerate(rows)]
    out.append("")
    return "\n".join(out)


def copy_write(
    conn: Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    conflict: Sequence[str] | None,
    update: Sequence[str],
) -> None:
    """INSERT (``conflict`` None), INSERT .. ON CONFLICT DO NOTHING (no ``update``) or DO UPDATE."""
    names = tuple(rows[0])
    digest = hashlib.blake2b("|".join(names).encode(), digest_size=4).hexdigest()
    stage = f"hub_stage_{table.name}_{digest}"
    cols = ", ".join(f'"{n}"' for n in names)  # names of the table's columns, not input
    target = ", ".join(f'"{c}"' for c in conflict or ())
    if conflict is None:
        tail = ""
    elif update:
        sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in update)
        tail = f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
    else:
        tail = f" ON CONFLICT ({target}) DO NOTHING"
    statements = (
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
        f'SELECT 0::int AS _ord, {cols} FROM "{table.name}" WITH NO DATA',
        f"COPY {stage} (_ord, {cols}) FROM STDIN",
        f'WITH moved AS (DELETE FROM {stage} RETURNING *) INSERT INTO "{table.name}" ({cols}) '
        f"SELECT {cols} FROM moved ORDER BY _ord{tail}",
    )
    dbapi = conn.connection.dbapi_connection
    errors = conn.dialect.loaded_dbapi.Error
    cursor = dbapi.cursor()  # type: ignore[union-attr]
    sql = statements[0]
    try:
        cursor.execute(sql)
        sql = statements[1]
        cursor.copy_expert(sql, io.StringIO(_lines(rows, names)), size=1 << 20)
        sql = statements[2]
        cursor.execute(sql)
    except errors as exc:
        # the exception classes SQLAlchemy raises (a lost server: OperationalError -> RetriableError)
        raise sa.exc.DBAPIError.instance(sql, None, exc, errors, dialect=conn.dialect) from exc
    finally:
        cursor.close()
