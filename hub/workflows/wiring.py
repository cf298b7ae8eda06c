"""Builds the order-to-cash flow from hub.yaml: the ERP, shop, 3PL, mail and EDI ports, the intake processor,
the fulfilment process manager and the returns flow; and the two loops the Dagster jobs and the demo run
(drain the order inbox; apply what the 3PL sent)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connectors.mailbox import RemoteFile
from hub.config import HubConfig
from hub.engine.repository import FailureRecord, Repository
from hub.engine.stats import utcnow
from hub.errors import HubError, RecordRejected, RetriableError
from hub.faultpoints import reached
from hub.mailboxes import open_mailbox
from hub.models import Order
from hub.store import Store
from hub.workflows.fulfilment import OrderFulfilment, Systems
from hub.workflows.ports import ErpOrders, Mailer, ShopOrders, ThreePL
from hub.workflows.processor import OrderProcessor, ProcessStats
from hub.workflows.quotes import CrmDeals, QuoteFlow, is_request_for_quote
from hub.workflows.returns import ReturnsFlow
from hub.workflows.setup import build_mailer, build_processor

log = logging.getLogger("hub.workflows")


def _system_by_role(config: HubConfig, role: str) -> str | None:
    return next((name for name, s in config.systems.items() if s.role == role), None)


def _port(config: HubConfig, system: str | None, method: str) -> Any:
    """``resource.<method>()`` of a system whose connector offers it (tryton: orders, shopify: orders)."""
    if system is None or system not in config.systems:
        return None
    from connectors import resource_for

    resource = resource_for(config, system, dagster=False)
    make = getattr(resource, method, None)
    return make() if callable(make) else None


@dataclass
class OrderFlow:
    config: HubConfig
    store: Store
    run_id: str
    erp: ErpOrders | None
    shop: ShopOrders | None
    mailer: Mailer | None
    threepl: Any | None  # connectors.threepl.ThreePLConnector (the port plus per-file reads)
    edi: Any | None  # hub.edi.notify.EdiNotifier
    crm: CrmDeals | None = None
    processor: OrderProcessor = field(init=False)
    fulfilment: OrderFulfilment | None = field(init=False)
    returns: ReturnsFlow | None = field(init=False)
    quotes: QuoteFlow | None = field(init=False)

    def __post_init__(self) -> None:
        warehouses = set(self.config.threepl.warehouses)

        def threepl_for(code: str) -> ThreePL | None:
            return self.threepl if self.threepl is not None and code in warehouses else None

        self.fulfilment = None
        self.returns = None
        self.quotes = None
        if self.erp is not None:
            self.quotes = QuoteFlow(
                self.store, self.erp, self.crm, self.shop, self.config.quotes, self.run_id
            )
            systems = Systems(self.erp, threepl_for, self.shop, self.mailer, self.edi)
            self.fulfilment = OrderFulfilment(self.store, systems, run_id=self.run_id)
            self.returns = ReturnsFlow(self.store, self.erp, threepl_for, self.shop, self.config.returns,
                                       run_id=self.run_id)  # fmt: skip
        self.processor = build_processor(
            self.config,
            self.store,
            erp=self.erp,
            mailer=self.mailer,
            next_step=self.fulfilment.start if self.fulfilment else None,
            next_many=self.fulfilment.start_many if self.fulfilment else None,
            run_id=self.run_id,
            quote=self._route_quote,
        )

    def _route_quote(self, order: Order) -> str | None:
        """Requests for quote go to the quote flow (priced, ERP quotation, CRM deal, back to the shop)."""
        if self.quotes is None or not is_request_for_quote(order, self.config.quotes):
            return None
        quote = self.quotes.request(order)
        return f"quote {quote.quote_no} {quote.status}"

    # -- the loops ---------------------------------------------------------------------------------------
    def process_orders(self) -> ProcessStats:
        """Drain the order inbox, move approved orders on, re-drive what is owed."""
        return self.processor.run_once()

    def threepl_files(self) -> list[RemoteFile]:
        return self.threepl.pending() if self.threepl is not None else []

    def apply_threepl_file(self, file: RemoteFile) -> dict[str, int]:
        """One file from the 3PL: parse, apply every message, then archive it (error/ when malformed). A
        message that cannot be applied becomes a failed record and the file is still archived: nothing is
        lost, `hub failures` shows it. A transient fault (RetriableError: the ERP, the shop or a mailbox did
        not answer) leaves the file in the inbox instead, counted as failed: the next tick applies it again
        (`hub retry` cannot replay a 3PL message, so archiving it lost the shipment); what was already
        applied is skipped, shipments by their number."""
        assert self.threepl is not None
        parsed = self.threepl.parse(file)
        counts = {"shipments": 0, "receipts": 0, "inventory": 0, "failed": 0}
        deferred = 0
        if parsed.ok:
            for message in parsed.messages:
                try:
                    self._apply(message, counts)
                except RetriableError as exc:
                    counts["failed"] += 1
                    deferred += 1
                    log.warning("3PL file %s: %s; left in the inbox for the next tick", file.name, exc)
                except HubError as exc:
                    counts["failed"] += 1
                    self._failed(message, exc)
        if deferred:
            return counts
        reached("threepl.file.applied")
        self.threepl.settle(parsed)
        return counts

    def _apply(self, message: Any, counts: dict[str, int]) -> None:
        if message.kind == "shipment" and message.shipment is not None and self.fulfilment is not None:
            self.fulfilment.on_shipment(message.shipment)
            counts["shipments"] += 1
        elif message.kind == "receipt" and message.receipt is not None and self.returns is not None:
            self.returns.on_receipt(message.receipt)
            counts["receipts"] += 1
        elif message.kind == "inventory" and self.erp is not None:
            # the 3PL owns on-hand at the warehouses it runs: its count becomes the ERP's (a Tryton inventory),
            # and the next stock sync carries it to the hub and the shop
            by_warehouse: dict[str, dict[str, Decimal]] = {}
            for level in message.inventory:
                warehouse = level.warehouse if level.warehouse in self.config.threepl.warehouses else None
                if warehouse is None:
                    raise RecordRejected(f"stock count for {level.warehouse}, which the 3PL does not run",
                                         stage="apply", field="warehouse")  # fmt: skip
                by_warehouse.setdefault(warehouse, {})[level.sku] = level.on_hand.value
            for warehouse, levels in by_warehouse.items():
                self.erp.count_stock(warehouse, levels)
            counts["inventory"] += len(message.inventory)

    def _failed(self, message: Any, exc: HubError) -> None:
        key = (
            message.shipment.order_no
            if message.shipment
            else (message.receipt.rma_no if message.receipt else None)
        )
        entity = "shipment" if message.kind == "shipment" else "return"
        raw = {"file": message.file, "kind": message.kind,
               "shipment": message.shipment.model_dump(mode="json") if message.shipment else None}  # fmt: skip
        failure = FailureRecord(self.run_id, entity, key, "3pl", "apply", None, None,
                                f"{type(exc).__name__}: {exc}", raw, retriable=True)  # fmt: skip
        with self.store.begin() as conn:
            Repository(self.store).record_failures(conn, [failure], utcnow())

    def close(self) -> None:
        for part in (self.threepl, getattr(self.edi, "service", None)):
            close: Callable[[], None] | None = getattr(part, "close", None)
            if close is not None:
                close()


def build_order_flow(config: HubConfig, store: Store | None = None, *, run_id: str = "orders") -> OrderFlow:
    store = store or Store(config.database_url)
    erp = _port(config, _system_by_role(config, "erp"), "orders")
    shop = _port(config, config.orders.shop_system, "orders")
    mailer = build_mailer(config, store)
    threepl = None
    if config.threepl.mailbox is not None:
        from connectors.threepl import ThreePLConnector

        mailbox, _ = open_mailbox(config, config.threepl.mailbox, key="threepl.mailbox")
        threepl = ThreePLConnector(mailbox, warehouse=config.threepl.warehouses[0], outbox=config.threepl.outbox,
                                   inbox=config.threepl.inbox)  # fmt: skip
    edi = None
    from hub.edi.service import EdiService

    if EdiService.partners_of(config):
        from hub.edi.notify import EdiNotifier

        edi = EdiNotifier(EdiService(config, store))
    crm = None
    crm_system = _system_by_role(config, "crm")
    if crm_system is not None and config.systems[crm_system].connector == "hubspot":
        from connectors import resource_for
        from connectors.hubspot.deals import deals_for

        crm = deals_for(resource_for(config, crm_system, dagster=False))
    return OrderFlow(config, store, run_id, erp, shop, mailer, threepl, edi, crm)
