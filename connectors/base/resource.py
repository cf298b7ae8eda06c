"""Base of every connector's Dagster resource: typed, described settings that build a client."""

from __future__ import annotations

import dagster as dg

from hub.engine.ports import Connector


class ConnectorResource(dg.ConfigurableResource):
    """A system connection. ``connector(system)`` returns the plain-Python client the engine uses."""

    def connector(self, system: str) -> Connector:
        raise NotImplementedError
