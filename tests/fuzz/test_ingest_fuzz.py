"""Nothing is lost: every record an ingest reads ends in the golden record or in the failures table.

Arbitrary batches go through the engine's public path (``Ingestor.run``) for every system a mapping
reads. The run never raises; each record is either taken in (the xref row of its key holds the hash
of exactly this raw record), or quarantined with its raw payload, or superseded by a later record
with the same key in the same batch (the engine takes the latest version of a key).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from hub.engine import Ingestor, codec
from hub.errors import RecordRejected
from hub.store import Store
from hub.store.schema import failures, xref
from tests.fakes import MemoryConnector
from tests.fuzz.budget import budget
from tests.fuzz.strategies import JSON, shaped
from tests.fuzz.test_mapping_fuzz import MAPPINGS, READERS

_runs = itertools.count()


def _key(entity: str, system: str, raw: Any) -> str | None:
    """The natural key the engine files this record under (None when it has none)."""
    mapping = MAPPINGS[entity]
    try:
        only = mapping.systems[system].translator.to_canonical(raw, only=mapping.spec.key_fields)
    except RecordRejected:
        return None
    return mapping.spec.key_of(only)


@st.composite
def batches(draw: st.DrawFn) -> tuple[str, str, list[Any]]:
    entity, system = draw(st.sampled_from(READERS), label="entity, system")
    translator = MAPPINGS[entity].systems[system].translator
    records = draw(st.lists(shaped(translator) | JSON.filter(lambda v: isinstance(v, dict)), max_size=6))
    return entity, system, records


@given(batch=batches())
@budget(60)
def test_every_record_ends_golden_or_quarantined(
    fuzz_store: Store, batch: tuple[str, str, list[Any]]
) -> None:
    entity, system, records = batch
    mapping = MAPPINGS[entity]
    run_id = f"fuzz-{next(_runs)}"
    stats = Ingestor(fuzz_store, mapping, system, MemoryConnector(system, {entity: records}), run_id).run()
    assert stats.read == len(records)

    with fuzz_store.begin() as conn:
        quarantined = set(
            conn.scalars(
                sa.select(failures.c.raw).where(failures.c.entity == entity, failures.c.system == system)
            )
        )
        taken = dict(
            conn.execute(
                sa.select(xref.c.key, xref.c.source_hash).where(
                    xref.c.entity == entity, xref.c.system == system
                )
            ).all()
        )
    keys = [_key(entity, system, raw) for raw in records]
    for index, raw in enumerate(records):
        key = keys[index]
        if codec.dumps(raw) in quarantined:
            continue
        if key is not None and taken.get(key) == codec.content_hash([mapping.version, raw]):
            continue
        if key is not None and key in keys[index + 1 :]:
            continue  # superseded by a later version of the same key in this batch
        pytest.fail(f"record {index} of {entity}/{system} is neither golden nor quarantined: {raw!r:.300}")
