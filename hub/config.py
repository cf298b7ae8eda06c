"""hub.yaml: the systems, their connections and the hub's settings. Checked at load time.

Secrets are never written in the file: a setting ``{env: NAME}`` names the environment variable
that holds it (Dagster resolves it as ``dg.EnvVar``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.mapping.yamlsource import load_yaml
from hub.privacy import PrivacyConfig, install_from_config
from hub.workflows.policy import OrdersConfig
from hub.workflows.quotes import QuotesPolicy
from hub.workflows.returns_policy import ReturnsPolicy

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SystemConfig(_Strict):
    connector: str = Field(
        description="Connector type: a folder name under connectors/ (files, shopify, ...)."
    )
    title: str | None = Field(default=None, description="Human name shown in reports and the Dagster UI.")
    role: str | None = Field(default=None, description="shop, erp, crm, pim, 3pl or edi.")
    settings: dict[str, Any] = Field(
        default_factory=dict, description="Connector settings; secrets as {env: NAME}."
    )


class StoreConfig(_Strict):
    url: str | None = Field(default=None, description="SQLAlchemy URL; HUB_DATABASE_URL overrides it.")


class OpenLineageConfig(_Strict):
    file: str | None = Field(
        default="var/openlineage/events.jsonl", description="JSON Lines file of run events (None: no file)."
    )
    url: str | None = Field(
        default=None, description="HTTP endpoint for run events, e.g. Marquez /api/v1/lineage."
    )
    api_key: Any = Field(default=None, description="Bearer token for the endpoint: {env: NAME}.")
    namespace: str = Field(default="commerce-hub", description="OpenLineage job namespace.")


class EmailSinkConfig(_Strict):
    host: str = Field(description="SMTP server.")
    port: int = Field(default=25, description="SMTP port.")
    sender: str = Field(description="From address.")
    to: list[str] = Field(description="Recipients.")
    username: Any = Field(default=None, description="SMTP user, plain or {env: NAME}.")
    password: Any = Field(default=None, description="SMTP password: {env: NAME}.")
    starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS.")


class WebhookSinkConfig(_Strict):
    url: Any = Field(description="Webhook URL (Slack incoming webhooks work), plain or {env: NAME}.")


class AlertsConfig(_Strict):
    email: EmailSinkConfig | None = None
    webhook: WebhookSinkConfig | None = None
    dedupe_minutes: float = Field(
        default=60, ge=0, description="The same alert is sent at most once per window."
    )
    failure_rate_pct: float = Field(
        default=5.0, ge=0, description="Alert when a step rejects more than this share."
    )
    failure_rate_min_records: int = Field(default=20, ge=1, description="... of at least this many records.")
    low_stock: bool = Field(
        default=True, description="Alert when available stock falls below its reorder point."
    )


class SchedulesConfig(_Strict):
    running: bool = Field(
        default=False,
        description="Start schedules and sensors switched on (HUB_SCHEDULES_RUNNING=1 overrides).",
    )
    cron: dict[str, str] = Field(default_factory=dict, description="entity -> cron, overriding the defaults.")
    retry_cron: str = Field(default="*/15 * * * *", description="When the retriable failures are retried.")

    @property
    def switched_on(self) -> bool:
        return self.running or os.environ.get("HUB_SCHEDULES_RUNNING") == "1"


class MailboxConfig(_Strict):
    folder: str | None = Field(
        default=None, description="A local folder as the mailbox (demo and tests) instead of SFTP."
    )
    sftp: dict[str, Any] | None = Field(
        default=None,
        description="SFTP settings (host, port, user, key_path, password, host_key, root; see docs/sftp.md); "
        "for a partner, overrides of its profile's sftp block. Secrets as {env: NAME}.",
    )


EdiMailboxConfig = MailboxConfig


class ThreePLConfig(_Strict):
    warehouses: list[str] = Field(
        default_factory=lambda: ["3PL1"],
        min_length=1,
        description="The hub's codes of the warehouses the 3PL runs.",
    )
    mailbox: MailboxConfig | None = Field(default=None, description="Where the 3PL's files are exchanged.")
    outbox: str = Field(default="to_3pl", description="Folder our requests go to.")
    inbox: str = Field(default="from_3pl", description="Folder the 3PL's confirmations come from.")
    sensor_interval_s: int = Field(default=5, ge=1, description="How often the 3PL inbox sensor looks.")


class EdiConfig(_Strict):
    partners: str | None = Field(
        default=None, description="Folder of partner profiles; default <mappings>/partners."
    )
    mailboxes: dict[str, EdiMailboxConfig] = Field(
        default_factory=dict, description="partner -> its mailbox, overriding the profile's sftp block."
    )
    sensor_interval_s: int = Field(default=5, ge=1, description="How often the inbox sensors look.")
    overdue_cron: str = Field(default="*/15 * * * *", description="When overdue 997s are checked.")
    inventory_cron: str = Field(default="0 6 * * *", description="When each partner's 846 goes out.")
    gs1_company_prefix: str = Field(
        default="0614141",
        pattern=r"^\d{6,10}$",
        description="Our GS1 company prefix, for the SSCC-18 labels of the 856 (0614141 is GS1's example).",
    )


class HubConfig(_Strict):
    store: StoreConfig = Field(default_factory=StoreConfig)
    mappings: str = Field(default="mappings", description="Folder of <entity>.yaml mapping files.")
    entities: list[str] | None = Field(
        default=None, description="Entities this hub syncs (default: every mapping file in the folder)."
    )
    batch_size: int = Field(default=1000, ge=1, le=100_000)
    systems: dict[str, SystemConfig]
    openlineage: OpenLineageConfig = Field(default_factory=OpenLineageConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    schedules: SchedulesConfig = Field(default_factory=SchedulesConfig)
    orders: OrdersConfig = Field(default_factory=OrdersConfig)
    edi: EdiConfig = Field(default_factory=EdiConfig)
    threepl: ThreePLConfig = Field(default_factory=ThreePLConfig)
    returns: ReturnsPolicy = Field(default_factory=ReturnsPolicy)
    quotes: QuotesPolicy = Field(default_factory=QuotesPolicy)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    base_dir: Path = Field(default=PROJECT_ROOT, exclude=True)
    file: Path | None = Field(default=None, exclude=True)

    def path(self, value: str | Path) -> Path:
        """A path from the config, relative to the config file's folder."""
        candidate = Path(value)
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    @property
    def mappings_dir(self) -> Path:
        return self.path(self.mappings)

    @property
    def partners_dir(self) -> Path:
        return self.path(self.edi.partners) if self.edi.partners else self.mappings_dir / "partners"

    @property
    def database_url(self) -> str:
        url = os.environ.get("HUB_DATABASE_URL") or self.store.url
        if url:
            return url.replace("{base_dir}", str(self.base_dir))
        return f"sqlite:///{self.base_dir / 'var' / 'hub.db'}"


