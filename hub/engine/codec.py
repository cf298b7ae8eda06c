"""JSON encoding and content hashing used everywhere a record is stored or compared."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

_OPTS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(value: Any) -> str:
    """Deterministic JSON text (sorted keys) of a record."""
    return orjson.dumps(value, default=_default, option=_OPTS).decode()


def dumps_pretty(value: Any) -> str:
    """Indented JSON for people and for `--format json` output."""
    return orjson.dumps(value, default=_default, option=_OPTS | orjson.OPT_INDENT_2).decode()


def dumpb(value: Any) -> bytes:
    return orjson.dumps(value, default=_default, option=_OPTS)


def loads(text: str | bytes | None) -> Any:
    return None if text is None else orjson.loads(text)


def content_hash(value: Any, salt: str = "") -> str:
    """128-bit blake2b of the sorted JSON form: equal content, equal hash, whatever the key order."""
    return hash_bytes(dumpb(value), salt)


def hash_bytes(data: bytes, salt: str = "") -> str:
    """``content_hash`` of a value whose ``dumpb`` form is already at hand (serialise once, use twice)."""
    return hashlib.blake2b(data, digest_size=16, person=salt.encode()[:16]).hexdigest()
