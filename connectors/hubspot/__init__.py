"""HubSpot CRM v3: customers (companies with contacts) read by search, written by batch upsert."""

from __future__ import annotations

from connectors.hubspot.connector import HubSpotConnector
from connectors.hubspot.resource import HubSpotResource

RESOURCE = HubSpotResource

__all__ = ["RESOURCE", "HubSpotConnector", "HubSpotResource"]
