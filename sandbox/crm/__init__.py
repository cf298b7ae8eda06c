"""HubSpot CRM v3-style sandbox: companies, contacts, deals, search, batch upsert, associations, rate limit."""

from __future__ import annotations

from sandbox.crm.app import create_app

__all__ = ["create_app"]
