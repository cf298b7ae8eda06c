"""What the load run looks at from the outside: the 3PL outbox, the processes' CPU, the hub store, Tryton.

Kept apart from tests/chaos/load.py (the run itself); none of it changes what it looks at, except
``pick_up``, which does what the 3PL does with requests it has read.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of sorted values."""
    if not values:
        return None
    rank = max(1, -(-len(values) * q // 100))
    return round(values[int(rank) - 1], 3)


def pick_up(outbox: Path) -> None:
    """What the 3PL does: requests it has read move to ``processed/`` (a rename keeps their mtime)."""
    done = outbox / "processed"
    done.mkdir(parents=True, exist_ok=True)
    if outbox.exists():
        for entry in os.scandir(outbox):
            if entry.name.startswith("FR_") and entry.name.endswith(".csv") and entry.is_file():
                os.replace(entry.path, done / entry.name)


def written_requests(outbox: Path) -> dict[str, float]:
    """Order number -> when its last fulfilment request file was written (mtime), outbox and processed/."""
    out: dict[str, float] = {}
    for folder in (outbox, outbox / "processed"):
        if not folder.exists():
            continue
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("FR_") and entry.name.endswith(".csv") and entry.is_file():
                    order_no = entry.name[3:-4].rsplit("-", 1)[0]
                    out[order_no] = max(out.get(order_no, 0.0), entry.stat().st_mtime)
    return out


def erp_pid(erp: Any) -> int:
    """The trytond serving now (the sandbox keeps a spare; its private ``_current`` says which)."""
    current = getattr(erp, "_current", None)
    current = current() if callable(current) else current
    proc = getattr(current, "proc", None)
    return proc.pid if proc is not None else 0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def inbox_now(store: Any) -> dict[str, int]:
    from hub.workflows.intake import inbox_counts

    try:
        return inbox_counts(store)
    except Exception as exc:  # a locked SQLite file must not end the sampling
        return {"error": 1, "why": str(exc)[:80]}  # type: ignore[dict-item]


def hub_side(store: Any) -> dict[str, Any]:
    """The hub's view: orders per state, and state changes recorded twice for one order (a repeated step)."""
    import sqlalchemy as sa

    from hub.engine import codec
    from hub.store.schema import audit_events, order_state

    with store.begin() as conn:
        states = dict(
            conn.execute(sa.select(order_state.c.state, sa.func.count()).group_by(order_state.c.state))
            .tuples()
            .all()
        )
        rows = conn.execute(sa.select(audit_events.c.key, audit_events.c.changes).where(
            audit_events.c.entity == "order", audit_events.c.action == "state")).all()  # fmt: skip
    seen: dict[tuple[str, str], int] = {}
    for key, changes in rows:
        to = (codec.loads(changes) or {}).get("state", [None, None])[1]
        seen[(key, to)] = seen.get((key, to), 0) + 1
    return {
        "states": states,
        "repeated_steps": sorted(f"{k}->{to}" for (k, to), n in seen.items() if n > 1)[:20],
    }


def settled(store: Any, orders: int, *, wait: float = 30.0) -> dict[str, Any]:
    """``hub_side`` once the hub has recorded its last steps: an order is complete when its request file is
    written, and the worker records ``ready_to_ship`` just after (the shop tag, then the move). Waits at
    most ``wait`` seconds for every order to be there; what is still elsewhere then is reported as is."""
    deadline = time.monotonic() + wait
    while True:
        side = hub_side(store)
        if side["states"].get("ready_to_ship", 0) >= orders or time.monotonic() > deadline:
            return side
        time.sleep(0.5)


def check_erp(sandboxes: Any, placed: dict[str, float], written: dict[str, float]) -> dict[str, Any]:
    """Every placed order confirmed in Tryton once per warehouse, its request written, nothing extra."""
    client = sandboxes.erp_connector().client
    sales = client.search_read("sale.sale", [("reference", "!=", None)], ["reference", "state", "warehouse"])
    per: dict[tuple[str, int], int] = {}
    confirmed: set[str] = set()
    for s in sales:
        per[(s["reference"], s["warehouse"])] = per.get((s["reference"], s["warehouse"]), 0) + 1
        if s["state"] in ("confirmed", "processing", "done"):
            confirmed.add(s["reference"])
    duplicates = sorted({ref for (ref, _), n in per.items() if n > 1 and ref in placed})
    return {
        "sales": len(sales),
        "confirmed": len(confirmed & placed.keys()),
        "not_confirmed": sorted(placed.keys() - confirmed)[:20],
        "not_written": sorted(placed.keys() - written.keys())[:20],
        "duplicate_sales": duplicates[:20],
        "unknown_requests": sorted(written.keys() - placed.keys())[:20],
    }
