"""The order-to-cash and EDI part of `hub demo` on the sandboxes: orders placed in the shop, a partner's 850 over
SFTP, the 3PL simulator shipping, and a summary of where everything went."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal
from typing import Any

import requests
import sqlalchemy as sa

from connectors.mailbox import LocalMailbox
from hub.config import HubConfig
from hub.engine import codec
from hub.engine.ports import OutboundRecord
from hub.store import Store
from hub.store.schema import golden_records, order_state
from hub.workflows.approval import approve
from hub.workflows.intake import poll_orders

ADDRESS = {"name": "Receiving", "address1": "1 Dock Rd", "city": "Columbus", "zip": "43004",
           "province_code": "OH", "country": "United States"}  # fmt: skip


def run_order_demo(cfg: HubConfig, sandboxes: Any, *, orders: int = 8, seed: int = 7) -> dict[str, Any]:
    """Place ``orders`` shop orders (one above the approval threshold, approved), one EDI 850, then run the
    intake, the 3PL and the EDI loops until everything shipped; return counts for the summary."""
    from connectors import resource_for
    from connectors.x12.partners import load_partners
    from hub.workflows.wiring import build_order_flow
    from sandbox.edi_partner import PartnerSimulator
    from sandbox.edi_partner.simulator import PoLine
    from sandbox.runner import CREDENTIALS
    from sandbox.threepl import ThreePLSimulator

    store = Store(cfg.database_url)
    flow = build_order_flow(cfg, store, run_id="demo-orders")
    erp = flow.erp
    if erp is None:
        return {}
    rng = random.Random(seed)
    skus = _stocked_skus(store, erp)
    accounts = [a for a in _accounts(store) if erp.customer_exists(a)][:20]
    if not skus or not accounts:
        return {"note": "no stocked products or ERP customers to order with"}
    prices = erp.prices(skus, None)
    skus = [s for s in skus if s in prices]
    api = f"{sandboxes.servers['shop'].url}/admin/api/2024-10"
    headers = {"X-Shopify-Access-Token": CREDENTIALS["shop"]["access_token"]}
    placed = []
    for n in range(orders):
        account = rng.choice(accounts)
        chosen = rng.sample(skus, k=min(2, len(skus)))
        big = n == 0  # one order above the approval threshold
        items = [
            {"sku": s, "quantity": 60 if big else rng.randint(1, 3), "price": str(prices[s])} for s in chosen
        ]
        body = {"order": {"email": f"buyer-{account.lower()}@example.com", "line_items": items,
                          "customer": {"email": f"buyer-{account.lower()}@example.com", "note": f"account:{account}"},
                          "shipping_address": ADDRESS, "billing_address": ADDRESS}}  # fmt: skip
        got = requests.post(f"{api}/orders.json", json=body, headers=headers, timeout=30)
        got.raise_for_status()
        placed.append(str(got.json()["order"]["name"]).lstrip("#"))

    profile = load_partners(cfg.partners_dir)["acme"]
    erp_conn = sandboxes.erp_connector()
    erp_conn.write("customer", [OutboundRecord(profile.customer_no or "ACME-001", None, {
        "code": profile.customer_no, "name": profile.name, "payment_term": "net30"}, "create")])  # fmt: skip
    partner = PartnerSimulator(LocalMailbox(sandboxes.sftp_root / "edi" / "acme"), profile)
    partner.send_850(
        "PO-DEMO-1", [PoLine(s, Decimal(2), Decimal(prices[s]), "VN") for s in skus[:2]], ship_to="0107"
    )
    threepl = ThreePLSimulator(LocalMailbox(sandboxes.sftp_root / "3pl"), seed=seed)

    shop = resource_for(cfg, cfg.orders.shop_system, dagster=False).connector(cfg.orders.shop_system)
    edi = flow.edi.service if flow.edi is not None else None
    for round_no in range(6):
        poll_orders(store, shop)
        if edi is not None:
            edi.process("acme")
        flow.process_orders()
        if round_no == 0 and placed:
            approve(store, placed[0], by="demo", run_id="demo-orders")
        threepl.tick()
        for file in flow.threepl_files():
            flow.apply_threepl_file(file)
        partner.collect()
    if edi is not None:
        edi.process("acme")
    flow.close()
    return _summary(store, sandboxes, placed, partner)


def _stocked_skus(store: Store, erp: Any, limit: int = 12) -> list[str]:
    with store.begin() as conn:
        rows = conn.execute(sa.select(golden_records.c.data).where(golden_records.c.entity == "stock")).all()
    candidates = sorted({codec.loads(d)["sku"] for (d,) in rows})[:200]
    stock = erp.stock(candidates)
    return [s for s in candidates if sum(stock.get(s, {}).values(), Decimal(0)) >= 10][:limit]


def _accounts(store: Store) -> list[str]:
    with store.begin() as conn:
        keys = conn.execute(
            sa.select(golden_records.c.key)
            .where(golden_records.c.entity == "customer")
            .order_by(golden_records.c.key)
        ).scalars()
        return list(keys)


def _summary(store: Store, sandboxes: Any, placed: list[str], partner: Any) -> dict[str, Any]:
    with store.begin() as conn:
        states = Counter(s for (s,) in conn.execute(sa.select(order_state.c.state)))
    root = sandboxes.sftp_root / "3pl"
    return {
        "shop_orders": len(placed),
        "order_states": dict(states),
        "edi_documents_received_by_partner": sorted({s[0] for r in partner.received for s in r.sets}),
        "mails": len(list((sandboxes.mail.folder).glob("*.eml"))),
        "3pl_requests": len(list((root / "to_3pl").rglob("FR_*.csv"))),
        "3pl_confirmations_archived": len(list((root / "archive").rglob("*.csv")))
        if (root / "archive").exists()
        else 0,
    }
