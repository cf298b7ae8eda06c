"""Alerts to ops: rules that notice trouble, sinks that deliver it (SMTP, JSON webhook), de-duplication."""

from __future__ import annotations

from hub.alerts.manager import Alert, AlertManager
from hub.alerts.rules import AlertRules, low_stock_levels

__all__ = ["Alert", "AlertManager", "AlertRules", "low_stock_levels"]
