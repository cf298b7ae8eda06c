"""Looking for secrets where people and tools read: every form a secret can take, in every place.

A secret leaks as itself, inside a URL, or base64-encoded in an HTTP Basic header that someone
logged; each place (a log, a table, a file, a report) is searched for every form as bytes.
"""

from __future__ import annotations

import base64
import secrets as random_secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

import sqlalchemy as sa

Places = Mapping[str, str | bytes]


def secret(label: str) -> str:
    """A distinctive secret value nobody else writes: ``S3CR3T-<label>-<random hex>``."""
    return f"S3CR3T-{label}-{random_secrets.token_hex(6)}"


def forms(value: str, basic_user: str | None = None) -> list[bytes]:
    """What to search for: the value, and its base64 in ``user:value`` when it is a Basic password."""
    found = [value.encode()]
    if basic_user is not None:
        found.append(base64.b64encode(f"{basic_user}:{value}".encode()))
    return found


def leaks(places: Places, secrets: Mapping[str, Iterable[bytes]]) -> list[str]:
    """``place: secret`` for every secret form found in a place."""
    found = []
    for place, content in places.items():
        data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
        for name, variants in secrets.items():
            if any(v in data for v in variants):
                found.append(f"{place}: {name}")
    return found


def files_under(folder: Path, label: str) -> dict[str, bytes]:
    """Every file below ``folder`` as bytes (databases, logs, reports), keyed by its path."""
    return {
        f"{label}/{path.relative_to(folder)}": path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def table_dump(url: str) -> dict[str, str]:
    """Every row of every table of the hub store, as text per table (what SQL users can read)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {
                f"table {name}": "\n".join(
                    repr(tuple(row)) for row in conn.execute(sa.text(f'SELECT * FROM "{name}"'))
                )
                for name in names
            }
    finally:
        engine.dispose()
