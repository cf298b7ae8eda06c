"""Shopify Admin REST: products, customers, orders, inventory levels."""

from __future__ import annotations

from connectors.shopify.connector import ShopifyConnector
from connectors.shopify.resource import ShopifyResource

RESOURCE = ShopifyResource

__all__ = ["RESOURCE", "ShopifyConnector", "ShopifyResource"]
