"""Akeneo PIM (REST API v1): products with families and localised values, OAuth2, collection PATCH."""

from __future__ import annotations

from connectors.akeneo.client import AkeneoClient
from connectors.akeneo.connector import AkeneoConnector
from connectors.akeneo.resource import AkeneoResource

RESOURCE = AkeneoResource

__all__ = ["RESOURCE", "AkeneoClient", "AkeneoConnector", "AkeneoResource"]
