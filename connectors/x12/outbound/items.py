"""What the partner calls our things: item ids from the crosswalk, ship-to location codes, GS1 SSCC-18 labels,
and X12 renderings of dates, quantities and amounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from connectors.x12.partners import Item, PartnerProfile
from hub.models.common import Address

_UPC_BY_LENGTH = {12: "UP", 13: "EN", 14: "UK"}
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class ItemIds:
    """One item as the partner knows it: UPC/EAN/GTIN, their buyer part, our vendor part (the SKU by default)."""

    upc: str | None
    buyer_part: str | None
    vendor_part: str


class PartnerItems:
    """Lookups by SKU and by location for one profile (built once per profile, used per line)."""

    def __init__(self, profile: PartnerProfile) -> None:
        self.profile = profile
        self.by_sku: dict[str, Item] = {i.sku: i for i in profile.crosswalk}
        self.qualifiers = {k: profile.qualifiers(k) for k in ("upc", "buyer_part", "vendor_part")}  # type: ignore[arg-type]
        self.by_address = {
            _address_key(loc.line1, loc.postal_code): code
            for code, loc in profile.ship_to.items()
            if loc.line1 and loc.postal_code
        }

    def ids(self, sku: str, upc: str | None = None, buyer_part: str | None = None) -> ItemIds:
        """The partner's ids for a SKU; ids the partner sent on the PO (``upc``, ``buyer_part``) win."""
        item = self.by_sku.get(sku)
        if item is not None:
            upc = upc or item.upc
            buyer_part = buyer_part or item.buyer_part
            return ItemIds(upc, buyer_part, item.vendor_part or sku)
        return ItemIds(upc, buyer_part, sku)

    def id_pairs(self, ids: ItemIds) -> list[str]:
        """Qualifier/value pairs for PO1/IT1/LIN: UPC, buyer part, vendor part, with the partner's qualifiers."""
        out: list[str] = []
        if ids.upc:
            quals = self.qualifiers["upc"]
            preferred = _UPC_BY_LENGTH.get(len(ids.upc))
            out += [preferred if preferred in quals else quals[0], ids.upc]
        if ids.buyer_part:
            out += [self.qualifiers["buyer_part"][0], ids.buyer_part]
        out += [self.qualifiers["vendor_part"][0], ids.vendor_part]
        return out

    def ship_to_code(self, address: Address | None) -> str | None:
        """The partner's location code (N104) for an address: its own code when the profile knows it, else the
        profile location with the same street and postal code, else the code as given (or None)."""
        if address is None:
            return None
        code = address.location_code
        if code and code in self.profile.ship_to:
            return code
        found = self.by_address.get(_address_key(address.line1, address.postal_code))
        return found or code


_items: dict[int, PartnerItems] = {}


def partner_items(profile: PartnerProfile) -> PartnerItems:
    """The lookups of a profile, built once (profiles are immutable)."""
    found = _items.get(id(profile))
    if found is None or found.profile is not profile:
        if len(_items) > 64:
            _items.clear()
        found = _items[id(profile)] = PartnerItems(profile)
    return found


def _address_key(line1: str | None, postal_code: str | None) -> tuple[str, str]:
    return (" ".join((line1 or "").upper().split()), (postal_code or "").replace(" ", "").upper())


def gs1_check_digit(digits: str) -> int:
    """GS1 mod-10 check digit of a GTIN/SSCC body: weights 3,1,3,... from the rightmost digit."""
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(f"not a GS1 number: {digits!r}")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def sscc18(company_prefix: str, serial: int, extension: int = 0) -> str:
    """SSCC-18: extension digit + GS1 company prefix (6-12 digits) + serial reference + check digit."""
    if not company_prefix.isdigit() or not 6 <= len(company_prefix) <= 12:
        raise ValueError(f"a GS1 company prefix has 6 to 12 digits, not {company_prefix!r}")
    if not 0 <= extension <= 9:
        raise ValueError("the SSCC extension digit is 0-9")
    width = 16 - len(company_prefix)
    if not 0 <= serial < 10**width:
        raise ValueError(f"serial {serial} does not fit the {width} digits left by prefix {company_prefix}")
    body = f"{extension}{company_prefix}{serial:0{width}d}"
    return body + str(gs1_check_digit(body))


def sscc_label(company_prefix: str, serial: int, extension: int = 0) -> str:
    """MAN02 as retail guides (VICS/GS1-128) print it: application identifier 00 + the SSCC-18 (20 digits)."""
    return "00" + sscc18(company_prefix, serial, extension)


def d8(value: date | datetime) -> str:
    return value.strftime("%Y%m%d")


def hhmm(value: time | datetime) -> str:
    return value.strftime("%H%M")


def number(value: Decimal | int) -> str:
    """An R (decimal) element: no exponent, no trailing zeros, no '+'."""
    d = Decimal(value)
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")


def cents(value: Decimal) -> str:
    """An N2 element (implied two decimals): 1234.5 -> '123450'."""
    return str(int((Decimal(value).quantize(_CENT, ROUND_HALF_UP) * 100).to_integral_value()))


def cut(value: str | None, size: int) -> str:
    """Free text shortened to an element's maximum length."""
    return (value or "").strip()[:size]


_SCAC = {
    "ups": "UPSN",
    "fedex": "FDEG",
    "fedex ground": "FDEG",
    "fedex express": "FDEN",
    "usps": "USPS",
    "dhl": "DHLC",
}


def carrier_scac(carrier: str | None) -> str | None:
    """A SCAC for common carrier names; a 2-4 letter code is taken as a SCAC already."""
    if not carrier:
        return None
    name = carrier.strip()
    if name.isalpha() and name.isupper() and 2 <= len(name) <= 4 and name.lower() not in _SCAC:
        return name
    return _SCAC.get(name.lower(), None)
