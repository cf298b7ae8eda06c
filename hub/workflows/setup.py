"""Builds the order workflow's parts from hub.yaml: translators, the mailer, the processor, the receiver."""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette

from hub.config import HubConfig, resolve_setting
from hub.errors import ConfigError
from hub.mapping import Translator, load_mapping_file
from hub.models import Order
from hub.store import Store
from hub.workflows.followups import NextStep, NextSteps
from hub.workflows.mailer import SmtpMailer
from hub.workflows.ports import ErpOrders, Mailer
from hub.workflows.processor import OrderProcessor
from hub.workflows.webhooks import create_webhook_app


def order_translators(config: HubConfig) -> dict[str, Translator]:
    """The inbound order translators of mappings/order.yaml, by system (the shop's is what intake uses)."""
    file = config.mappings_dir / "order.yaml"
    if not file.exists():
        raise ConfigError("order intake needs the order mapping", file=str(file))
    mapping = load_mapping_file(file, set(config.systems))
    return {name: sm.translator for name, sm in mapping.systems.items() if sm.read}


def build_mailer(config: HubConfig, store: Store) -> SmtpMailer | None:
    """SMTP from ``orders.smtp``, else the alerts e-mail server; None when neither is configured."""
    server = config.orders.smtp or config.alerts.email
    if server is None:
        return None
    return SmtpMailer(
        store,
        host=server.host,
        port=server.port,
        sender=server.sender,
        username=resolve_setting(server.username),
        password=resolve_setting(server.password),
        starttls=server.starttls,
    )


def build_processor(
    config: HubConfig,
    store: Store,
    *,
    erp: ErpOrders | None = None,
    mailer: Mailer | None = None,
    next_step: NextStep | None = None,
    run_id: str | None = None,
    quote: Callable[[Order], str | None] | None = None,
    next_many: NextSteps | None = None,
) -> OrderProcessor:
    return OrderProcessor(
        store,
        config.orders,
        translators=order_translators(config),
        erp=erp,
        mailer=mailer if mailer is not None else build_mailer(config, store),
        next_step=next_step,
        run_id=run_id,
        quote=quote,
        next_many=next_many,
    )


def webhook_secret(config: HubConfig) -> str:
    value = config.orders.webhook.secret
    if isinstance(value, str) and value:
        raise ConfigError(
            "the webhook secret must come from the environment: {env: NAME}",
            file=str(config.file) if config.file else None,
            key="orders.webhook.secret",
        )
    secret = resolve_setting(value)
    if not secret:
        where = f"${value['env']}" if isinstance(value, dict) and "env" in value else "orders.webhook.secret"
        raise ConfigError(
            f"no webhook secret: set {where}",
            file=str(config.file) if config.file else None,
            key="orders.webhook.secret",
        )
    return str(secret)


def build_webhook_app(config: HubConfig, store: Store) -> Starlette:
    hook = config.orders.webhook
    return create_webhook_app(
        store,
        webhook_secret(config),
        system=config.orders.shop_system,
        path=hook.path,
        max_age_seconds=hook.max_age_seconds,
    )
