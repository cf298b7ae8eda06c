"""Loads `mappings/*.yaml`, checks them against the schema and the canonical models, and compiles them.

Every problem is a ConfigError naming the file, the line and the key.
"""

from __future__ import annotations

import hashlib
import importlib
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from hub.errors import ConfigError
from hub.mapping import paths
from hub.mapping.defaults import FieldDefaults
from hub.mapping.schema import FieldMapSpec, MappingFileSpec, MintKeySpec, RuleSpec
from hub.mapping.transforms import build_transform
from hub.mapping.translate import CompiledField, Translator
from hub.mapping.yamlsource import LocatedYaml, load_yaml
from hub.models import ENTITIES, EntitySpec


@dataclass
class SystemMapping:
    name: str
    read: bool
    write: bool
    creates: bool
    translator: Translator
    mint_key: MintKeySpec | None = None


@dataclass
class EntityMapping:
    """Everything the engine needs for one entity: ownership, per-system translators, rules, version."""

    entity: str
    spec: EntitySpec
    file: Path
    version: str
    default_owner: str
    field_owners: dict[str, str]
    fill_empty: bool
    systems: dict[str, SystemMapping]
    rules: list[RuleSpec]
    rule_lines: dict[str, int] = field(default_factory=dict)
    description: str | None = None
    defaults: FieldDefaults | None = None

    def owner_of(self, top_field: str) -> str:
        return self.field_owners.get(top_field, self.default_owner)

    def owned_by(self, system: str) -> frozenset[str]:
        fields = set(self.spec.model.model_fields)
        return frozenset(f for f in fields if self.owner_of(f) == system)

    @property
    def sources(self) -> list[str]:
        """Systems read from, creators first (so a golden record exists before others enrich it)."""
        readers = [s for s in self.systems.values() if s.read]
        return [s.name for s in sorted(readers, key=lambda s: (not s.creates, s.name != self.default_owner))]

    @property
    def targets(self) -> list[str]:
        return [s.name for s in self.systems.values() if s.write]


class MappingSet(dict[str, EntityMapping]):
    """All loaded mappings by entity name."""

    def systems(self) -> set[str]:
        return {name for m in self.values() for name in m.systems}


def mapping_version(file: Path) -> str:
    """Short content hash of the mapping file: recorded with every audit event."""
    return hashlib.sha256(file.read_bytes()).hexdigest()[:12]


def load_mappings(
    directory: Path, known_systems: Iterable[str] | None = None, only: Iterable[str] | None = None
) -> MappingSet:
    """Load and compile every `<entity>.yaml` directly in ``directory`` (sub-folders such as partners/ are not entities)."""
    if not directory.is_dir():
        raise ConfigError("mappings folder does not exist", file=str(directory))
    known = set(known_systems) if known_systems is not None else None
    result = MappingSet()
    wanted = set(only) if only is not None else None
    for file in sorted(directory.glob("*.yaml")):
        if wanted is not None and file.stem not in wanted:
            continue  # the configuration syncs only some entities
        mapping = load_mapping_file(file, known)
        result[mapping.entity] = mapping
    return result


