"""PII masking: the fields hub.yaml names (``privacy.mask``) never show their values in audit events,
failure reports or lineage output.

Where each value is masked, and why there:

- ``audit_events.changes`` when the event is written (``mask_audit_rows``, from ``Repository.add_audit``):
  the audit trail is kept for years and read by many; nothing needs its values back.
- ``hub failures`` (table, JSON, CSV, HTML) and ``hub lineage`` when they are shown: the failures table
  keeps the raw payload as received, because replaying a quarantined record needs it whole.
- Never in ``golden_records``: the systems the hub publishes to need the real e-mail address.

``mode: hash`` shows ``hmac:<16 hex>``, an HMAC-SHA256 under a key from the environment, so equal
values still match across events and reports (join on them) without the value being recoverable;
``mode: redact`` shows ``***``. The policy is process-wide: ``load_config`` installs the one hub.yaml asks
for, as the CLI and the Dagster code location both load it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.errors import ConfigError

if TYPE_CHECKING:
    from hub.mapping import EntityMapping

REDACTED = "***"
_TOKEN = re.compile(r"hmac:[0-9a-f]{16}")
_QUOTED = re.compile(r"'(.*)'", re.DOTALL)  # rule messages quote the value: email 'x' is not valid
_GOT = re.compile(r"\(got (.*)\)$", re.DOTALL)  # schema messages end with (got <repr>)
_MIN_SCRUB = 4  # shorter values are not searched for in free text ('1' is in every timestamp)

Paths = tuple[tuple[str, ...], ...]


class PrivacyConfig(BaseModel):
    """``privacy:`` in hub.yaml."""

    model_config = ConfigDict(extra="forbid")

    mask: dict[str, list[str]] = Field(
        default_factory=dict,
        description="entity -> canonical field paths to mask, e.g. customer: [email, contacts.email].",
    )
    mode: Literal["hash", "redact"] = Field(
        default="hash", description="hash: a keyed HMAC (joinable, not reversible); redact: ***."
    )
    key: Any = Field(default=None, description="HMAC key for mode hash: {env: NAME}, never plain.")


class Masker:
    """Masks the configured paths of one hub's entities; ``mappings`` locate them in raw payloads."""

    def __init__(
        self,
        fields: Mapping[str, Iterable[str]],
        *,
        key: bytes | None = None,
        mappings: Callable[[], Mapping[str, EntityMapping]] | None = None,
    ) -> None:
        self.paths: dict[str, Paths] = {e: tuple(tuple(p.split(".")) for p in ps) for e, ps in fields.items()}
        self.key = key
        self._load_mappings = mappings
        self._mappings: Mapping[str, EntityMapping] | None = None
        self._raw_paths: dict[tuple[str, str], Paths] = {}

    # -- values ------------------------------------------------------------------------------------
    def token(self, value: Any) -> Any:
        """The masked form of one value (None stays None; a masked value stays as it is)."""
        if value is None or (isinstance(value, str) and (value == REDACTED or _TOKEN.fullmatch(value))):
            return value
        if self.key is None:
            return REDACTED
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
        digest = hmac.new(self.key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        return f"hmac:{digest[:16]}"

    def _leaves(self, value: Any, seen: set[str]) -> Any:
        if isinstance(value, dict):
            return {k: self._leaves(v, seen) for k, v in value.items()}
        if isinstance(value, list):
            return [self._leaves(v, seen) for v in value]
        if isinstance(value, str) and len(value.strip()) >= _MIN_SCRUB:
            seen.add(value)
        return self.token(value)

    def _at(self, node: Any, parts: tuple[str, ...], seen: set[str]) -> Any:
        """``node`` with the value at ``parts`` masked; lists on the way apply the rest to each item."""
        if isinstance(node, list):
            if parts and parts[0].isdigit():
                index = int(parts[0])
                return [self._at(v, parts[1:], seen) if i == index else v for i, v in enumerate(node)]
            return [self._at(item, parts, seen) for item in node]
        if not parts:
            return self._leaves(node, seen)
        if not isinstance(node, dict) or parts[0] not in node:
            return node
        return {**node, parts[0]: self._at(node[parts[0]], parts[1:], seen)}

    def _apply(self, node: Any, paths: Paths, seen: set[str]) -> Any:
        for parts in paths:
            node = self._at(node, parts, seen)
        return node

    def record(self, entity: str, record: Any, seen: set[str] | None = None) -> Any:
        """A copy of a canonical record with the entity's masked paths masked."""
        return self._apply(record, self.paths.get(entity, ()), seen if seen is not None else set())

    def masks(self, entity: str, field: str | None) -> bool:
        """Whether a canonical field path (``contacts.0.email`` too) is, or lies under, a masked path."""
        if not field:
            return False
        parts = tuple(p for p in field.split(".") if not p.isdigit() and p != "*")
        return any(parts[: len(p)] == p for p in self.paths.get(entity, ()))

    def text(self, entity: str, text: Any, seen: Iterable[str] = (), field: str | None = None) -> Any:
        """Free text (a failure message) with known masked values replaced; when it is about a masked
        field, its quoted value (``email 'x' is not valid``) and pydantic's ``(got ...)`` too."""
        if not isinstance(text, str):
            return text
        for value in sorted(_variants(seen), key=len, reverse=True):
            text = text.replace(value, str(self.token(value)))
        if self.masks(entity, field):
            text = _GOT.sub(lambda m: f"(got {self.token(m.group(1))})", text)
            text = _QUOTED.sub(lambda m: f"'{self.token(m.group(1))}'", text)
        return text

    # -- audit events ------------------------------------------------------------------------------
    def changes(self, entity: str, changes: Any) -> Any:
        """An audit event's changes: ``{field: [before, after]}``, conflicts ``{field: {kept, rejected}}``
        and rejections ``{rule: {field, message}}``."""
        paths = self.paths.get(entity)
        if not paths or not isinstance(changes, dict):
            return changes
        seen: set[str] = set()
        out = dict(changes)
        for parts in paths:
            top, rest = parts[0], parts[1:]
            entry = out.get(top)
            if isinstance(entry, list) and len(entry) == 2:
                out[top] = [self._at(v, rest, seen) for v in entry]
            elif isinstance(entry, dict) and ("kept" in entry or "rejected" in entry):
                out[top] = {
                    k: self._at(v, rest, seen) if k in ("kept", "rejected") else v for k, v in entry.items()
                }
        for name, entry in out.items():
            if isinstance(entry, dict) and "message" in entry and "field" in entry:
                out[name] = {**entry, "message": self.text(entity, entry["message"], seen, entry["field"])}
        return out

    def audit_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rows for ``audit_events`` with their ``changes`` JSON masked (other entities untouched)."""
        out = []
        for row in rows:
            if row.get("entity") in self.paths and row.get("changes"):
                masked = self.changes(row["entity"], json.loads(row["changes"]))
                row = {**row, "changes": _dumps(masked)}
            out.append(row)
        return out

    # -- failure reports and lineage ---------------------------------------------------------------
    def raw_paths(self, entity: str, system: str) -> Paths:
        """The masked canonical paths as paths in ``system``'s own records (from its field maps)."""
        if (entity, system) not in self._raw_paths:
            if self._mappings is None:  # loaded once, when a report first needs them
                self._mappings = self._load_mappings() if self._load_mappings else {}
            mapping = self._mappings.get(entity)
            sysmap = mapping.systems.get(system) if mapping else None
            fields = sysmap.translator.fields if sysmap else ()
            found = {p for parts in self.paths.get(entity, ()) for p in _system_paths(fields, parts)}
            self._raw_paths[(entity, system)] = tuple(sorted(found))
        return self._raw_paths[(entity, system)]

    def failure(self, row: dict[str, Any]) -> dict[str, Any]:
        """A ``list_failures`` row with its raw payload and message masked."""
        entity = row.get("entity") or ""
        if entity not in self.paths:
            return row
        seen: set[str] = set()
        out = dict(row)
        raw = row.get("raw")
        if isinstance(raw, str):
            try:
                doc = json.loads(raw)
            except ValueError:
                out["raw"] = f"[withheld: {len(raw)} characters that are not JSON; PII masking is on]"
            else:
                masked = self._apply(doc, self.raw_paths(entity, row.get("system") or ""), seen)
                masked = self._apply(masked, self.paths[entity], seen)  # canonical-shaped payloads
                out["raw"] = _dumps(_scrub(masked, seen, self))
        out["message"] = self.text(entity, row.get("message"), seen, row.get("field"))
        return out

    def lineage(self, found: dict[str, Any]) -> dict[str, Any]:
        """``record_lineage`` output with the golden record, field values, history and messages masked."""
        entity = found.get("entity") or ""
        if entity not in self.paths:
            return found
        seen: set[str] = set()
        out = dict(found)
        out["record"] = self.record(entity, found.get("record"), seen)
        fields = []
        for f in found.get("fields") or []:
            value = f.get("value")
            for parts in self.paths[entity]:
                if parts[0] == f.get("field"):
                    value = self._at(value, parts[1:], seen)
            fields.append({**f, "value": value})
        out["fields"] = fields
        out["history"] = [{**h, "changes": self.changes(entity, h.get("changes"))} for h in found["history"]]
        out["failures"] = [
            {**f, "message": self.text(entity, f.get("message"), seen, f.get("field"))}
            for f in found.get("failures") or []
        ]
        return out


def _system_paths(fields: Iterable[Any], parts: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Where a canonical path lives in a system's record, following its compiled field maps."""
    out: list[tuple[str, ...]] = []
    for f in fields:
        if not f.system_parts:
            continue
        own = tuple(f.canonical_parts)
        if own[: len(parts)] == parts:  # the path is this field or above it (ship_to masks ship_to.phone)
            out.append(tuple(f.system_parts))
        elif parts[: len(own)] == own:  # below it: an item's field (contacts.email), or inside a dict
            rest = parts[len(own) :]
            if f.each:
                out.extend(tuple(f.system_parts) + p for p in _system_paths(f.each, rest))
            else:
                out.append(tuple(f.system_parts) + rest)
    return out


def _variants(values: Iterable[str]) -> set[str]:
    """A value as a message may quote it: as sent, trimmed, lower- and upper-cased (after transforms)."""
    out = set()
    for v in values:
        for w in (v, v.strip(), v.strip().lower(), v.strip().upper()):
            if len(w) >= _MIN_SCRUB:
                out.add(w)
    return out


def _scrub(node: Any, seen: set[str], masker: Masker) -> Any:
    """Every string in ``node`` with the masked values replaced (a payload repeats an e-mail elsewhere)."""
    if not seen:
        return node
    if isinstance(node, dict):
        return {k: _scrub(v, seen, masker) for k, v in node.items()}
    if isinstance(node, list):
        return [_scrub(v, seen, masker) for v in node]
    if isinstance(node, str):
        return masker.text("", node, seen)
    return node


def _dumps(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate: escaped, as no database driver takes it
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return text


# -- the process-wide policy -------------------------------------------------------------------------
_active: Masker | None = None


def install(masker: Masker | None) -> None:
    """Make ``masker`` the policy of this process (None: no masking)."""
    global _active
    _active = masker


def active() -> Masker | None:
    return _active


def mask_audit_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What ``Repository.add_audit`` writes: the rows, masked when a policy is installed."""
    return rows if _active is None or not rows else _active.audit_rows(rows)


def masker_from_config(config: Any) -> Masker | None:
    """The policy hub.yaml's ``privacy`` section asks for (None when it masks nothing)."""
    settings: PrivacyConfig = config.privacy
    if not settings.mask:
        return None
    key = None
    if settings.mode == "hash":
        value = settings.key
        if not (isinstance(value, dict) and set(value) == {"env"}):
            raise ConfigError("privacy.key must be {env: NAME} for mode hash", key="privacy.key")
        secret = os.environ.get(str(value["env"]))
        if not secret:
            raise ConfigError(f"privacy mode hash needs the HMAC key: set ${value['env']}", key="privacy.key")
        key = secret.encode()

    def mappings() -> Mapping[str, EntityMapping]:
        folder = config.mappings_dir
        stamp = tuple(sorted((f.name, f.stat().st_mtime_ns) for f in folder.glob("*.yaml")))
        entities = tuple(config.entities) if config.entities is not None else None
        return _load_mappings(str(folder), tuple(sorted(config.systems)), entities, stamp)

    return Masker(settings.mask, key=key, mappings=mappings)


@functools.lru_cache(maxsize=4)
def _load_mappings(
    folder: str, systems: tuple[str, ...], entities: tuple[str, ...] | None, stamp: Any
) -> Mapping[str, EntityMapping]:
    """Mappings for reports, parsed once per process while their files stay the same (YAML is slow)."""
    from pathlib import Path

    from hub.mapping import load_mappings

    return load_mappings(Path(folder), systems, entities)


def install_from_config(config: Any) -> None:
    install(masker_from_config(config))