def config_path(explicit: str | Path | None = None) -> Path:
    """The config file: the argument, else $HUB_CONFIG, else ./hub.yaml, else the project's embedded default."""
    if explicit:
        return Path(explicit)
    if os.environ.get("HUB_CONFIG"):
        return Path(os.environ["HUB_CONFIG"])
    local = Path.cwd() / "hub.yaml"
    return local if local.exists() else PROJECT_ROOT / "hub.yaml"


def load_config(path: str | Path | None = None) -> HubConfig:
    file = config_path(path).resolve()
    doc = load_yaml(file)
    if not isinstance(doc.data, dict):
        raise doc.error("hub.yaml must be a YAML mapping")
    config: HubConfig = doc.parse(HubConfig)
    config.base_dir = file.parent
    config.file = file
    for name, system in config.systems.items():
        for key, value in system.settings.items():
            if isinstance(value, dict) and set(value) != {"env"}:
                raise doc.error(
                    "a setting is a plain value or {env: VARIABLE}", ("systems", name, "settings", key)
                )
    _check_privacy(doc, config)
    install_from_config(config)  # PII masking of audit events and reports (hub/privacy.py)
    return config


def _check_privacy(doc: Any, config: HubConfig) -> None:
    """Masked paths name fields of the canonical models; the HMAC key is never written in the file."""
    from hub.models import ENTITIES

    settings = config.privacy
    if (
        settings.mode == "hash"
        and settings.mask
        and not (isinstance(settings.key, dict) and set(settings.key) == {"env"})
    ):
        raise doc.error("privacy.key must be {env: VARIABLE} (the HMAC key of mode hash)", ("privacy", "key"))
    for entity, fields in settings.mask.items():
        if entity not in ENTITIES:
            raise doc.error(f"unknown entity '{entity}'", ("privacy", "mask", entity))
        model = ENTITIES[entity].model
        for index, path in enumerate(fields):
            if path.split(".")[0] not in model.model_fields:
                raise doc.error(
                    f"'{path}' is not a field of {model.__name__}", ("privacy", "mask", entity, index)
                )


def resolve_setting(value: Any) -> Any:
    """Plain value as is; ``{env: NAME}`` -> the variable's value (outside Dagster)."""
    if isinstance(value, dict) and "env" in value:
        return os.environ.get(str(value["env"]))
    return value
