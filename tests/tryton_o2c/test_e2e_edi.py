"""EDI end to end with the real ERP: a partner's 850 over SFTP becomes a Tryton sale; the 997 goes back within the
same cycle; an 855 follows the confirmation, an 856 the 3PL's shipment, an 810 the invoice; the partner's 997s
reconcile every one; an 846 goes out; the order's lineage shows every control number."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml

from connectors.sftp import SftpMailbox, SftpSettings
from hub.edi.inventory import send_inventory
from hub.engine.stats import utcnow
from hub.lineage import record_lineage
from sandbox.edi_partner import PartnerSimulator
from sandbox.edi_partner.simulator import PoLine
from tests.tryton_o2c.builders import BIGBOX_PROFILE as PROFILE
from tests.tryton_o2c.test_e2e_order_to_cash import World, shop, sshd, world  # noqa: F401 - fixtures


def test_850_to_855_856_810_and_846_with_every_997_reconciled(world: World, tmp_path: Path) -> None:  # noqa: F811
    (tmp_path / "mappings" / "partners" / "bigbox.yaml").write_text(yaml.safe_dump(PROFILE))
    sftp = dict(world.config.threepl.mailbox.sftp)  # type: ignore[union-attr]
    sftp["root"] = str(tmp_path / "edi-bigbox")
    (tmp_path / "edi-bigbox").mkdir()
    world.config.edi.mailboxes["bigbox"] = world.config.threepl.mailbox.model_copy(update={"sftp": sftp})  # type: ignore[union-attr]
    world.flow.close()
    from hub.workflows.wiring import build_order_flow

    world.flow = build_order_flow(world.config, world.store, run_id="e2e-edi")
    service = world.flow.edi.service  # type: ignore[union-attr]
    partner = PartnerSimulator(SftpMailbox(SftpSettings(**sftp)), service.profiles["bigbox"])

    partner.send_850("PO-900", [PoLine("012345678905", Decimal(3), Decimal("12.50"))])
    [outcome] = service.process("bigbox")
    assert outcome.clean, outcome
    [ack] = partner.collect()  # the 997 is back in the partner's inbox in the same cycle
    assert ack.status == "accepted" and ack.sets[0][0] == "997"

    world.flow.process_orders()  # the 850 is an order like any other: validated, allocated, sold, requested
    assert world.state("BB-PO-900") == "ready_to_ship"
    sale = world.flow.erp.sale("BB-PO-900")  # type: ignore[union-attr]
    assert sale is not None and sale.state in ("processing", "confirmed")
    for _ in range(3):
        world.warehouse_round()
    assert world.state("BB-PO-900") == "closed"

    got = partner.collect()
    assert sorted(r.sets[0][0] for r in got) == ["810", "855", "856"]
    assert all(r.status == "accepted" for r in got), [(r.file, r.status) for r in got]
    service.process("bigbox")  # their three 997s
    _golden_stock(world)  # what the scheduled stock sync from the ERP leaves in the hub
    day = utcnow().date()
    sent = send_inventory(service, "bigbox", day)
    assert sent.file and "QTY*33*" in partner.mailbox.read("inbound", sent.file).decode()

    lineage = record_lineage(world.store, "order", "BB-PO-900")
    assert lineage is not None
    edi = {(d["direction"], d["set_id"]): d for d in lineage["edi"]}
    assert set(edi) == {("in", "850"), ("out", "855"), ("out", "856"), ("out", "810")}
    for key in (("out", "855"), ("out", "856"), ("out", "810")):
        assert edi[key]["ack_status"] == "accepted" and edi[key]["isa13"] and edi[key]["st02"]
    assert service.check_overdue() == []


def _golden_stock(w: World) -> None:
    from hub.engine import codec
    from hub.store.schema import golden_records

    levels = w.flow.erp.stock(["SKU-A"])["SKU-A"]  # type: ignore[union-attr]
    now = utcnow()
    with w.store.begin() as conn:
        for warehouse, quantity in levels.items():
            record = {
                "sku": "SKU-A",
                "warehouse": warehouse,
                "on_hand": {"value": str(quantity), "uom": "EA"},
            }
            conn.execute(golden_records.insert().values(
                entity="stock", key=f"SKU-A@{warehouse}", data=codec.dumps(record), hash="-", version=1,
                provenance="{}", run_id="e2e", created_at=now, updated_at=now))  # fmt: skip
