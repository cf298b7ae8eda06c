"""Options, formats and loading shared by every `hub` command."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from hub.config import HubConfig, load_config
from hub.engine.ports import Connector
from hub.engine.stats import SyncStats
from hub.errors import ConfigError
from hub.mapping import EntityMapping, MappingSet, load_mappings


class Fmt(StrEnum):
    table = "table"
    json = "json"


class ListFmt(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    html = "html"


class Status(StrEnum):
    open = "open"
    retrying = "retrying"
    resolved = "resolved"
    ignored = "ignored"


ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="hub.yaml to use (default: $HUB_CONFIG or ./hub.yaml).")
]

SUMMARY_COLUMNS = SyncStats.FIELDS


def load_all(config: Path | None) -> tuple[HubConfig, MappingSet]:
    """Configuration and mappings, with the observers hub.yaml asks for (OpenLineage, alerts) installed."""
    from hub.engine.observers import install_from_config

    cfg = load_config(config)
    mappings = load_mappings(cfg.mappings_dir, cfg.systems, cfg.entities)
    install_from_config(cfg)
    return cfg, mappings


def entities(name: str, mappings: MappingSet) -> list[str]:
    from hub.engine import ENTITY_ORDER

    if name == "all":
        return [e for e in ENTITY_ORDER if e in mappings]
    if name not in mappings:
        raise ConfigError(f"no mapping for entity '{name}' (have: {', '.join(sorted(mappings))}, all)")
    return [name]


def connectors_for(config: HubConfig, mappings: Iterable[EntityMapping]) -> dict[str, Connector]:
    """A client for every system these mappings read or write (the CLI is a composition root)."""
    from connectors import build_connector

    names = sorted({s for m in mappings for s in (*m.sources, *m.targets)})
    return {name: build_connector(config, name) for name in names}
