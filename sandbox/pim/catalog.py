"""The PIM sandbox's catalogue model: seeded families and attributes, and Akeneo-style product validation.

Products are checked and normalised the way Akeneo does it, so a connector that works here sends what
the real service accepts: values are lists of ``{"locale", "scope", "data"}``, localisable attributes need
an activated locale, metrics need a unit of their family, and a PATCH merges values per locale and scope.
Normalising (sorted values, decimals as strings with four places) makes "same data" compare equal, so
``updated`` moves only on real changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

LOCALES = ("en_US", "fr_FR", "de_DE")
CHANNELS = ("ecommerce", "print")
WEIGHT_UNITS = ("MILLIGRAM", "GRAM", "KILOGRAM", "TON", "OUNCE", "POUND")
CATEGORIES = ("master", "fasteners", "tools", "safety", "electrical", "plumbing", "packaging", "clearance")

ATTRIBUTES: list[dict[str, Any]] = [
    {"code": "sku", "type": "pim_catalog_identifier", "group": "general", "unique": True},
    {
        "code": "name",
        "type": "pim_catalog_text",
        "group": "marketing",
        "localizable": True,
        "max_characters": 255,
    },
    {
        "code": "description",
        "type": "pim_catalog_textarea",
        "group": "marketing",
        "localizable": True,
        "scopable": True,
    },
    {"code": "brand", "type": "pim_catalog_text", "group": "marketing"},
    {
        "code": "ean",
        "type": "pim_catalog_text",
        "group": "general",
        "unique": True,
        "validation_rule": "regexp",
        "validation_regexp": "^[0-9]{8,14}$",
    },
    {
        "code": "weight",
        "type": "pim_catalog_metric",
        "group": "technical",
        "metric_family": "Weight",
        "default_metric_unit": "KILOGRAM",
        "decimals_allowed": True,
        "negative_allowed": False,
    },
    {"code": "material", "type": "pim_catalog_text", "group": "technical"},
    {
        "code": "pack_size",
        "type": "pim_catalog_number",
        "group": "technical",
        "decimals_allowed": False,
        "negative_allowed": False,
    },
    # Media links as a list of URLs: a stand-in for Akeneo asset collections, whose data is a list too.
    {"code": "images", "type": "pim_catalog_text_collection", "group": "media"},
]

FAMILY_CODES = ("fasteners", "tools", "safety", "electrical", "plumbing", "packaging")


def seed_attributes() -> list[dict[str, Any]]:
    out = []
    for spec in ATTRIBUTES:
        attr = {"localizable": False, "scopable": False, "unique": False, **spec}
        attr.setdefault("labels", {"en_US": spec["code"].replace("_", " ").capitalize()})
        attr.setdefault("sort_order", len(out))
        out.append(attr)
    return out


def seed_families() -> list[dict[str, Any]]:
    codes = [a["code"] for a in ATTRIBUTES]
    return [
        {
            "code": code,
            "attributes": codes,
            "attribute_as_label": "name",
            "attribute_as_image": None,
            "attribute_requirements": {"ecommerce": ["sku", "name"], "print": ["sku"]},
            "labels": {"en_US": code.capitalize()},
        }
        for code in FAMILY_CODES
    ]


TOP_FIELDS = {"identifier", "family", "categories", "groups", "enabled", "values", "parent"}
IGNORED_FIELDS = {
    "uuid",
    "created",
    "updated",
    "_links",
    "associations",
    "quantified_associations",
    "metadata",
}


@dataclass
class Catalog:
    """Families and attributes as they are in the store right now."""

    attributes: dict[str, dict[str, Any]]
    families: dict[str, dict[str, Any]]


@dataclass
class Problems:
    """Validation errors in Akeneo's ``errors`` shape."""

    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, prop: str, message: str, **where: Any) -> None:
        self.errors.append({"property": prop, "message": message, **where})


def new_product(identifier: str) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "enabled": True,
        "family": None,
        "categories": [],
        "groups": [],
        "parent": None,
        "values": {},
    }


