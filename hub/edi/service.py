"""The EDI flow as one object the Dagster sensors, jobs, CLI and demo share: partners, their mailboxes, the inbox
processor, overdue acknowledgments and the hand-over of 850s to the order intake."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from connectors.mailbox import RemoteFile
from connectors.x12.partners import PartnerProfile, load_partners
from connectors.x12.translate import TranslatedOrder
from hub.alerts import Alert
from hub.config import HubConfig
from hub.edi.inbox import EdiInbox, FileOutcome, OrderSink
from hub.edi.ledger import EdiLedger
from hub.edi.mailboxes import PartnerMailbox, has_mailbox, partner_mailbox
from hub.engine import codec
from hub.engine.repository import FailureRecord, Repository
from hub.engine.stats import utcnow
from hub.errors import ConfigError, RecordRejected
from hub.store import Store


def intake_sink(store: Store, run_id: str = "edi") -> OrderSink:
    """850s go to the order intake like shop orders (idempotent by partner + ISA13 + ST02); a PO whose lines
    cannot be mapped (unknown item) is kept as a failed record with the translation as its raw payload."""
    from hub.workflows.intake import enqueue

    def sink(profile: PartnerProfile, orders: list[TranslatedOrder]) -> None:
        failures = []
        for order in orders:
            try:
                canonical = order.canonical()
            except RecordRejected as exc:
                failures.append(
                    FailureRecord(
                        run_id,
                        "order",
                        order.order.get("order_no"),
                        profile.partner,
                        "translate",
                        "edi_crosswalk",
                        exc.field,
                        exc.message,
                        exc.raw,
                    )
                )
                continue
            control = order.control
            # the translation's keys (interchange/group/transaction): with others every 850 after a partner's
            # first had the same key and was dropped as its duplicate
            key = (
                f"edi:{profile.partner}:{control.get('interchange', '')}:{control.get('group', '')}:"
                f"{control.get('transaction', '')}"
            )
            enqueue(store, profile.partner, "api", codec.dumps(canonical), format="canonical", dedupe_key=key)
        if failures:
            with store.begin() as conn:
                Repository(store).record_failures(conn, failures, utcnow())

    return sink


class EdiService:
    def __init__(
        self,
        config: HubConfig,
        store: Store | None = None,
        *,
        orders: OrderSink | None = None,
        alert: Callable[[Alert], object] | None = None,
    ) -> None:
        self.config = config
        self.store = store or Store(config.database_url)
        self.profiles: dict[str, PartnerProfile] = load_partners(config.partners_dir)
        for partner in config.edi.mailboxes:
            if partner not in self.profiles:
                raise ConfigError(
                    f"no partner profile '{partner}' in {config.partners_dir}",
                    file=str(config.file) if config.file else None,
                    key=f"edi.mailboxes.{partner}",
                )
        self.orders = orders or intake_sink(self.store)
        if alert is None:
            from hub.engine.observers import alert_rules

            manager = alert_rules(config).manager  # type: ignore[attr-defined]
            alert = manager.raise_alert
        self.alert = alert
        self.ledger = EdiLedger(self.store)
        self._boxes: dict[str, PartnerMailbox] = {}

    def partners(self) -> list[str]:
        """Partners that have a mailbox (and so an inbox sensor)."""
        return sorted(p for p, profile in self.profiles.items() if has_mailbox(self.config, profile))

    @staticmethod
    def partners_of(config: HubConfig) -> list[str]:
        """The same without opening the store (for building definitions)."""
        profiles = load_partners(config.partners_dir)
        return sorted(p for p, profile in profiles.items() if has_mailbox(config, profile))

    def mailbox(self, partner: str) -> PartnerMailbox:
        if partner not in self._boxes:
            if partner not in self.profiles:
                raise ConfigError(f"unknown partner '{partner}'", key="partner")
            self._boxes[partner] = partner_mailbox(self.config, self.profiles[partner])
        return self._boxes[partner]

    def inbox(self, partner: str) -> EdiInbox:
        return EdiInbox(
            self.store,
            self.mailbox(partner),
            profiles=self.profiles,
            orders=self.orders,
            alert=self.alert,
        )

    def pending(self, partner: str) -> list[RemoteFile]:
        box = self.mailbox(partner)
        return box.mailbox.list(box.inbox)

    def process(self, partner: str, names: list[str] | None = None) -> list[FileOutcome]:
        """Process the named files of the partner's inbox (all pending ones when None); files already moved
        away by an earlier run are skipped, so a repeated run request does nothing."""
        inbox = self.inbox(partner)
        files = inbox.pending()
        if names is not None:
            wanted = set(names)
            files = [f for f in files if f.name in wanted]
        return [inbox.process(f) for f in files]

    def check_overdue(self) -> list[dict[str, Any]]:
        """One alert per partner whose acknowledgments are overdue (de-duplicated by the alert manager)."""
        overdue = self.ledger.overdue()
        by_partner: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in overdue:
            by_partner[row["partner"]].append(row)
        for partner, rows in by_partner.items():
            listing = ", ".join(
                f"{r['set_id']} {r['reference'] or ''} (ISA13 {r['interchange']}, GS06 {r['group_control']}, "
                f"due {r['ack_due_at']:%Y-%m-%d %H:%M})"
                for r in rows[:20]
            )
            self.alert(
                Alert(
                    "overdue_997",
                    partner,
                    f"{len(rows)} EDI document(s) to {partner} without a 997",
                    f"No functional acknowledgment within the agreed window for: {listing}"
                    + (f" and {len(rows) - 20} more" if len(rows) > 20 else ""),
                )
            )
        return overdue

    def close(self) -> None:
        for box in self._boxes.values():
            box.close()
        self._boxes.clear()
