"""The schema every `mappings/<entity>.yaml` file is checked against at load time.

A field map is either a plain string (the dot path in the system's record) or an object with a
path, transforms, a constant, a default or, for lists of objects, an ``each`` map of sub-fields.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


TransformSpec = str | dict[str, Any]


class FieldMapSpec(Strict):
    path: str | None = Field(default=None, description="Dot path in the system's record; digits index lists.")
    transforms: list[TransformSpec] = Field(default_factory=list)
    const: Any = Field(default=None, description="A constant value instead of a path.")
    default: Any = Field(default=None, description="Value used inbound when the path is missing or empty.")
    each: dict[str, FieldMapSpec | str] | None = Field(
        default=None, description="For a list of objects: sub-field maps applied to every item."
    )
    direction: Literal["both", "in", "out"] = "both"
    join: str | None = Field(
        default=None,
        description="Outbound: add the value to what another field already put at this path, with this "
        "separator, instead of replacing it (e.g. the segment as one of the shop's tags).",
    )

    @model_validator(mode="after")
    def _path_or_const(self) -> FieldMapSpec:
        if self.path is None and self.const is None:
            raise ValueError("a field map needs 'path' or 'const'")
        return self


class MintKeySpec(Strict):
    format: str = Field(description="Python format with the sequence number as {n}, e.g. 'W{n:05d}'.")
    start: int = Field(default=1, ge=0, description="The first number handed out.")

    @model_validator(mode="after")
    def _has_n(self) -> MintKeySpec:
        try:
            first, second = self.format.format(n=1), self.format.format(n=2)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"format must use only {{n}}: {exc}") from None
        if first == second:
            raise ValueError("format must contain {n}")
        return self


class SystemMapSpec(Strict):
    read: bool = Field(default=True, description="The hub ingests this entity from the system.")
    write: bool = Field(default=False, description="The hub publishes this entity to the system.")
    creates: bool = Field(default=True, description="Records from this system may create golden records.")
    id: str | None = Field(default=None, description="Dot path of the system's own record id.")
    mint_key: MintKeySpec | None = Field(
        default=None,
        description="A record from this system without a natural key gets one from the hub's sequence "
        "(e.g. accounts registered in the shop); the system's id keeps it on later reads.",
    )
    fields: dict[str, FieldMapSpec | str]


class DefaultSpec(Strict):
    """A value the golden record gets when no system has supplied the field (e.g. payment terms for a
    new account, by segment); the owner's value always replaces it."""

    value: Any = Field(default=None, description="The default, or the fallback when 'from' maps nothing.")
    from_: str | None = Field(
        default=None, alias="from", description="Top-level field the default depends on."
    )
    map: str | None = Field(default=None, description="value_maps entry: value of 'from' -> default.")

    @model_validator(mode="after")
    def _something(self) -> DefaultSpec:
        if self.value is None and self.map is None:
            raise ValueError("a default needs 'value' or 'from' with 'map'")
        if (self.from_ is None) != (self.map is None):
            raise ValueError("'from' and 'map' go together")
        return self


class GroupSpec(Strict):
    owner: str
    fields: list[str]


class OwnershipSpec(Strict):
    default: str = Field(description="System of record for every field not named below.")
    groups: dict[str, GroupSpec] = Field(default_factory=dict)
    fields: dict[str, str] = Field(default_factory=dict, description="field -> owning system")
    fill_empty: bool = Field(
        default=True, description="A non-owner may fill a field the golden record does not have yet."
    )


class RuleSpec(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    kind: Literal["required", "pattern", "range", "enum", "unique", "reference", "custom"]
    field: str
    severity: Literal["error", "warning"] = "error"
    blocking: bool = Field(default=False, description="A failing check stops publishing downstream.")
    message: str | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    values: list[Any] | None = None
    entity: str | None = Field(
        default=None, description="For 'reference': the entity the value must exist in."
    )
    function: str | None = Field(default=None, description="For 'custom': dotted path 'module:function'.")

    @model_validator(mode="after")
    def _arguments(self) -> RuleSpec:
        needed = {"pattern": "pattern", "enum": "values", "reference": "entity", "custom": "function"}
        arg = needed.get(self.kind)
        if arg and getattr(self, arg) is None:
            raise ValueError(f"rule kind '{self.kind}' needs '{arg}'")
        if self.blocking and self.severity != "error":
            raise ValueError("only error rules can be blocking")
        if self.kind == "range" and self.min is None and self.max is None:
            raise ValueError("rule kind 'range' needs 'min' or 'max'")
        return self


class MappingFileSpec(Strict):
    entity: str
    description: str | None = None
    owners: OwnershipSpec
    systems: dict[str, SystemMapSpec]
    value_maps: dict[str, dict[str, Any]] = Field(default_factory=dict)
    defaults: dict[str, DefaultSpec] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)
