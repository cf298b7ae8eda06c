"""Akeneo product values <-> one locale and channel's plain values (the optional ``flat`` record shape).

Akeneo keeps every attribute as a list of ``{"locale", "scope", "data"}``; a hub mapping wants one
value per field. Flattening picks, per attribute, the entry for the configured locale and channel
(falling back to the non-localisable / non-scopable entry) and keeps its ``data``. Lifting goes back,
using the attribute definitions to know which attributes need a locale or a scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def flatten(values: Mapping[str, Any], locale: str, channel: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code, entries in values.items():
        best = pick(entries, locale, channel)
        if best is not None:
            out[code] = best.get("data")
    return out


def pick(entries: Any, locale: str, channel: str) -> dict[str, Any] | None:
    """The entry for ``locale``/``channel``; exact matches win over locale- or scope-less ones."""
    best, best_rank = None, -1
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        entry_locale, entry_scope = entry.get("locale"), entry.get("scope")
        if entry_locale not in (None, locale) or entry_scope not in (None, channel):
            continue
        rank = (entry_locale == locale) + (entry_scope == channel)
        if rank > best_rank:
            best, best_rank = entry, rank
    return best


def is_akeneo(data: Any) -> bool:
    """A value already in Akeneo's shape: a list of objects each with ``data``."""
    return isinstance(data, list) and bool(data) and all(isinstance(e, dict) and "data" in e for e in data)


def lift(
    values: Mapping[str, Any], attributes: Mapping[str, Mapping[str, Any]], locale: str, channel: str
) -> dict[str, Any]:
    """Plain values -> Akeneo values for ``locale``/``channel``; values already in Akeneo shape pass."""
    out: dict[str, Any] = {}
    for code, data in values.items():
        if is_akeneo(data):
            out[code] = data
            continue
        attr = attributes.get(code, {})
        out[code] = [
            {
                "locale": locale if attr.get("localizable") else None,
                "scope": channel if attr.get("scopable") else None,
                "data": data,
            }
        ]
    return out
