"""The hub side of S1/S2/S6: PIM JSON Lines (files connector) -> hub store -> shop JSON Lines (files connector).

Ingest runs the project's product mapping (translate, normalise, validate, merge under field
ownership, audit, xref, cursor); publish selects what the shop has not received, translates it to
the shop's shape, writes the files and records the deliveries ledger, xref and audit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def sync(url: str, work: Path, run_id: str, batch_size: int) -> dict[str, Any]:
    from connectors.files.connector import FilesConnector
    from hub.engine.ingest import Ingestor
    from hub.engine.publish import Publisher
    from hub.mapping.loader import load_mappings
    from hub.store import Store

    store = Store(url)
    mapping = load_mappings(ROOT / "mappings", only=["product"])["product"]
    pim = FilesConnector("pim", inbox=str(work / "pim"), outbox=None)
    shop = FilesConnector("shop", inbox=None, outbox=str(work / "out" / "shop"))
    ingest = Ingestor(store, mapping, "pim", pim, run_id, batch_size).run()
    publish = Publisher(store, mapping, "shop", shop, run_id, batch_size).run()
    store.dispose()
    return {"ingest": ingest.to_dict(), "publish": publish.to_dict()}


def counts(url: str) -> dict[str, int]:
    """Row counts of the tables a sync writes (a sanity check printed with the figures)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    tables = ("golden_records", "xref", "deliveries", "audit_events", "failures")
    with engine.connect() as conn:
        out = {t: int(conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) or 0) for t in tables}
    engine.dispose()
    return out
