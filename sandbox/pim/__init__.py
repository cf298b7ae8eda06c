"""PIM stand-in speaking Akeneo's REST dialect (OAuth2, products, families, attributes, collection PATCH)."""

from __future__ import annotations

from sandbox.pim.app import create_app

__all__ = ["create_app"]
