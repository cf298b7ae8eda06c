"""Dagster schedules (and, later, sensors) that start the sync jobs of pipelines/."""

from __future__ import annotations

from schedules.definitions import DEFAULT_CRON, HOURLY, build_schedules

__all__ = ["DEFAULT_CRON", "HOURLY", "build_schedules"]
