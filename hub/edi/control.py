"""Control numbers (ISA13, GS06, ST02) persisted per partner: handed out once, never reused.

Each number is taken in its own committed transaction before anything that carries it is written, so a
crash can waste a number but never hand the same one out twice (partners reject reused ISA13s).
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.errors import FatalError
from hub.faultpoints import reached
from hub.store import Store
from hub.store.schema import control_numbers

KINDS = ("isa", "gs", "st", "sscc")  # sscc: serials of the shipping labels we print
LIMIT = 999_999_999  # nine digits on the envelope


class StoreControlNumbers:
    """``connectors.x12.acks.ControlNumbers`` backed by the hub store, for one partner."""

    def __init__(self, store: Store, partner: str) -> None:
        self.store, self.partner = store, partner

    def next(self, kind: str) -> int:
        if kind not in KINDS:
            raise ValueError(f"control number kind {kind!r}: one of {', '.join(KINDS)}")
        table = control_numbers
        where = sa.and_(table.c.partner == self.partner, table.c.kind == kind)
        with self.store.begin() as conn:
            value = conn.execute(
                sa.update(table).where(where).values(value=table.c.value + 1).returning(table.c.value)
            ).scalar()
            if value is None:
                conn.execute(
                    self.store.insert(table)
                    .values(partner=self.partner, kind=kind, value=0)
                    .on_conflict_do_nothing(index_elements=["partner", "kind"])
                )
                value = conn.execute(
                    sa.update(table).where(where).values(value=table.c.value + 1).returning(table.c.value)
                ).scalar_one()
        reached("edi.control.taken")
        if value > LIMIT:
            raise FatalError(f"{self.partner}: {kind.upper()} control numbers exhausted (above {LIMIT})")
        return int(value)

    def current(self) -> dict[str, int]:
        """The last number handed out per kind (0 when none yet)."""
        with self.store.begin() as conn:
            rows = conn.execute(
                sa.select(control_numbers.c.kind, control_numbers.c.value).where(
                    control_numbers.c.partner == self.partner
                )
            ).all()
        found = {kind: int(value) for kind, value in rows}
        return {kind: found.get(kind, 0) for kind in KINDS[:3]}
