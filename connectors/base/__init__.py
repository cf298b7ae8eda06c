"""What every connector shares: the engine's connector protocol and the resource base class."""

from __future__ import annotations

from connectors.base.resource import ConnectorResource
from hub.engine.ports import Connector, OutboundRecord, ReadBatch, ReadError, WriteResult

__all__ = ["Connector", "ConnectorResource", "OutboundRecord", "ReadBatch", "ReadError", "WriteResult"]
