"""The generated (compiled) code paths of the engine give what the reference code gives.

Translators are compiled into generated functions, merge has a path for a first load, rules read
plain paths without walking, publish reads its page and ingest its lookups at the driver level:
each is compared here with the reference it replaces, on shapes the shipped mappings do not cover
(list indexes, joins, nested lists, constants, defaults, non-object nodes, str subclasses).
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.engine.ingest import _EMPTY, _drop_empty_changes
from hub.engine.merge import MergeOutcome, Merger
from hub.errors import RecordRejected
from hub.mapping import paths
from hub.mapping.transforms import build_transform
from hub.mapping.translate import CompiledField, Translator, _inbound, _outbound
from hub.validation.rules import _present, _present_values, field_values

MAPS = {"units": {"kg": "KGM", "lb": "LBR"}}


def _field(canonical: str, path: str | None, *transforms: Any, **extra: Any) -> CompiledField:
    return CompiledField(
        canonical=canonical,
        canonical_parts=paths.split(canonical),
        system_parts=paths.split(path) if path else None,
        transforms=tuple(build_transform(t, MAPS) for t in transforms),
        **extra,
    )


FIELDS = (
    _field("sku", "identifier", "trim", "upper"),
    _field("name", "values.name", "trim", "collapse_spaces"),
    _field("brand", "values.brand", "trim", "null_if"),
    _field("category", "a.b.c", "lower"),
    _field("gtin", "codes.0.ean", "trim"),
    _field("status", "enabled", {"value_map": {"map": {"true": "active", "false": "draft"}}}),
    _field("weight.value", "values.weight.amount", "null_if", "decimal"),
    _field("weight.uom", "values.weight.unit", {"value_map": {"map": "units"}}),
    _field("price.amount", "variants.0.price", {"decimal": {"places": 2}}),
    _field("price.currency", None, const="EUR"),
    _field("description", "body", default="n/a"),
    _field("attributes.note", "variants.0.note", join=" / "),
    _field("attributes.extra", "variants.0.note", join=" / ", inbound=False),
    _field("uom", "uom", "upper", outbound=False),
    _field(
        "images",
        "media",
        each=(_field("url", "src", "trim"), _field("alt", "alt")),
    ),
)

RAWS: list[Any] = [
    {},
    {
        "identifier": " ab-1 ",
        "values": {"name": "  A   b ", "brand": "N/A", "weight": {"amount": "1.5", "unit": "KG"}},
    },
    {"identifier": "x", "values": "not an object", "a": {"b": {"c": "TOOLS"}}, "enabled": True},
    {"identifier": "x", "values": None, "a": {"b": None}, "enabled": "false", "uom": "ea"},
    {"identifier": "x", "codes": [{"ean": " 123 "}], "variants": [{"price": "12.345", "note": "n"}]},
    {
        "identifier": "x",
        "codes": [],
        "variants": "nope",
        "body": "",
        "media": [{"src": " u ", "alt": ""}, "v"],
    },
    {"identifier": "x", "values": {"weight": {"amount": "", "unit": None}}, "media": []},
    {"identifier": "x", "values": {"weight": {"unit": "stone"}}},  # strict value map: rejected
    {"identifier": "x", "media": "not a list"},  # rejected
    {"identifier": "x", "values": {"weight": {"amount": "abc"}}},  # not a number: rejected
    {"identifier": 7, "values": {"name": 0, "brand": False}, "enabled": 1},
]


class Text(str):
    """A str subclass: the generated code takes its reference path."""

    def strip(self, chars: str | None = None) -> str:  # pragma: no cover - must not be called
        raise AssertionError("str.strip is what the transform means")


def _outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(*args)
    except RecordRejected as exc:
        return "rejected", (exc.message, exc.stage, exc.rule, exc.field)


@pytest.mark.parametrize("raw", [*RAWS, {"identifier": Text(" a "), "values": {"name": Text(" b ")}}])
def test_compiled_inbound_matches_the_reference(raw: Any) -> None:
    translator = Translator("s", "product", FIELDS)
    got, want = _outcome(translator.to_canonical, raw), _outcome(_inbound, FIELDS, raw)
    assert got == want
    if got[0] == "ok":
        assert list(got[1]) == list(want[1])  # same key order too


def test_rejections_name_the_field_and_transform() -> None:
    translator = Translator("s", "product", FIELDS)
    assert _outcome(translator.to_canonical, RAWS[7])[0] == "rejected"
    assert _outcome(translator.to_canonical, RAWS[7])[1][2] == "transform.value_map"


CANONICALS: list[Any] = [
    {},
    {"sku": "A", "weight": {"value": "1.5", "uom": "KGM"}, "price": {"amount": "2.00"}},
    {"sku": "A", "weight": "flat", "price": None, "attributes": {"note": "x", "extra": "y"}},
    {"sku": "A", "attributes": {"note": ["a"], "extra": "b"}, "images": [{"url": "u"}, "bare", {"alt": "t"}]},
    {"status": "draft", "description": "", "images": []},
]


@pytest.mark.parametrize("record", CANONICALS)
@pytest.mark.parametrize("omit", [frozenset(), frozenset({"sku", "attributes"}), frozenset({"weight"})])
def test_compiled_outbound_matches_the_reference(record: Any, omit: frozenset[str]) -> None:
    translator = Translator("s", "product", FIELDS)
    got = translator.from_canonical(record, omit)
    assert got == _outbound(FIELDS, record, omit)
    assert list(got) == list(_outbound(FIELDS, record, omit))


def test_a_mapping_without_fields_compiles() -> None:
    translator = Translator("s", "product", ())
    assert translator.to_canonical({"a": 1}) == {}
    assert translator.from_canonical({"a": 1}) == {}


class _Mapping:
    """What Merger reads of an EntityMapping."""

    fill_empty = False

    def owner_of(self, name: str) -> str:
        return "erp" if name == "price" else "pim"


def _reference_merge(incoming: dict[str, Any], system: str, supplied: frozenset[str]) -> MergeOutcome:
    outcome = MergeOutcome({})
    for name in supplied:
        new = incoming.get(name)
        if new is None:
            continue
        owner = _Mapping().owner_of(name)
        if owner == system:
            outcome.candidate[name] = new
            outcome.changes[name] = (None, new)
        else:
            outcome.conflicts[name] = {"owner": owner, "kept": None, "rejected": new, "from": system}
    return outcome


@pytest.mark.parametrize("golden", [None, {}])
def test_first_merge_matches_the_general_one(golden: Any) -> None:
    supplied = frozenset({"sku", "name", "price", "images"})
    incoming = {"sku": "A", "name": None, "price": {"amount": "1"}, "images": []}
    merger = Merger(_Mapping(), "pim", supplied)  # type: ignore[arg-type]
    assert merger(incoming, golden) == _reference_merge(incoming, "pim", supplied)
    # against a golden record the general path runs: an unchanged value is no change
    outcome = merger(incoming, {"sku": "A"})
    assert "sku" not in outcome.changes and outcome.changes["images"] == (None, [])


EMPTYISH = [None, "", [], {}, 0, 0.0, False, "x", [0], {"a": None}, (), b""]


@pytest.mark.parametrize("old", EMPTYISH)
@pytest.mark.parametrize("new", EMPTYISH)
def test_drop_empty_changes_is_membership_in_the_empty_forms(old: Any, new: Any) -> None:
    outcome = MergeOutcome({"f": new}, {"f": (old, new)})
    _drop_empty_changes(outcome, {"f": "before"})
    dropped = old in _EMPTY and new in _EMPTY
    assert ("f" not in outcome.changes) is dropped
    assert outcome.candidate["f"] == ("before" if dropped else new)


@pytest.mark.parametrize("dotted", ["sku", "price.amount", "a.b.c", "lines.*.sku"])
def test_rule_values_read_like_the_reference_walk(dotted: str) -> None:
    records: list[Any] = [
        {},
        {"sku": "A", "price": {"amount": "1"}, "a": {"b": {"c": 0}}, "lines": [{"sku": "x"}, {}]},
        {"sku": "", "price": None, "a": {"b": "flat"}, "lines": []},
        {"sku": None, "price": {"amount": ""}, "a": {"b": {"c": [1]}}, "lines": None},
        "not a record",
    ]
    present = _present_values(dotted)
    for record in records:
        assert present(record) == _present(field_values(record, dotted))


def test_driver_level_lookups_read_what_sqlalchemy_reads(store: Any) -> None:
    """golden_by_keys / xref lookups (raw DBAPI, chunked on SQLite) against the same rows via Core."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from hub.engine.repository import Repository
    from hub.store.schema import golden_records, xref

    repo, now = Repository(store), datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    keys = [f"K-{i:04d}" for i in range(1203)]  # more than two IN-list chunks
    golden = [
        {
            "entity": "product",
            "key": k,
            "data": '{"sku":"' + k + '"}',
            "hash": f"h{i}",
            "version": i % 3 + 1,
            "provenance": "{}",
            "run_id": "r",
            "created_at": now,
            "updated_at": now,
        }
        for i, k in enumerate(keys)
    ]
    links = [
        {
            "entity": "product",
            "key": k,
            "system": "pim",
            "system_id": f"id-{k}",
            "source_hash": None,
            "updated_at": now,
        }
        for k in keys
    ]
    with store.begin() as conn:
        repo.upsert_golden(conn, golden)
        repo.upsert_xref(conn, links)
    asked = [*keys[::2], "missing", keys[0]]
    with store.begin() as conn:
        rows = repo.golden_by_keys(conn, "product", asked)
        by_key = repo.xref_by_keys(conn, "product", "pim", asked)
        by_id = repo.xref_by_system_ids(conn, "product", "pim", [f"id-{k}" for k in asked])
        t, x = golden_records, xref
        core = conn.execute(sa.select(t.c.key, t.c.version, t.c.created_at).where(t.c.key.in_(asked))).all()
        core_x = conn.execute(
            sa.select(x.c.key, x.c.system_id, x.c.source_hash).where(x.c.key.in_(asked))
        ).all()
    assert {k: (r.data, r.version, r.created_at) for k, r in rows.items()} == {
        key: ({"sku": key}, version, created) for key, version, created in core
    }
    assert all(type(r.created_at) is datetime for r in rows.values())
    assert by_key == {key: (sid, sh) for key, sid, sh in core_x}
    assert by_id == {sid: key for key, sid, _ in core_x}
    assert len(rows) == len(set(keys[::2]))


