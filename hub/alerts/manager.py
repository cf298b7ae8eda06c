"""Raising an alert: the same condition (kind + subject) is sent once per de-duplication window,
counted every time, and never while silenced."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hub.alerts.sinks import Sink
from hub.engine.stats import utcnow
from hub.store import Store
from hub.store.schema import alerts

log = logging.getLogger("hub.alerts")


@dataclass(frozen=True)
class Alert:
    kind: str  # failure_rate, run_failure, low_stock, overdue_997, unknown_edi_sender
    subject: str  # what it is about: "product/pim/ingest", "SKU-1@WH1", a partner id
    title: str
    text: str
    severity: str = "warning"

    @property
    def fingerprint(self) -> str:
        return hashlib.sha1(f"{self.kind}|{self.subject}".encode()).hexdigest()[:16]


def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they were stored as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class AlertManager:
    def __init__(self, store: Store, sinks: Sequence[Sink], dedupe: timedelta = timedelta(hours=1)) -> None:
        self.store, self.sinks, self.dedupe = store, list(sinks), dedupe

    def raise_alert(self, alert: Alert) -> bool:
        """Record the alert; deliver it unless it was sent within the window or is silenced. True if sent."""
        now = utcnow()
        with self.store.begin() as conn:
            row = (
                conn.execute(sa.select(alerts).where(alerts.c.fingerprint == alert.fingerprint))
                .mappings()
                .first()
            )
            if row is None:
                conn.execute(
                    sa.insert(alerts).values(
                        fingerprint=alert.fingerprint,
                        kind=alert.kind,
                        subject=alert.subject,
                        severity=alert.severity,
                        title=alert.title,
                        text=alert.text,
                        count=1,
                        first_at=now,
                        last_at=now,
                    )
                )
                due = True
            else:
                last_sent, silenced = _aware(row["last_sent_at"]), _aware(row["silenced_until"])
                due = (last_sent is None or now - last_sent >= self.dedupe) and (
                    silenced is None or silenced <= now
                )
                conn.execute(
                    sa.update(alerts)
                    .where(alerts.c.fingerprint == alert.fingerprint)
                    .values(
                        count=alerts.c.count + 1,
                        last_at=now,
                        title=alert.title,
                        text=alert.text,
                        severity=alert.severity,
                    )
                )
        if not due:
            return False
        delivered = False
        for sink in self.sinks:
            try:
                sink.send(alert)
                delivered = True
            except Exception:  # a sink down must not fail the sync; the alert stays due for the next time
                log.warning("alert sink %s failed for %s", sink.name, alert.fingerprint, exc_info=True)
        if delivered or not self.sinks:
            with self.store.begin() as conn:
                conn.execute(
                    sa.update(alerts)
                    .where(alerts.c.fingerprint == alert.fingerprint)
                    .values(last_sent_at=now)
                )
        return delivered

    def silence(self, fingerprint: str, hours: float) -> bool:
        with self.store.begin() as conn:
            done = conn.execute(
                sa.update(alerts)
                .where(alerts.c.fingerprint == fingerprint)
                .values(silenced_until=utcnow() + timedelta(hours=hours))
            )
            return bool(done.rowcount)

    def listing(self) -> list[dict[str, Any]]:
        with self.store.begin() as conn:
            rows = conn.execute(sa.select(alerts).order_by(alerts.c.last_at.desc())).mappings().all()
        return [dict(row) for row in rows]
