"""The engine's fast paths give exactly what the reference paths give.

Fast normalise vs pydantic per field, compiled translators vs the reference walk over the project's
mappings, and the driver-level bulk writer vs SQLAlchemy's executemany (SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from hub.engine.normalise import normalise
from hub.errors import RecordRejected
from hub.mapping.loader import load_mappings
from hub.mapping.translate import _inbound, _outbound
from hub.models import ENTITIES
from hub.store import Store
from hub.store.schema import audit_events, failures, golden_records

ROOT = Path(__file__).resolve().parent.parent


def reference_normalise(model: type[BaseModel], record: dict[str, Any]) -> dict[str, Any]:
    """The original implementation: every present field through pydantic."""
    out: dict[str, Any] = {}
    for name, value in record.items():
        info = model.model_fields.get(name)
        if info is None:
            raise RecordRejected(
                f"'{name}' is not a field of {model.__name__}", stage="validate", rule="schema", field=name
            )
        adapter: TypeAdapter[Any] = TypeAdapter(info.annotation)
        try:
            clean = adapter.dump_python(adapter.validate_python(value), mode="json", exclude_none=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in (name, *first["loc"]))
            raise RecordRejected(
                f"{where}: {first['msg']} (got {value!r:.80})", stage="validate", rule="schema", field=where
            ) from None
        if clean is not None:
            out[name] = clean
    return out


def _outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(*args)
    except RecordRejected as exc:
        return "rejected", (exc.message, exc.stage, exc.rule, exc.field)


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=6)
)
values = st.one_of(
    json_scalars,
    st.lists(json_scalars, max_size=3),
    st.dictionaries(st.sampled_from(["value", "uom", "amount", "currency", "x"]), json_scalars, max_size=3),
    st.sampled_from(
        ["active", "draft", "archived", "ACTIVE", " a ", "1.50", "USD", "usd", "2024-01-01T00:00:00Z"]
    ),
    st.fixed_dictionaries(
        {"value": st.sampled_from(["1.5", "2", "x", 3]), "uom": st.sampled_from(["KGM", "", 4])}
    ),
    st.fixed_dictionaries(
        {"amount": st.sampled_from(["9.99", "1e3", "-1"]), "currency": st.sampled_from(["USD", "us"])}
    ),
)


@settings(max_examples=400, deadline=None)
@given(
    entity=st.sampled_from(sorted(ENTITIES)),
    picks=st.lists(st.tuples(st.integers(0, 30), values), min_size=1, max_size=6),
)
def test_fast_normalise_matches_pydantic(entity: str, picks: list[tuple[int, Any]]) -> None:
    model = ENTITIES[entity].model
    names = list(model.model_fields)
    record = {names[i % len(names)]: value for i, value in picks}
    assert _outcome(normalise, model, record) == _outcome(reference_normalise, model, record)
    # a second time: the memo must give the same answer as the first computation
    assert _outcome(normalise, model, record) == _outcome(reference_normalise, model, record)


def test_fast_normalise_does_not_alias_the_input() -> None:
    from hub.models import Product

    raw = {"sku": "A1", "images": ["x"], "attributes": {"k": 1}, "weight": {"value": "1", "uom": "KGM"}}
    out = normalise(Product, raw)
    out["images"].append("y")
    out["attributes"]["k"] = 2
    out["weight"]["uom"] = "LBR"
    assert raw == {
        "sku": "A1",
        "images": ["x"],
        "attributes": {"k": 1},
        "weight": {"value": "1", "uom": "KGM"},
    }
    assert normalise(Product, {"weight": {"value": "1", "uom": "KGM"}})["weight"] == {
        "value": "1",
        "uom": "KGM",
    }


def _sample_records() -> list[tuple[str, str, dict[str, Any]]]:
    import orjson

    from connectors.files.connector import FilesConnector

    found = []
    data = ROOT / "sandbox" / "data"
    for system_dir in sorted(p for p in data.iterdir() if p.is_dir()):
        connector = FilesConnector(system_dir.name, inbox=str(system_dir), outbox=None)
        for entity_dir in sorted(p for p in system_dir.iterdir() if p.is_dir()):
            for batch in connector.read(entity_dir.name, None, 500):
                found += [
                    (system_dir.name, entity_dir.name, orjson.loads(orjson.dumps(r))) for r in batch.records
                ]
    return found


def test_compiled_translators_match_the_reference_walk() -> None:
    mappings = load_mappings(ROOT / "mappings")
    records = _sample_records()
    assert len(records) > 100
    compared = 0
    for system, entity, raw in records:
        mapping = mappings.get(entity)
        if mapping is None or system not in mapping.systems:
            continue
        translator = mapping.systems[system].translator
        inbound = _outcome(translator.to_canonical, raw)
        reference = _outcome(_inbound, translator.fields, raw)
        assert inbound == reference
        if inbound[0] == "ok":
            canonical = normalise(mapping.spec.model, inbound[1])
            for target, sysmap in mapping.systems.items():
                omit = mapping.owned_by(target)
                assert sysmap.translator.from_canonical(canonical, omit) == _outbound(
                    sysmap.translator.fields, canonical, omit
                )
            compared += 1
    assert compared > 100


def test_bulk_writer_stores_what_sqlalchemy_stores(db_url: str) -> None:
    store = Store(db_url)
    now = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    rows = [
        {
            "entity": "product",
            "key": f"K{i}",
            "data": "{}",
            "hash": f"h{i}",
            "version": i,
            "provenance": "{}",
            "run_id": "r",
            "created_at": now if i % 2 else datetime(2023, 1, 1, tzinfo=UTC),
            "updated_at": now,
        }
        for i in range(5)
    ]
    update = ["data", "hash", "version", "provenance", "run_id", "updated_at"]
    with store.begin() as conn:
        store.upsert(conn, golden_records, rows, ["entity", "key"], update)
        store.upsert(conn, golden_records, [{**rows[0], "hash": "changed"}], ["entity", "key"], update)
        fast = conn.execute(sa.select(golden_records).order_by(golden_records.c.key)).all()
        conn.execute(sa.delete(golden_records))
        stmt = store.insert(golden_records)
        stmt = stmt.on_conflict_do_update(
            index_elements=["entity", "key"], set_={c: stmt.excluded[c] for c in update}
        )
        conn.execute(stmt, rows)
        conn.execute(stmt, [{**rows[0], "hash": "changed"}])
        slow = conn.execute(sa.select(golden_records).order_by(golden_records.c.key)).all()
        raw_fast = [tuple(r)[1:] for r in fast]
        assert raw_fast == [tuple(r)[1:] for r in slow]
        assert fast[0].hash == "changed" and fast[0].version == 0
        audit = [
            {
                "run_id": "r",
                "at": now,
                "entity": "product",
                "key": f"K{i}",
                "system": "pim",
                "target": None,
                "action": "created",
                "changes": None if i else "{}",
                "mapping_version": "v",
                "correlation": None,
            }
            for i in range(3)
        ]
        store.insert_many(conn, audit_events, audit)
        stored = conn.execute(sa.select(audit_events.c.key, audit_events.c.at, audit_events.c.changes)).all()
        assert [(k, c) for k, _, c in stored] == [("K0", "{}"), ("K1", None), ("K2", None)]
        assert {at.replace(tzinfo=None) for _, at, _ in stored} == {now.replace(tzinfo=None)}
        # a table whose columns have Python-side defaults goes through SQLAlchemy, defaults applied
        fail = {
            "fingerprint": "f",
            "run_id": "r",
            "entity": "product",
            "system": "pim",
            "stage": "read",
            "message": "m",
            "status": "open",
            "attempts": 1,
            "first_seen": now,
            "last_seen": now,
        }
        store.upsert(conn, failures, [fail], ["fingerprint"], ["message"])
        assert conn.scalar(sa.select(failures.c.retriable)) is False
    assert Decimal("1")  # keep the import meaningful for readers: amounts are Decimal strings
    store.dispose()


def test_bulk_writer_rejects_a_batch_with_a_repeated_key_like_sqlalchemy(db_url: str) -> None:
    """PostgreSQL refuses an upsert that touches one row twice: callers dedupe; both paths agree."""
    store = Store(db_url)
    now = datetime.now(UTC)
    row = {
        "entity": "p",
        "key": "K",
        "data": "{}",
        "hash": "h",
        "version": 1,
        "provenance": "{}",
        "run_id": "r",
        "created_at": now,
        "updated_at": now,
    }
    if store.dialect != "postgresql":
        with store.begin() as conn:
            store.upsert(conn, golden_records, [row, {**row, "hash": "h2"}], ["entity", "key"], ["hash"])
            assert conn.scalar(sa.select(golden_records.c.hash)) == "h2"
    else:
        with pytest.raises(sa.exc.SQLAlchemyError), store.begin() as conn:
            store.upsert(conn, golden_records, [row, {**row, "hash": "h2"}], ["entity", "key"], ["hash"])
    store.dispose()