def load_mapping_file(file: Path, known_systems: set[str] | None = None) -> EntityMapping:
    doc = load_yaml(file)
    if not isinstance(doc.data, dict):
        raise doc.error("a mapping file must be a YAML mapping")
    spec: MappingFileSpec = doc.parse(MappingFileSpec)
    if spec.entity not in ENTITIES:
        raise doc.error(f"unknown entity '{spec.entity}'; known: {', '.join(sorted(ENTITIES))}", ("entity",))
    if file.stem != spec.entity:
        raise doc.error(f"file name must be {spec.entity}.yaml", ("entity",))
    entity = ENTITIES[spec.entity]
    model = entity.model

    def check_system(name: str, where: tuple[str | int, ...]) -> None:
        if known_systems is not None and name not in known_systems:
            raise doc.error(
                f"system '{name}' is not configured in hub.yaml ({', '.join(sorted(known_systems))})", where
            )
        if name not in spec.systems:
            raise doc.error(f"system '{name}' has no entry under 'systems'", where)

    check_system(spec.owners.default, ("owners", "default"))
    field_owners: dict[str, str] = {}
    for group_name, group in spec.owners.groups.items():
        check_system(group.owner, ("owners", "groups", group_name, "owner"))
        for index, name in enumerate(group.fields):
            _check_top_field(doc, model, name, ("owners", "groups", group_name, "fields", index))
            field_owners[name] = group.owner
    for name, owner in spec.owners.fields.items():
        _check_top_field(doc, model, name, ("owners", "fields", name))
        check_system(owner, ("owners", "fields", name))
        field_owners[name] = owner

    systems: dict[str, SystemMapping] = {}
    for name, sysmap in spec.systems.items():
        where = ("systems", name)
        if known_systems is not None and name not in known_systems:
            raise doc.error(f"system '{name}' is not configured in hub.yaml", where)
        compiled = tuple(
            _compile_field(doc, model, canonical, fmap, spec.value_maps, (*where, "fields", canonical))
            for canonical, fmap in sysmap.fields.items()
        )
        translator = Translator(name, spec.entity, compiled, paths.split(sysmap.id) if sysmap.id else None)
        if sysmap.read and sysmap.creates:
            missing = [k for k in entity.key_fields if k not in translator.supplied]
            if missing:
                raise doc.error(
                    f"a system that creates records must map the key field(s) {missing}", (*where, "fields")
                )
        if sysmap.mint_key is not None and (not sysmap.creates or len(entity.key_fields) != 1):
            raise doc.error(
                "mint_key needs a system that creates records and an entity with a one-field key",
                (*where, "mint_key"),
            )
        systems[name] = SystemMapping(
            name, sysmap.read, sysmap.write, sysmap.creates, translator, sysmap.mint_key
        )

    for name, default in spec.defaults.items():
        where = ("defaults", name)
        _check_top_field(doc, model, name, where)
        if default.from_ is not None:
            _check_top_field(doc, model, default.from_, (*where, "from"))
        if default.map is not None and default.map not in spec.value_maps:
            raise doc.error(f"unknown value map '{default.map}'", (*where, "map"))

    seen_rules: set[str] = set()
    rule_lines: dict[str, int] = {}
    for index, rule in enumerate(spec.rules):
        where = ("rules", index)
        if rule.id in seen_rules:
            raise doc.error(f"duplicate rule id '{rule.id}'", (*where, "id"))
        seen_rules.add(rule.id)
        rule_lines[rule.id] = doc.line_of(where) or 0
        _check_path(doc, model, rule.field.replace(".*", ""), (*where, "field"))
        if rule.kind == "reference" and rule.entity not in ENTITIES:
            raise doc.error(f"unknown entity '{rule.entity}'", (*where, "entity"))
        if rule.kind == "custom":
            try:
                resolve_function(rule.function or "")
            except (ImportError, AttributeError, ValueError) as exc:
                raise doc.error(f"cannot import custom rule function: {exc}", (*where, "function")) from None

    return EntityMapping(
        entity=spec.entity,
        spec=entity,
        file=file,
        version=mapping_version(file),
        default_owner=spec.owners.default,
        field_owners=field_owners,
        fill_empty=spec.owners.fill_empty,
        systems=systems,
        rules=list(spec.rules),
        rule_lines=rule_lines,
        description=spec.description,
        defaults=FieldDefaults.build(spec.defaults, spec.value_maps) if spec.defaults else None,
    )


def resolve_function(dotted: str) -> Any:
    """'package.module:function' (or 'package.module.function') -> the callable."""
    module_name, _, attr = dotted.partition(":") if ":" in dotted else dotted.rpartition(".")
    if not module_name or not attr:
        raise ValueError(f"'{dotted}' is not a dotted path to a function")
    return getattr(importlib.import_module(module_name), attr)


def _compile_field(
    doc: LocatedYaml,
    model: type[BaseModel] | None,
    canonical: str,
    fmap: FieldMapSpec | str,
    value_maps: dict[str, dict[str, Any]],
    where: tuple[str | int, ...],
) -> CompiledField:
    if isinstance(fmap, str):
        fmap = FieldMapSpec(path=fmap)
    target = _check_path(doc, model, canonical, where) if model is not None else None
    transforms = []
    for index, tspec in enumerate(fmap.transforms):
        try:
            transforms.append(build_transform(tspec, value_maps))
        except ValueError as exc:
            raise doc.error(str(exc), (*where, "transforms", index)) from None
    each = None
    if fmap.each is not None:
        item_model = _list_item_model(target)
        each = tuple(
            _compile_field(doc, item_model, sub, submap, value_maps, (*where, "each", sub))
            for sub, submap in fmap.each.items()
        )
    return CompiledField(
        canonical=canonical,
        canonical_parts=paths.split(canonical),
        system_parts=paths.split(fmap.path) if fmap.path else None,
        transforms=tuple(transforms),
        const=fmap.const,
        default=fmap.default,
        each=each,
        inbound=fmap.direction in ("both", "in"),
        outbound=fmap.direction in ("both", "out"),
        join=fmap.join,
    )


def _check_top_field(
    doc: LocatedYaml, model: type[BaseModel], name: str, where: tuple[str | int, ...]
) -> None:
    if name not in model.model_fields:
        raise doc.error(f"'{name}' is not a field of {model.__name__}", where)


def _check_path(
    doc: LocatedYaml, model: type[BaseModel] | None, dotted: str, where: tuple[str | int, ...]
) -> Any:
    """Check a canonical dot path against the model; returns the annotation at its end."""
    annotation: Any = model
    for part in dotted.split("."):
        current = _unwrap(annotation)
        if current is Any or current is dict or typing.get_origin(current) is dict:
            return Any
        if isinstance(current, type) and issubclass(current, BaseModel):
            if part not in current.model_fields:
                raise doc.error(
                    f"'{dotted}' is not a field of {model.__name__ if model else 'the item'}", where
                )
            annotation = current.model_fields[part].annotation
        else:
            raise doc.error(f"'{dotted}' goes below a plain value", where)
    return annotation


def _unwrap(annotation: Any) -> Any:
    """Optional[X] -> X; list[X] -> X; leaves everything else alone."""
    while True:
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else Any
        elif origin is list:
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation


def _list_item_model(annotation: Any) -> type[BaseModel] | None:
    item = _unwrap(annotation)
    return item if isinstance(item, type) and issubclass(item, BaseModel) else None
