"""Natural keys the hub hands out, for records that arrive without one (accounts registered in the shop).

A record's system id is linked to the key it got (xref), so reading it again, before or after the key
has been written back to the system, gives the same key. Numbers come from a counter in the store,
taken in their own committed transaction: a crash can waste a number, never hand one out twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from hub.mapping.schema import MintKeySpec
from hub.store import Store
from hub.store.schema import control_numbers, golden_records


class KeyMinter:
    """The sequence ``format.format(n=...)`` for one (entity, system)."""

    def __init__(self, store: Store, entity: str, system: str, spec: MintKeySpec) -> None:
        self.store, self.entity, self.spec = store, entity, spec
        self.counter = f"mint:{entity}:{system}"[:64]

    def keys(self, count: int) -> list[str]:
        """``count`` new keys, none of which a golden record of the entity has already."""
        out: list[str] = []
        with self.store.begin() as conn:
            while len(out) < count:
                wanted = count - len(out)
                last = self._advance(conn, wanted)
                fresh = [self.spec.format.format(n=n) for n in range(last - wanted + 1, last + 1)]
                taken = {
                    r.key
                    for r in conn.execute(
                        sa.select(golden_records.c.key).where(
                            golden_records.c.entity == self.entity, golden_records.c.key.in_(fresh)
                        )
                    )
                }
                out.extend(k for k in fresh if k not in taken)
        return out

    def _advance(self, conn: Any, by: int) -> int:
        t = control_numbers
        where = sa.and_(t.c.partner == self.counter, t.c.kind == "key")
        step = sa.update(t).where(where).values(value=t.c.value + by).returning(t.c.value)
        value = conn.execute(step).scalar()
        if value is None:
            conn.execute(
                self.store.insert(t)
                .values(partner=self.counter, kind="key", value=self.spec.start - 1)
                .on_conflict_do_nothing(index_elements=["partner", "kind"])
            )
            value = conn.execute(step).scalar_one()
        return int(value)


def assign(minter: KeyMinter, known: dict[str, str], system_ids: Sequence[str]) -> dict[str, str]:
    """system id -> key: the one already linked (``known``), else a new one (one per distinct id)."""
    new_ids = sorted({s for s in system_ids if s not in known})
    fresh = dict(zip(new_ids, minter.keys(len(new_ids)), strict=True)) if new_ids else {}
    return {s: known.get(s) or fresh[s] for s in system_ids}
