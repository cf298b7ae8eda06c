"""Validation rules: kinds implemented once, declared per entity in mappings, evaluated a batch at a time."""

from __future__ import annotations

from hub.validation.rules import KeyLookup, Violation, evaluate, field_values

__all__ = ["KeyLookup", "Violation", "evaluate", "field_values"]
