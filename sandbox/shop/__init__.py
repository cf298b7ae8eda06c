"""Shopify Admin REST stand-in: products, inventory, customers, orders, fulfilments, webhooks."""

from __future__ import annotations

from sandbox.shop.app import create_app
from sandbox.shop.webhooks import sign

__all__ = ["create_app", "sign"]