def _reference_jsonl(path: Any, encoding: str) -> list[tuple[int, Any, Any]]:
    """The reader before it handed UTF-8 bytes to orjson directly: decode, then parse."""
    import orjson

    out = []
    for line_no, line in enumerate(path.read_bytes().splitlines(keepends=True), 1):
        if not line.strip():
            continue
        where = f"{path.name}:{line_no}"
        try:
            text = line.decode(encoding)
            value = orjson.loads(text)
        except (UnicodeDecodeError, orjson.JSONDecodeError) as exc:
            raw = line.decode(encoding, "backslashreplace").rstrip("\r\n")
            out.append((line_no, None, (raw, f"not valid JSON: {exc}", where)))
            continue
        if not isinstance(value, dict):
            out.append((line_no, None, (text.rstrip("\r\n"), "a line must hold a JSON object", where)))
            continue
        out.append((line_no, value, None))
    return out


@pytest.mark.parametrize("encoding", ["utf-8", "UTF8", "latin-1"])
def test_jsonl_reader_reads_and_rejects_lines_as_before(tmp_path: Any, encoding: str) -> None:
    from connectors.files.connector import FilesConnector

    lines = [
        b'{"a": 1, "b": "caf\xc3\xa9"}\n',
        b"\n",
        b'{"a": "\xed\xa0\x80"}\n',  # an encoded surrogate: not UTF-8
        b'{"a": "\xff"}\n',
        b"[1, 2]\n",
        b'"text"\r\n',
        b"\xef\xbb\xbf" + b'{"bom": true}\n',
        b'{"s": "\\ud800"}\n',
        b"{not json}\n",
        b'{"last": null}',
    ]
    path = tmp_path / "p.jsonl"
    path.write_bytes(b"".join(lines))
    got = [
        (n, value, None if err is None else (err.raw, err.message, err.position))
        for n, value, err in FilesConnector("s", inbox=None, outbox=None, encoding=encoding)._jsonl(path)
    ]
    assert got == _reference_jsonl(path, encoding)
    assert any(value is not None for _, value, _ in got) and any(err is not None for _, _, err in got)


@pytest.mark.parametrize("batch_size", [0, 10, 1000, 10**9])
def test_batch_gc_threshold_follows_the_batch_and_is_restored(batch_size: int) -> None:
    import gc

    from hub.engine.gctune import _YOUNG_MAX, batch_friendly_gc

    before = gc.get_threshold()
    with batch_friendly_gc(batch_size):
        young, *older = gc.get_threshold()
        with batch_friendly_gc(batch_size * 10):  # nested steps keep the outer settings
            assert gc.get_threshold()[0] == young
    assert gc.get_threshold() == before
    assert 2_000 <= young <= _YOUNG_MAX and older == [10, 10]
    assert young >= min(40 * batch_size, _YOUNG_MAX)
