"""JSON encoding and content hashing used everywhere a record is stored or compared."""

from __future__ import annotations

import hashlib
import json
import math
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
    try:
        return orjson.dumps(value, default=_default, option=_OPTS).decode()
    except orjson.JSONEncodeError:
        return _stdlib(value)


def dumps_pretty(value: Any) -> str:
    """Indented JSON for people and for `--format json` output."""
    try:
        return orjson.dumps(value, default=_default, option=_OPTS | orjson.OPT_INDENT_2).decode()
    except orjson.JSONEncodeError:
        return _stdlib(value, indent=2)


def dumpb(value: Any) -> bytes:
    try:
        return orjson.dumps(value, default=_default, option=_OPTS)
    except orjson.JSONEncodeError:
        return _stdlib(value).encode()


def _stdlib(value: Any, indent: int | None = None) -> str:
    """What orjson refuses but a source can send (stdlib ``json.loads`` makes them): integers beyond 64
    bits, lone surrogates, nesting deeper than 254. Deterministic too (ASCII, sorted keys, NaN as null,
    as orjson writes it). Nesting beyond Python's recursion limit (orjson.loads reads up to 1024 levels)
    becomes a placeholder string.
    """
    try:
        return json.dumps(
            _finite(value), default=_default, sort_keys=True, indent=indent, separators=(",", ":")
        )
    except RecursionError:
        return json.dumps(f"<{type(value).__name__} nested too deep to serialise>")


def _finite(value: Any) -> Any:
    """NaN and infinities as None (one stack frame per level: deep values go as deep as json can)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out[k] = _finite(v)
        return out
    if isinstance(value, (list, tuple)):
        items = []
        for v in value:
            items.append(_finite(v))
        return items
    return value


def storable_text(text: Any) -> Any:
    """Text every store column takes (others as they are): PostgreSQL refuses NUL, and no driver
    encodes a lone surrogate; both shown escaped, as a message quoting a bad value needs them."""
    if not isinstance(text, str) or (text.isascii() and "\x00" not in text):
        return text
    return text.encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(text: str | bytes | None) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # what _stdlib wrote (a lone surrogate as \ud800, which orjson refuses); NaN stays an error
        return json.loads(text, parse_constant=_no_constant)


def content_hash(value: Any, salt: str = "") -> str:
    """128-bit blake2b of the sorted JSON form: equal content, equal hash, whatever the key order."""
    return hash_bytes(dumpb(value), salt)


def hash_bytes(data: bytes, salt: str = "") -> str:
    """``content_hash`` of a value whose ``dumpb`` form is already at hand (serialise once, use twice)."""
    if not salt:  # no personalisation is the empty one: the same digest, without building it per call
        return hashlib.blake2b(data, digest_size=16).hexdigest()
    return hashlib.blake2b(data, digest_size=16, person=salt.encode()[:16]).hexdigest()
