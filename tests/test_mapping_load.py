"""A broken mapping or config file fails at load time, naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import load_config
from hub.errors import ConfigError
from hub.mapping import load_mappings
from tests.conftest import ROOT

SYSTEMS = {"pim", "erp", "crm", "shop", "wms"}


def _broken(tmp_path: Path, old: str, new: str, file: str = "product.yaml") -> Path:
    folder = tmp_path / "maps"
    folder.mkdir(exist_ok=True)
    text = (ROOT / "mappings" / file).read_text()
    assert old in text, f"fixture text not found: {old}"
    (folder / file).write_text(text.replace(old, new, 1))
    return folder


def _line_of(folder: Path, needle: str, file: str = "product.yaml") -> int:
    for number, line in enumerate((folder / file).read_text().splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_every_shipped_mapping_loads() -> None:
    mappings = load_mappings(ROOT / "mappings", SYSTEMS)
    assert {"product", "customer"} <= set(mappings)
    for mapping in mappings.values():
        assert mapping.sources, mapping.entity
        assert len(mapping.version) == 12


@pytest.mark.parametrize(
    ("old", "new", "key", "needle", "message"),
    [
        (
            "      name: {path: values.name",
            "      nmae: {path: values.name",
            "systems.pim.fields.nmae",
            "nmae:",
            "'nmae' is not a field of Product",
        ),
        (
            "transforms: [trim, collapse_spaces]",
            "transforms: [trim, squash]",
            "systems.pim.fields.name.transforms.1",
            "squash",
            "unknown transform 'squash'",
        ),
        ("  default: pim", "  default: plm", "owners.default", "default: plm", "system 'plm'"),
        (
            "kind: pattern, field: sku,",
            "kind: regex, field: sku,",
            "rules.0.kind",
            "kind: regex",
            "Input should be",
        ),
        (
            "{id: product.name.required, kind: required, field: name}",
            "{id: product.name.required, kind: required, field: title}",
            "rules.2.field",
            "field: title",
            "'title' is not a field of Product",
        ),
        ("weight_units: {KILOGRAM: KGM", "weight_units: {KILOGRAM: KGM", None, None, None),  # control: loads
        (
            "{value_map: {map: weight_units}}",
            "{value_map: {map: weights}}",
            "systems.pim.fields.weight.uom.transforms.1",
            "map: weights",
            "unknown value map 'weights'",
        ),
        (
            "      sku: {path: code, transforms: [trim, upper]}\n      name: name",
            "      sku: {path: code, transforms: [trim, upper]}\n      name: name\n      name: title",
            "systems.erp.fields.name",
            "      name: title",
            "duplicate key",
        ),
    ],
)
def test_broken_mapping_names_file_line_and_key(
    tmp_path: Path, old: str, new: str, key: str | None, needle: str | None, message: str | None
) -> None:
    folder = _broken(tmp_path, old, new)
    if key is None:
        assert "product" in load_mappings(folder, SYSTEMS)
        return
    with pytest.raises(ConfigError) as caught:
        load_mappings(folder, SYSTEMS)
    error = caught.value
    assert error.file == str(folder / "product.yaml")
    assert error.key == key
    assert error.line == _line_of(folder, needle)
    assert message in str(error)
    assert f"product.yaml:{error.line}" in str(error)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    folder = _broken(tmp_path, "  groups:\n", "  groups: [\n")
    with pytest.raises(ConfigError) as caught:
        load_mappings(folder, SYSTEMS)
    assert caught.value.line is not None and caught.value.line >= _line_of(folder, "groups: [")
    assert "invalid YAML" in str(caught.value)


def test_mapping_for_system_missing_from_hub_yaml(tmp_path: Path) -> None:
    folder = _broken(
        tmp_path, "  shop:                      # Shopify", "  webshop:                   # Shopify"
    )
    with pytest.raises(ConfigError) as caught:
        load_mappings(folder, SYSTEMS)
    assert caught.value.key == "systems.webshop" and "not configured in hub.yaml" in str(caught.value)


def test_blocking_warning_rule_is_refused(tmp_path: Path) -> None:
    folder = _broken(
        tmp_path,
        "min: 0.001, max: 2000, severity: warning}",
        "min: 0.001, max: 2000, severity: warning, blocking: true}",
    )
    with pytest.raises(ConfigError, match="only error rules can be blocking"):
        load_mappings(folder, SYSTEMS)


def test_bad_hub_yaml_names_line_and_key(tmp_path: Path) -> None:
    text = (ROOT / "hub.yaml").read_text().replace("batch_size: 1000", "batch_size: lots")
    (tmp_path / "hub.yaml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "hub.yaml")
    assert caught.value.key == "batch_size"
    assert caught.value.line == next(
        i for i, row in enumerate(text.splitlines(), 1) if row.startswith("batch_size")
    )
