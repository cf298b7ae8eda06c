"""Observers of sync steps: OpenLineage export and alert rules listen here, the engine stays unaware.

The CLI and the Dagster code location install them from hub.yaml (``install_from_config``); tests
and library users may add their own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from hub.engine.stats import SyncStats, utcnow


class StepObserver(Protocol):
    def step_started(self, stats: SyncStats, run_id: str) -> None: ...

    def step_finished(self, stats: SyncStats, run_id: str, error: BaseException | None) -> None: ...


_observers: list[StepObserver] = []


def add_observer(observer: StepObserver) -> None:
    _observers.append(observer)


def clear_observers() -> None:
    _observers.clear()


def observers() -> tuple[StepObserver, ...]:
    return tuple(_observers)


def started(stats: SyncStats, run_id: str) -> None:
    for observer in _observers:
        _safely(observer.step_started, stats, run_id)


def finished(stats: SyncStats, run_id: str, error: BaseException | None = None) -> None:
    for observer in _observers:
        _safely(observer.step_finished, stats, run_id, error)


@contextmanager
def step(stats: SyncStats, run_id: str) -> Iterator[None]:
    """Wrap one sync step: observers hear its start and its end (with the error, if it raised)."""
    started(stats, run_id)
    try:
        yield
    except BaseException as exc:
        finished(stats, run_id, exc)
        raise
    stats.finished_at = utcnow()
    finished(stats, run_id)


def _safely(call: object, *args: object) -> None:
    """An observer's own failure (a lineage endpoint down) must never fail the sync."""
    try:
        call(*args)  # type: ignore[operator]
    except Exception:
        logging.getLogger("hub.observers").warning("observer %r failed", call, exc_info=True)


def install_from_config(config: object) -> None:
    """Replace the observers with those hub.yaml asks for (OpenLineage, alert rules)."""
    from hub.config import HubConfig, resolve_setting
    from hub.lineage.openlineage import OpenLineageEmitter

    assert isinstance(config, HubConfig)
    clear_observers()
    add_observer(alert_rules(config))
    lineage = config.openlineage
    if lineage.file or lineage.url:
        add_observer(
            OpenLineageEmitter(
                file=config.path(lineage.file) if lineage.file else None,
                url=lineage.url,
                namespace=lineage.namespace,
                api_key=resolve_setting(lineage.api_key),
            )
        )


def alert_rules(config: object) -> StepObserver:
    """The alert rules with the sinks hub.yaml configures (none: alerts are only recorded)."""
    from datetime import timedelta

    from hub.alerts import AlertManager, AlertRules
    from hub.alerts.sinks import EmailSink, WebhookSink
    from hub.config import HubConfig, resolve_setting
    from hub.store import Store

    assert isinstance(config, HubConfig)
    settings = config.alerts
    sinks: list = []
    if settings.email:
        e = settings.email
        sinks.append(
            EmailSink(
                host=e.host,
                port=e.port,
                sender=e.sender,
                to=e.to,
                starttls=e.starttls,
                username=resolve_setting(e.username),
                password=resolve_setting(e.password),
            )
        )
    if settings.webhook:
        sinks.append(WebhookSink(url=str(resolve_setting(settings.webhook.url))))
    manager = AlertManager(Store(config.database_url), sinks, timedelta(minutes=settings.dedupe_minutes))
    return AlertRules(
        manager,
        failure_rate_pct=settings.failure_rate_pct,
        min_records=settings.failure_rate_min_records,
        low_stock=settings.low_stock,
    )
