"""YAML loading that remembers where every key came from, so errors can name file, line and key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from hub.errors import ConfigError

Path_ = tuple[str | int, ...]


class LocatedYaml:
    """A parsed YAML document plus the line (1-based) of every key path in it."""

    def __init__(self, file: Path, data: Any, lines: dict[Path_, int]) -> None:
        self.file, self.data, self.lines = file, data, lines

    def line_of(self, path: Path_) -> int | None:
        """Line of the longest prefix of ``path`` that exists in the document."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def error(self, message: str, path: Path_ = ()) -> ConfigError:
        key = ".".join(str(p) for p in path) or None
        return ConfigError(message, file=str(self.file), line=self.line_of(path), key=key)

    def parse(self, model: type[BaseModel], path: Path_ = ()) -> Any:
        """Validate the document (or the part at ``path``) against a pydantic model; first error wins."""
        data = self.data
        for part in path:
            data = data[part]
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = tuple(p for p in (*path, *first["loc"]) if not _is_union_tag(p))
            raise self.error(first["msg"], loc) from None


def _is_union_tag(part: str | int) -> bool:
    # pydantic adds the tag of a union member ("str", "FieldMapSpec", "function-after[...]") to error locations
    return isinstance(part, str) and (part[:1].isupper() or "[" in part or part in ("str", "int", "list"))


def load_yaml(file: Path) -> LocatedYaml:
    """Parse a YAML file; syntax errors and duplicate keys become ConfigError with the line."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read file: {exc}", file=str(file)) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(f"invalid YAML: {exc.problem or exc}", file=str(file), line=line) from None
    lines: dict[Path_, int] = {}
    if node is not None:
        _index(node, (), lines, file)
    return LocatedYaml(file, data if data is not None else {}, lines)


def _index(node: yaml.Node, path: Path_, lines: dict[Path_, int], file: Path) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise ConfigError(
                    "duplicate key",
                    file=str(file),
                    line=key_node.start_mark.line + 1,
                    key=".".join(str(p) for p in (*path, key)),
                )
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _index(value_node, (*path, key), lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index(item, (*path, index), lines, file)
