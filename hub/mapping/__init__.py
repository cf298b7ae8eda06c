"""Declarative mappings: which system owns which field, how records translate, which rules apply."""

from __future__ import annotations

from hub.mapping.loader import EntityMapping, MappingSet, SystemMapping, load_mapping_file, load_mappings
from hub.mapping.translate import Translator

__all__ = ["EntityMapping", "MappingSet", "SystemMapping", "Translator", "load_mapping_file", "load_mappings"]
