"""Partner profiles: the two examples load; mistakes are ConfigErrors naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.x12.partners import find_partner, load_partner, load_partners, resolve_partner
from hub.errors import ConfigError

PARTNERS = Path(__file__).resolve().parents[2] / "mappings" / "partners"


def test_examples_load() -> None:
    profiles = load_partners(PARTNERS)
    assert {"acme", "northwind"} <= set(profiles)
    acme, nw = profiles["acme"], profiles["northwind"]
    assert (acme.version, acme.interchange.partner.id, acme.groups.version) == (
        "004010",
        "ACMERETAIL",
        "004010VICS",
    )
    assert (nw.version, nw.acknowledgment.send, nw.delimiters.element) == ("005010", "999", "|")
    assert (
        acme.acknowledgment.overdue.total_seconds() == 86400
        and nw.acknowledgment.overdue.total_seconds() == 4 * 3600
    )
    assert acme.sftp is not None and acme.sftp.host_key.startswith("ssh-ed25519 ")
    assert (
        find_partner(profiles, "ZZ", "ACMERETAIL   ") is acme
        and find_partner(profiles, "ZZ", "OTHER") is None
    )


def write(tmp_path: Path, text: str, name: str = "shop") -> Path:
    file = tmp_path / f"{name}.yaml"
    file.write_text(text)
    return file


BASE = """partner: shop
name: Shop
interchange:
  partner: {qualifier: ZZ, id: SHOP}
  us: {qualifier: ZZ, id: HUB}
groups: {partner: SHOP, us: HUB}
"""


def test_minimal_profile_gets_defaults(tmp_path: Path) -> None:
    p = load_partner(write(tmp_path, BASE))
    assert p.prefix == "SHOP" and p.acknowledgment.tolerate == ["trailing_separator", "trailing_spaces"]
    assert p.sku_for(None, None, "X1") == ("X1", "vendor_part_as_sku")


@pytest.mark.parametrize(
    ("extra", "line", "key", "text"),
    [
        ("delimiters: {element: '*', component: '*'}\n", 7, "delimiters", "must differ"),
        ("acknowledgment: {overdue_after: soon}\n", 7, "acknowledgment.overdue_after", "duration"),
        ("sftp: {host: h, user: u, key_path: k, host_key: nope}\n", 7, "sftp.host_key", "public key"),
        (
            "crosswalk:\n  - {sku: A, upc: '012345678905'}\n  - {sku: B, upc: '0012345678905'}\n",
            9,
            "crosswalk.1.upc",
            "duplicate upc",
        ),
        ("version: '003010'\n", 7, "version", "004010"),
        ("colour: blue\n", 7, "colour", "Extra inputs"),
    ],
)
def test_mistakes_name_file_line_and_key(tmp_path: Path, extra: str, line: int, key: str, text: str) -> None:
    file = write(tmp_path, BASE + extra)
    with pytest.raises(ConfigError) as err:
        load_partner(file)
    assert (err.value.file, err.value.line, err.value.key) == (str(file), line, key)
    assert text in str(err.value)


def test_file_name_must_match_partner_id(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must equal the file name"):
        load_partner(write(tmp_path, BASE, name="other"))


def test_resolve_by_id_or_path(tmp_path: Path) -> None:
    assert resolve_partner("acme", PARTNERS).partner == "acme"
    assert resolve_partner(str(PARTNERS / "northwind.yaml"), tmp_path).partner == "northwind"
    with pytest.raises(ConfigError, match="known: acme, northwind"):
        resolve_partner("nobody", PARTNERS)
