"""CRM objects over the SQLite DocStore: create, update, upsert by a unique property, search, associations.

Timestamps come from the store (``updated_at`` moves only on a real change) and are shown with
millisecond precision as HubSpot does; ``hs_lastmodifieddate``/``lastmodifieddate`` are derived from them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.common.docstore import DocStore
from sandbox.crm.schema import DEFAULT_PROPERTIES, PROPERTIES, UNIQUE, clean

KINDS = ("companies", "contacts", "deals")
MODIFIED = ("hs_lastmodifieddate", "lastmodifieddate")
SINGULAR = {"companies": "company", "contacts": "contact", "deals": "deal"}
# the object pairs that can be associated; the first kind of a pair is where a bare ``linked`` call looks
PAIRS = (("companies", "contacts"), ("contacts", "companies"), ("deals", "companies"), ("companies", "deals"))
# association type ids as HubSpot defines them, seen from the first side
TYPE_IDS = {
    ("companies", "contacts", "unlabeled"): 280,
    ("companies", "contacts", "primary"): 2,
    ("contacts", "companies", "unlabeled"): 279,
    ("contacts", "companies", "primary"): 1,
    ("deals", "companies", "unlabeled"): 341,
    ("deals", "companies", "primary"): 5,
    ("companies", "deals", "unlabeled"): 342,
    ("companies", "deals", "primary"): 6,
}
PRIMARY_TYPE_IDS = frozenset(t for (_, _, label), t in TYPE_IDS.items() if label == "primary")


class Conflict(Exception):
    """A unique property value already belongs to another object."""

    def __init__(self, message: str, existing: int) -> None:
        super().__init__(message)
        self.existing = existing


class BadRequest(Exception):
    """A malformed request (HubSpot answers 400 VALIDATION_ERROR)."""


def ms(iso: str) -> str:
    """Store timestamps have microseconds; HubSpot shows milliseconds."""
    return iso[:23] + "Z"


def epoch_ms(value: Any) -> int:
    """A filter value as epoch milliseconds: HubSpot accepts epoch ms or ISO 8601."""
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"'{value}' is not a valid date/time value") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


class CrmStore:
    def __init__(self, path: str) -> None:
        self.db = DocStore(path, [*KINDS, "associations"])

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One SQLite transaction for a whole batch call: one commit instead of one per object."""
        with self.db.lock:
            self.db.conn.execute("BEGIN")
            try:
                yield
            except BaseException:
                self.db.conn.execute("ROLLBACK")
                raise
            self.db.conn.execute("COMMIT")

    # -- reading -------------------------------------------------------------------------------------
    def properties(self, kind: str, doc: dict[str, Any]) -> dict[str, str | None]:
        """All properties, the derived ones included."""
        props: dict[str, str | None] = dict(doc["properties"])
        props["hs_object_id"] = str(doc["id"])
        props["createdate"] = ms(doc["created_at"])
        for name in MODIFIED:
            if name in PROPERTIES[kind]:
                props[name] = ms(doc["updated_at"])
        return props

    def serialize(
        self, kind: str, doc: dict[str, Any], wanted: Iterable[str] | None = None
    ) -> dict[str, Any]:
        props = self.properties(kind, doc)
        names = list(wanted) if wanted else list(DEFAULT_PROPERTIES[kind])
        always = ["hs_object_id", "createdate", *(m for m in MODIFIED if m in PROPERTIES[kind])]
        shown = {n: props.get(n) for n in dict.fromkeys([*names, *always]) if n in PROPERTIES[kind]}
        return {
            "id": str(doc["id"]),
            "properties": shown,
            "createdAt": ms(doc["created_at"]),
            "updatedAt": ms(doc["updated_at"]),
            "archived": False,
        }

    def get(self, kind: str, ident: str, id_property: str | None = None) -> dict[str, Any] | None:
        if id_property and id_property not in ("hs_object_id", "id"):
            if id_property != UNIQUE[kind]:
                raise BadRequest(f"{id_property} is not a unique property of {kind}")
            return self.db.by_key(kind, self._key(kind, ident))
        return self.db.get(kind, int(ident)) if str(ident).isdigit() else None

    def page(self, kind: str, after: int, limit: int) -> list[dict[str, Any]]:
        return self.db.scan(kind, after_id=after, limit=limit)

    # -- writing -------------------------------------------------------------------------------------
    @staticmethod
    def _key(kind: str, value: Any) -> str:
        return str(value).strip().lower() if kind == "contacts" else str(value).strip()

    def _unique(self, kind: str, props: dict[str, Any], doc_id: int | None) -> str | None:
        value = props.get(UNIQUE[kind])
        if value is None:
            return None
        key = self._key(kind, value)
        other = self.db.by_key(kind, key)
        if other is not None and other["id"] != doc_id:
            label = SINGULAR[kind].capitalize()
            raise Conflict(f"{label} already exists. Existing ID: {other['id']}", other["id"])
        return key

    def create(self, kind: str, values: dict[str, Any], *, labels: bool = False) -> dict[str, Any]:
        props = {k: v for k, v in clean(kind, values, labels=labels).items() if v is not None}
        with self.db.lock:
            key = self._unique(kind, props, None)
            return self.db.insert(kind, {"properties": props}, key=key)

    def update(self, kind: str, doc: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        changes = clean(kind, values)
        with self.db.lock:
            props = dict(doc["properties"])
            for name, value in changes.items():
                if value is None:
                    props.pop(name, None)
                else:
                    props[name] = value
            if UNIQUE[kind] in changes:
                key = self._unique(kind, props, doc["id"])
                self.db.set_key(kind, doc["id"], key)
            return self.db.update(kind, doc["id"], {"properties": props}) or doc

    def upsert(
        self, kind: str, id_property: str, ident: Any, values: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        """Create or update by a unique property: (object, created?)."""
        if id_property != UNIQUE[kind]:
            raise BadRequest(f"idProperty {id_property} is not a unique property of {kind}")
        with self.db.lock:
            doc = self.db.by_key(kind, self._key(kind, ident))
            if doc is None:
                return self.create(kind, {**values, id_property: ident}), True
            return self.update(kind, doc, {**values, id_property: ident}), False

    # -- search --------------------------------------------------------------------------------------
    def search(
        self, kind: str, body: dict[str, Any], cap: int
    ) -> tuple[int, list[dict[str, Any]], int | None]:
        """(total, this page, next offset): filterGroups OR'ed, filters AND'ed, sorted, offset paging."""
        limit = int(body.get("limit") or 10)
        after = int(body.get("after") or 0)
        if not 0 < limit <= 200:
            raise BadRequest("limit must be between 1 and 200")
        if after >= cap:
            raise BadRequest(
                f"search results are limited to {cap} per query; narrow the filters to page further"
            )
        groups = body.get("filterGroups") or []
        if len(groups) > 5 or any(len(g.get("filters") or []) > 6 for g in groups):
            raise BadRequest("at most 5 filterGroups of at most 6 filters each")
        matched = [d for d in self.db.all(kind) if not groups or any(self._group(kind, d, g) for g in groups)]
        for sort in reversed(body.get("sorts") or [{"propertyName": "hs_object_id"}]):
            if isinstance(sort, str):
                sort = {
                    "propertyName": sort.lstrip("-"),
                    "direction": "DESCENDING" if sort.startswith("-") else "ASCENDING",
                }
            name = sort.get("propertyName", "hs_object_id")
            matched.sort(
                key=lambda d, n=name: self._sort_key(kind, d, n),
                reverse=sort.get("direction") == "DESCENDING",
            )
        page = matched[after : after + limit]
        more = after + limit < len(matched)
        return len(matched), page, (after + limit if more else None)

    def _typed(self, kind: str, name: str, value: Any) -> Any:
        prop = PROPERTIES[kind].get(name)
        if prop is None:
            raise BadRequest(f'Property "{name}" does not exist')
        if value is None:
            return None
        if prop.kind == "datetime":
            return epoch_ms(value)
        if prop.kind == "number":
            try:
                return Decimal(str(value))
            except InvalidOperation:
                raise BadRequest(f"'{value}' is not a number") from None
        return str(value).lower()

    def _sort_key(self, kind: str, doc: dict[str, Any], name: str) -> tuple[Any, ...]:
        value = self._typed(kind, name, self.properties(kind, doc).get(name))
        return (value is None, value if value is not None else 0, doc["id"])

    def _group(self, kind: str, doc: dict[str, Any], group: dict[str, Any]) -> bool:
        props = self.properties(kind, doc)
        for f in group.get("filters") or []:
            name, op = f.get("propertyName", ""), str(f.get("operator", "EQ")).upper()
            have = self._typed(kind, name, props.get(name))
            if op == "HAS_PROPERTY":
                ok = have is not None
            elif op == "NOT_HAS_PROPERTY":
                ok = have is None
            elif op in ("IN", "NOT_IN"):
                values = {self._typed(kind, name, v) for v in f.get("values") or []}
                ok = (have in values) == (op == "IN")
            else:
                want = self._typed(kind, name, f.get("value"))
                ok = _compare(op, have, want)
            if not ok:
                return False
        return True

    # -- associations (company <-> contact, deal <-> company) ----------------------------------------
    def associate(self, company: dict[str, Any], contact: dict[str, Any], label: str = "unlabeled") -> bool:
        """Link a company and a contact; True when something new was recorded."""
        return self.link("companies", company, "contacts", contact, label)

    def link(
        self, kind: str, doc: dict[str, Any], other: str, other_doc: dict[str, Any], label: str = "unlabeled"
    ) -> bool:
        """Link two objects of an allowed pair (labels are shared by both sides); True when something changed."""
        if (kind, other) not in PAIRS:
            raise BadRequest(f"no associations between {kind} and {other}")
        sides = {SINGULAR[kind]: doc["id"], SINGULAR[other]: other_doc["id"]}
        key = _link_key(sides)
        with self.db.lock:
            link = self.db.by_key("associations", key)
            if link is None:
                self.db.insert("associations", {**sides, "labels": sorted({"unlabeled", label})}, key=key)
                self._rollup(sides)
                return True
            labels = sorted({*link["labels"], label})
            if labels == link["labels"]:
                return False
            self.db.update("associations", link["id"], {"labels": labels})
            return True

    def _rollup(self, sides: dict[str, int]) -> None:
        """Like HubSpot's rollup properties: a new association is a change of the object that counts it."""
        if "contact" in sides:
            kind, doc_id, prop, other = "companies", sides["company"], "num_associated_contacts", "contacts"
        else:  # a deal counts its companies; the company is left alone, so deals do not re-sync customers
            kind, doc_id, prop, other = "deals", sides["deal"], "num_associated_companies", "companies"
        fresh = self.db.get(kind, doc_id)
        if fresh is not None:
            count = str(len(self.linked(kind, doc_id, other)))
            self.db.update(kind, doc_id, {"properties": {**fresh["properties"], prop: count}})

    def linked(self, kind: str, doc_id: int, other: str | None = None) -> list[tuple[int, list[int]]]:
        """Objects of ``other`` (default: the first pair of ``kind``) linked to ``doc_id``: (id, association
        type ids seen from ``kind``)."""
        other = other or next(b for a, b in PAIRS if a == kind)
        if (kind, other) not in PAIRS:
            return []
        this, that = SINGULAR[kind], SINGULAR[other]
        rows = self.db.conn.execute(
            f"SELECT doc FROM associations WHERE json_extract(doc, '$.{this}') = ? "
            f"AND json_extract(doc, '$.{that}') IS NOT NULL ORDER BY id",
            (doc_id,),
        )
        out = []
        for (raw,) in rows:
            link = json.loads(raw)
            out.append((int(link[that]), [TYPE_IDS[(kind, other, label)] for label in link["labels"]]))
        return out

    def reset(self) -> None:
        self.db.reset()


def _compare(op: str, have: Any, want: Any) -> bool:
    if op == "EQ":
        return have == want
    if op == "NEQ":
        return have != want
    if have is None or want is None:
        return False
    try:
        return {"GT": have > want, "GTE": have >= want, "LT": have < want, "LTE": have <= want}[op]
    except KeyError:
        raise BadRequest(f"operator {op} is not supported") from None
    except TypeError:
        raise BadRequest(f"cannot compare {have!r} with {want!r}") from None


def _link_key(sides: dict[str, int]) -> str:
    """One association row per pair; company:contact keeps the key older sandbox files have."""
    if set(sides) == {"company", "contact"}:
        return f"{sides['company']}:{sides['contact']}"
    return ":".join(f"{name}={sides[name]}" for name in sorted(sides))
