"""EDI trading partner profiles: ``mappings/partners/<partner>.yaml``, checked when loaded.

A profile says who the partner is on the envelope (ISA/GS ids and qualifiers), what we send them (version,
delimiters, documents), how we acknowledge, how their item and location codes map to ours, and where their SFTP
mailbox is. Errors name the file, line and key (``hub.errors.ConfigError``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from hub.errors import ConfigError
from hub.mapping.yamlsource import load_yaml

_DURATION = re.compile(r"^(\d+)\s*([mhd])$")
_HOST_KEY = re.compile(r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}$")
DEFAULT_QUALIFIERS = {
    "upc": ["UP", "UK", "EN", "UA"],
    "vendor_part": ["VN", "VP"],
    "buyer_part": ["BP", "IN"],
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PartyId(_Strict):
    qualifier: str = Field(
        pattern=r"^[0-9A-Z]{2}$", description="ISA05/ISA07 qualifier: 01 DUNS, 08 UCC, 12 phone, 14, ZZ..."
    )
    id: str = Field(min_length=1, max_length=15, description="ISA06/ISA08 id (padded to 15 on the envelope).")


class Interchange(_Strict):
    partner: PartyId
    us: PartyId
    isa12: str = Field(
        default="00401", pattern=r"^\d{5}$", description="ISA12 we send (their ISA12 may differ)."
    )
    usage: Literal["P", "T"] = "P"
    ack_requested: bool = Field(default=False, description="ISA14 we send: ask them for a TA1.")


class Groups(_Strict):
    partner: str = Field(min_length=2, max_length=15, description="Their GS02 (sender) / our GS03.")
    us: str = Field(min_length=2, max_length=15)
    version: str = Field(
        default="004010", min_length=6, max_length=12, description="GS08 we send, e.g. 004010VICS."
    )


class DelimiterSpec(_Strict):
    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str = "^"
    line_ending: Literal["", "\n", "\r\n"] = "\n"

    @model_validator(mode="after")
    def _distinct(self) -> DelimiterSpec:
        chars = [self.element, self.component, self.segment, self.repetition]
        if any(len(c) != 1 or c.isalnum() or c == " " for c in chars):
            raise ValueError("delimiters are single characters that are not letters, digits or space")
        if len(set(chars)) != 4:
            raise ValueError("element, component, segment and repetition delimiters must differ")
        return self


class Documents(_Strict):
    inbound: list[Literal["850", "997", "999", "TA1"]] = Field(default_factory=lambda: ["850", "997"])
    outbound: list[Literal["855", "856", "810", "846", "997", "999", "TA1"]] = Field(default_factory=list)


class Acknowledgment(_Strict):
    send: Literal["auto", "997", "999", "none"] = "auto"
    ta1: Literal["auto", "always", "never"] = "auto"
    detail: Literal["all", "errors"] = "all"
    delimiters: Literal["as_received", "profile"] = "as_received"
    tolerate: list[str] = Field(default_factory=lambda: ["trailing_separator", "trailing_spaces"])
    expect: bool = Field(default=True, description="We expect a 997/999 for what we send.")
    overdue_after: str = Field(
        default="24h", description="Alert when their ack is later than this: 30m, 4h, 2d."
    )

    @field_validator("overdue_after")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not _DURATION.match(value.strip()):
            raise ValueError("a duration like 30m, 4h or 2d")
        return value.strip()

    @property
    def overdue(self) -> timedelta:
        m = _DURATION.match(self.overdue_after)
        assert m is not None
        unit = {"m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
        return timedelta(**{unit: int(m.group(1))})


class Item(_Strict):
    sku: str = Field(min_length=1, max_length=64)
    upc: str | None = Field(default=None, pattern=r"^\d{8,14}$")
    buyer_part: str | None = None
    vendor_part: str | None = None


class Location(_Strict):
    name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    warehouse: str | None = Field(default=None, description="Hub warehouse that serves this location.")


class Sftp(_Strict):
    host: str
    port: int = Field(default=22, ge=1, le=65535)
    user: str
    key_path: str = Field(description="Private key file; may be {env: NAME}-resolved by the transport.")
    host_key: str = Field(
        description="The server's public host key ('ssh-ed25519 AAAA...'); unknown keys are refused."
    )
    inbox: str = Field(default="/outbound", description="Where the partner leaves files for us.")
    outbox: str = Field(default="/inbound", description="Where we leave files for the partner.")

    @field_validator("host_key")
    @classmethod
    def _host_key(cls, value: str) -> str:
        if not _HOST_KEY.match(value.strip()):
            raise ValueError(
                "a public key line: '<type> <base64>' (ssh-ed25519, ssh-rsa or ecdsa-sha2-nistp*)"
            )
        return value.strip()


class PartnerProfile(_Strict):
    partner: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Profile id; equals the file name.")
    name: str
    customer_no: str | None = Field(
        default=None, description="The partner's account in the hub (Order.customer_no)."
    )
    order_prefix: str | None = Field(
        default=None, description="order_no = <prefix>-<PO number>; default: partner id upper-cased."
    )
    version: Literal["004010", "005010"] = "004010"
    interchange: Interchange
    groups: Groups
    delimiters: DelimiterSpec = Field(default_factory=DelimiterSpec)
    encoding: Literal["ascii", "utf-8", "latin-1", "cp037", "cp500"] = "ascii"
    documents: Documents = Field(default_factory=Documents)
    acknowledgment: Acknowledgment = Field(default_factory=Acknowledgment)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    country: str = Field(default="US", pattern=r"^[A-Z]{2}$")
    product_qualifiers: dict[Literal["upc", "vendor_part", "buyer_part"], list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_QUALIFIERS.items()}
    )
    vendor_part_is_sku: bool = Field(default=True, description="Our own part number (VN/VP) is the SKU.")
    crosswalk: list[Item] = Field(default_factory=list)
    ship_to: dict[str, Location] = Field(default_factory=dict, description="Location code (N104) -> address.")
    sftp: Sftp | None = None
    _index: Crosswalk | None = PrivateAttr(default=None)

    @property
    def index(self) -> Crosswalk:
        """The crosswalk as plain dicts (built once; lookups run per PO line)."""
        if self._index is None:
            self._index = Crosswalk(self)
        return self._index

    @property
    def prefix(self) -> str:
        return self.order_prefix or self.partner.upper()

    def qualifiers(self, kind: Literal["upc", "vendor_part", "buyer_part"]) -> list[str]:
        return self.product_qualifiers.get(kind, DEFAULT_QUALIFIERS[kind])

    def sku_for(
        self, upc: str | None, buyer_part: str | None, vendor_part: str | None
    ) -> tuple[str | None, str]:
        return self.index.sku_for(upc, buyer_part, vendor_part)

    def matches(self, qualifier: str, sender: str) -> bool:
        return (
            self.interchange.partner.qualifier == qualifier and self.interchange.partner.id == sender.strip()
        )


class Crosswalk:
    """Item crosswalk lookups: buyer part, UPC/EAN/GTIN (compared without padding zeros), vendor part."""

    def __init__(self, profile: PartnerProfile) -> None:
        self.by_upc = {gtin_key(i.upc): i.sku for i in profile.crosswalk if i.upc}
        self.by_buyer = {i.buyer_part: i.sku for i in profile.crosswalk if i.buyer_part}
        self.by_vendor = {i.vendor_part: i.sku for i in profile.crosswalk if i.vendor_part}
        self.vendor_part_is_sku = profile.vendor_part_is_sku
        self.qualifiers = {k: tuple(profile.qualifiers(k)) for k in ("upc", "vendor_part", "buyer_part")}  # type: ignore[arg-type]

    def sku_for(
        self, upc: str | None, buyer_part: str | None, vendor_part: str | None
    ) -> tuple[str | None, str]:
        """Our SKU for a PO line and how it was found: crosswalk by buyer part, UPC, vendor part, or as sent."""
        if buyer_part and buyer_part in self.by_buyer:
            return self.by_buyer[buyer_part], "buyer_part"
        if upc:
            sku = self.by_upc.get(gtin_key(upc))
            if sku is not None:
                return sku, "upc"
        if vendor_part and vendor_part in self.by_vendor:
            return self.by_vendor[vendor_part], "vendor_part"
        if vendor_part and self.vendor_part_is_sku:
            return vendor_part, "vendor_part_as_sku"
        return None, "not_found"


def gtin_key(code: str) -> str:
    """UPC-A, EAN-13 and GTIN-14 of the same item compare equal (leading zeros are padding)."""
    return code.strip().lstrip("0") if code.strip().isdigit() else code.strip()


def load_partner(file: Path) -> PartnerProfile:
    """Read and check one profile; every problem is a ConfigError naming file, line and key."""
    doc = load_yaml(file)
    if not isinstance(doc.data, dict):
        raise doc.error("a partner profile is a YAML mapping")
    profile: PartnerProfile = doc.parse(PartnerProfile)
    if profile.partner != file.stem:
        raise doc.error(
            f"partner id '{profile.partner}' must equal the file name '{file.stem}'", ("partner",)
        )
    for key in ("sku", "upc", "buyer_part", "vendor_part"):
        seen: dict[str, int] = {}
        for index, item in enumerate(profile.crosswalk):
            value = getattr(item, key)
            if value is None:
                continue
            norm = gtin_key(value) if key == "upc" else value
            if norm in seen:
                raise doc.error(
                    f"duplicate {key} '{value}' (also crosswalk item {seen[norm] + 1})",
                    ("crosswalk", index, key),
                )
            seen[norm] = index
    return profile


def load_partners(folder: Path) -> dict[str, PartnerProfile]:
    """All profiles of a folder, by partner id (a missing folder means no partners)."""
    if not folder.is_dir():
        return {}
    profiles = [load_partner(f) for f in sorted(folder.glob("*.yaml"))]
    return {p.partner: p for p in profiles}


def find_partner(profiles: dict[str, PartnerProfile], qualifier: str, sender: str) -> PartnerProfile | None:
    """The profile whose ISA sender id (qualifier + id) matches an interchange."""
    return next((p for p in profiles.values() if p.matches(qualifier, sender)), None)


def resolve_partner(name: str, folder: Path) -> PartnerProfile:
    """``--partner`` accepts a profile id (looked up in ``folder``) or a path to a YAML file."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ConfigError("partner profile not found", file=str(path))
        return load_partner(path)
    file = folder / f"{name}.yaml"
    if not file.is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml"))) or "none"
        raise ConfigError(f"no partner profile '{name}' in {folder} (known: {known})", key="partner")
    return load_partner(file)
