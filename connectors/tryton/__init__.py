"""Tryton ERP over JSON-RPC: products, customers (parties) and stock levels."""

from __future__ import annotations

from connectors.tryton.client import TrytonClient, TrytonRPCError
from connectors.tryton.connector import TrytonConnector
from connectors.tryton.resource import TrytonResource

RESOURCE = TrytonResource

__all__ = ["RESOURCE", "TrytonClient", "TrytonConnector", "TrytonRPCError", "TrytonResource"]
