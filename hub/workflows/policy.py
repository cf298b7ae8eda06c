"""The ``orders:`` section of hub.yaml: the order-to-cash policies, typed and checked at load time.

Kept apart from ``hub.config`` so the workflow modules and their tests can build a policy without a
whole hub.yaml; ``HubConfig.orders`` is this model.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApprovalPolicy(_Strict):
    total_above: Decimal | None = Field(
        default=None,
        ge=0,
        description="Orders whose total is above this amount (in the order's currency) wait for approval; "
        "null: no threshold.",
    )
    credit_hold: bool = Field(
        default=True, description="Orders of a customer on credit hold wait for approval."
    )
    credit_limit: bool = Field(
        default=True,
        description="Orders that take the customer's open order value above its credit limit wait for approval.",
    )
    approver_email: str | None = Field(
        default=None, description="Who is e-mailed when an order waits for approval (null: nobody)."
    )


class AllocationPolicy(_Strict):
    rule: Literal["priority", "most_stock", "split"] = Field(
        default="priority",
        description="priority: the first warehouse in `warehouses` that has the whole line; most_stock: the "
        "warehouse with the most stock; split: fill from several warehouses in priority order.",
    )
    warehouses: list[str] = Field(
        default_factory=list,
        description="Warehouse codes in order of preference; warehouses not listed come after, most stock first.",
    )


class WebhookPolicy(_Strict):
    secret: Any = Field(
        default=None, description="Shared secret the shop signs webhooks with: {env: NAME} (never plain)."
    )
    max_age_seconds: float = Field(
        default=900,
        ge=0,
        description="Refuse deliveries whose X-Shopify-Triggered-At is older than this (0: no check); "
        "polling picks up anything refused.",
    )
    host: str = Field(default="127.0.0.1", description="Address `hub orders receive` listens on.")
    port: int = Field(default=8085, ge=1, le=65535, description="Port `hub orders receive` listens on.")
    path: str = Field(default="/webhooks/shop", description="URL path the shop posts to.")


class SmtpPolicy(_Strict):
    host: str = Field(description="SMTP server.")
    port: int = Field(default=25, description="SMTP port.")
    sender: str = Field(description="From address of approval mails.")
    username: Any = Field(default=None, description="SMTP user, plain or {env: NAME}.")
    password: Any = Field(default=None, description="SMTP password: {env: NAME}.")
    starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS.")


class OrdersConfig(_Strict):
    shop_system: str = Field(default="shop", description="System name of the shop in hub.yaml `systems`.")
    unknown_customer: Literal["hold", "create"] = Field(
        default="hold",
        description="An order from an account the hub does not know: hold it (on_hold), or create the "
        "customer from the order and go on.",
    )
    new_customer_prefix: str = Field(
        default="WEB",
        min_length=1,
        max_length=8,
        description="Account number prefix for customers created from orders that carry none.",
    )
    price_tolerance_pct: Decimal = Field(
        default=Decimal("1.0"),
        ge=0,
        description="A line's price may differ from the ERP price by at most this percentage.",
    )
    approval: ApprovalPolicy = Field(default_factory=ApprovalPolicy)
    allocation: AllocationPolicy = Field(default_factory=AllocationPolicy)
    webhook: WebhookPolicy = Field(default_factory=WebhookPolicy)
    smtp: SmtpPolicy | None = Field(
        default=None, description="Mail server for approval mails (default: the alerts e-mail server)."
    )
    batch_size: int = Field(default=100, ge=1, le=10_000, description="Inbox events processed per batch.")
    max_attempts: int = Field(
        default=5, ge=1, description="Tries of an inbox event on retriable faults before it fails."
    )
    retry_delay_seconds: float = Field(
        default=30.0,
        ge=0,
        description="Wait before an event that met a retriable fault is tried again (doubles per attempt).",
    )