def merge(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Akeneo PATCH: top-level fields replace, values merge per (attribute, locale, scope); null data removes."""
    out = {k: v for k, v in current.items() if k in TOP_FIELDS}
    for key, value in patch.items():
        if key == "values" and isinstance(value, dict):
            values = {code: list(entries) for code, entries in out.get("values", {}).items()}
            for code, entries in value.items():
                if not isinstance(entries, list):
                    values[code] = entries  # validated below
                    continue
                kept = values.get(code, [])
                for entry in entries:
                    where = _where(entry)
                    kept = [e for e in kept if _where(e) != where] if isinstance(kept, list) else []
                    if not isinstance(entry, dict) or entry.get("data") is not None:
                        kept.append(entry)
                values[code] = kept
            out["values"] = {code: entries for code, entries in values.items() if entries != []}
        elif key not in IGNORED_FIELDS:
            out[key] = value
    return out


def _where(entry: Any) -> tuple[Any, Any]:
    return (entry.get("locale"), entry.get("scope")) if isinstance(entry, dict) else (None, None)


def validate(product: dict[str, Any], catalog: Catalog) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A merged product -> (normalised product, errors). Errors non-empty means 422."""
    problems = Problems()
    for key in product:
        if key not in TOP_FIELDS:
            problems.add(key, f'Property "{key}" does not exist.')
    identifier = product.get("identifier")
    if not isinstance(identifier, str) or not identifier.strip():
        problems.add("identifier", "The identifier attribute cannot be empty.")
    elif len(identifier) > 255 or re.search(r"[,;\r\n]", identifier) or identifier != identifier.strip():
        problems.add("identifier", "This field should not contain any comma, semicolon or surrounding space.")
    family = product.get("family")
    # Akeneo looks codes up through MySQL's case-insensitive collation and stores the family's own code
    codes = {code.lower(): code for code in catalog.families}
    family = codes.get(family.lower(), family) if isinstance(family, str) else family
    if family is not None and family not in catalog.families:
        problems.add(
            "family",
            f'Property "family" expects a valid family code. The family does not exist, "{family}" given.',
        )
    if not isinstance(product.get("enabled"), bool):
        problems.add("enabled", 'Property "enabled" expects a boolean as data.')
    for key in ("categories", "groups"):
        items = product.get(key)
        if not isinstance(items, list) or not all(isinstance(c, str) for c in items):
            problems.add(key, f'Property "{key}" expects an array of codes.')
        elif key == "categories" and (unknown := [c for c in items if c not in CATEGORIES]):
            problems.add(
                key, f'Property "categories" expects valid category codes. Unknown: "{", ".join(unknown)}".'
            )
    values = product.get("values")
    normal_values: dict[str, list[dict[str, Any]]] = {}
    if not isinstance(values, dict):
        problems.add("values", 'Property "values" expects an object.')
    else:
        for code in sorted(values):
            entries = _values(code, values[code], catalog, problems)
            if entries:
                normal_values[code] = entries
    normal = {
        "identifier": identifier,
        "enabled": product.get("enabled"),
        "family": family,
        "categories": sorted(set(product.get("categories") or [])),
        "groups": sorted(set(product.get("groups") or [])),
        "parent": product.get("parent"),
        "values": normal_values,
    }
    return normal, problems.errors


def _values(code: str, entries: Any, catalog: Catalog, problems: Problems) -> list[dict[str, Any]]:
    attr = catalog.attributes.get(code)
    if attr is None:
        problems.add(
            "values",
            f'Property "values" expects a valid attribute code. The attribute does not exist, "{code}" given.',
            attribute=code,
        )
        return []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        problems.add("values", f'Property "values" expects an array of objects for attribute "{code}".')
        return []
    out = []
    for entry in entries:
        locale, scope = entry.get("locale"), entry.get("scope")
        where = {"attribute": code, "locale": locale, "scope": scope}
        extra = set(entry) - {"locale", "scope", "data", "_links", "linked_data"}
        if extra:
            problems.add("values", f"Unknown keys {sorted(extra)} in a value of {code}.", **where)
            continue
        if attr["localizable"] and locale not in LOCALES:
            problems.add(
                "values",
                f'Attribute "{code}" expects an existing and activated locale, "{locale}" given.',
                **where,
            )
            continue
        if not attr["localizable"] and locale is not None:
            problems.add("values", f'Attribute "{code}" does not expect a locale, "{locale}" given.', **where)
            continue
        if attr["scopable"] and scope not in CHANNELS:
            problems.add("values", f'Attribute "{code}" expects an existing scope, "{scope}" given.', **where)
            continue
        if not attr["scopable"] and scope is not None:
            problems.add("values", f'Attribute "{code}" does not expect a scope, "{scope}" given.', **where)
            continue
        data = _data(attr, entry.get("data"), problems, where)
        if data is not None:
            out.append({"locale": locale, "scope": scope, "data": data})
    return sorted(out, key=lambda e: (e["locale"] or "", e["scope"] or ""))


def _data(attr: dict[str, Any], data: Any, problems: Problems, where: dict[str, Any]) -> Any:
    """One value's data, normalised; None (with a problem added) when it is invalid."""
    kind, code = attr["type"], attr["code"]
    if data is None:
        return None
    if kind in ("pim_catalog_text", "pim_catalog_textarea", "pim_catalog_identifier"):
        limit = attr.get("max_characters") or (65535 if kind == "pim_catalog_textarea" else 255)
        if not isinstance(data, str):
            problems.add("values", f'Attribute "{code}" expects a string as data.', **where)
        elif len(data) > limit:
            problems.add(
                "values", f"This value is too long. It should have {limit} characters or less.", **where
            )
        elif attr.get("validation_regexp") and not re.fullmatch(attr["validation_regexp"], data):
            problems.add("values", "This value is not valid.", **where)
        else:
            return data
        return None
    if kind == "pim_catalog_text_collection":
        if isinstance(data, list) and all(isinstance(d, str) for d in data):
            return list(data)
        problems.add("values", f'Attribute "{code}" expects an array of strings as data.', **where)
        return None
    if kind == "pim_catalog_boolean":
        if isinstance(data, bool):
            return data
        problems.add("values", f'Attribute "{code}" expects a boolean as data.', **where)
        return None
    if kind == "pim_catalog_number":
        return _number(attr, data, problems, where)
    if kind == "pim_catalog_metric":
        if not isinstance(data, dict) or set(data) != {"amount", "unit"}:
            problems.add("values", f'Attribute "{code}" expects an object with "amount" and "unit".', **where)
            return None
        if data["unit"] not in WEIGHT_UNITS:
            problems.add("values", "Please specify a valid metric unit", **where)
            return None
        amount = _number(attr, data["amount"], problems, where)
        return None if amount is None else {"amount": str(amount), "unit": data["unit"]}
    problems.add("values", f'Attribute type "{kind}" is not supported by the sandbox.', **where)
    return None


def _number(attr: dict[str, Any], data: Any, problems: Problems, where: dict[str, Any]) -> Any:
    if isinstance(data, bool) or not isinstance(data, (int, float, str)):
        problems.add("values", f'Attribute "{attr["code"]}" expects a number as data.', **where)
        return None
    try:
        number = Decimal(str(data))
    except InvalidOperation:
        problems.add("values", "This value should be a valid number.", **where)
        return None
    if not number.is_finite():
        problems.add("values", "This value should be a valid number.", **where)
        return None
    if number < 0 and not attr.get("negative_allowed", True):
        problems.add("values", "This value should be 0 or more.", **where)
        return None
    if not attr.get("decimals_allowed", True):
        if number != number.to_integral_value():
            problems.add("values", "This value should not be a decimal.", **where)
            return None
        return int(number)
    return str(number.quantize(Decimal("0.0001")))
