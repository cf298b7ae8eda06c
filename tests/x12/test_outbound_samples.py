"""Sample outbound documents and partner syntaxes shared by the outbound and ack-reader tests, and the check
every generated interchange must pass: our validator with the project maps, and pyx12 as the reference."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from connectors.x12.acks import Sequence
from connectors.x12.mapspec import MAPS_DIR
from connectors.x12.normalise import Normalised
from connectors.x12.outbound import (
    AckLine,
    Carton,
    InventoryAdvice,
    InventoryItem,
    Invoice,
    InvoiceLine,
    OrderAcknowledgment,
    Outbound,
    Party,
    ShipItem,
    ShipNotice,
    build_810,
    build_846,
    build_855,
    build_856,
    write_interchange,
)
from connectors.x12.partners import DelimiterSpec, PartnerProfile, load_partner
from connectors.x12.results import ACCEPTED, ValidationResult
from connectors.x12.validate import validate_bytes
from tests.x12.pyx12_ref import pyx12_summary

PARTNERS = Path(__file__).resolve().parents[2] / "mappings" / "partners"
ACME = load_partner(PARTNERS / "acme.yaml")
NORTHWIND = load_partner(PARTNERS / "northwind.yaml")
NOW = datetime(2024, 5, 2, 9, 30)
PREFIX = "0614141"  # GS1's example company prefix


def with_delimiters(profile: PartnerProfile, **spec: str) -> PartnerProfile:
    return profile.model_copy(update={"delimiters": DelimiterSpec(**spec)})  # type: ignore[arg-type]


# ACME's own syntax, Northwind's (pipe, colon, CRLF) on ACME's 004010 envelope, and an EDIFACT-like one where
# common text characters (' + *) are delimiters.
SYNTAXES = {
    "acme": ACME,
    "pipe_crlf": with_delimiters(
        ACME, element="|", component=":", segment="~", repetition="^", line_ending="\r\n"
    ),
    "plus_quote": with_delimiters(
        ACME, element="+", component=":", segment="'", repetition="*", line_ending=""
    ),
    "lf_terminator": with_delimiters(ACME, element="^", component="\\", segment="\n", repetition="|"),
}


def sample_855() -> OrderAcknowledgment:
    return OrderAcknowledgment(
        "PO1001",
        date(2024, 5, 1),
        date(2024, 5, 2),
        (
            AckLine(1, "SKU-1001", D(10), D(8), D(2), unit_price=D("1.25"), ship_date=date(2024, 5, 6)),
            AckLine(2, "SKU-1002", D(4), D(4), unit_price=D("3.5"), description="Widget, blue"),
            AckLine(3, "SKU-9", D(3), D(0), rejected=D(3)),
        ),
        order_no="ACME-PO1001",
        ship_to=Party("ST", "ACME Store 42", code="0042"),
    )


def sample_856() -> ShipNotice:
    return ShipNotice(
        "SHP-1",
        date(2024, 5, 3),
        "PO1001",
        (
            Carton(17, (ShipItem(1, "SKU-1001", D(8)), ShipItem(2, "SKU-1002", D(4)))),
            Carton(18, (ShipItem(1, "SKU-1001", D(2)),), tracking="1Z999AA10123456784"),
        ),
        PREFIX,
        scac="UPSN",
        po_date=date(2024, 5, 1),
        tracking="1Z999AA10123456777",
        weight=D("12.5"),
        ship_to=Party("ST", "ACME Store 42", code="0042"),
        ship_from=Party("SF", "Commerce Hub DC"),
    )


def sample_810() -> Invoice:
    return Invoice(
        "INV-77",
        date(2024, 5, 3),
        "PO1001",
        (
            InvoiceLine(1, "SKU-1001", D(10), D("1.25"), description="Widget"),
            InvoiceLine(2, "SKU-1002", D(4), D("3.335")),
        ),
        po_date=date(2024, 5, 1),
        parties=(Party("RE", "Commerce Hub Inc."), Party("ST", "ACME Store 42", code="0042")),
        ship_date=date(2024, 5, 3),
        terms_net_days=30,
        discount_percent=D(2),
        discount_days=10,
    )


def sample_846(count: int = 3) -> InventoryAdvice:
    items = [
        InventoryItem("SKU-1001", D(120)),
        InventoryItem("SKU-1002", D(0), available_date=date(2024, 5, 9)),
    ]
    items += [InventoryItem(f"SKU-{n}", D(n % 50)) for n in range(5000, 5000 + max(count - 2, 0))]
    return InventoryAdvice("INV20240502", date(2024, 5, 2), tuple(items[:count]))


def all_documents(profile: PartnerProfile) -> Outbound:
    sets = [
        build_855(sample_855(), profile),
        build_856(sample_856(), profile),
        build_810(sample_810(), profile),
        *build_846(sample_846(), profile),
    ]
    return write_interchange(profile, Sequence(isa=41, gs=7, st=1), NOW, sets)


def maps_with_5010_outbound(folder: Path) -> Path:
    """A copy of the project maps where 005010 PR/SH/IN groups use the 004010 segment rules: the project has no
    005010 maps for 855/856/810 yet, and Northwind (005010) takes them."""
    maps = folder / "maps"
    shutil.copytree(MAPS_DIR, maps)
    lines = "".join(
        f'<map vriic="005010" fic="{fid}" abbr="{sid}">{sid}.4010.xml</map>'
        for fid, sid in (("PR", "855"), ("SH", "856"), ("IN", "810"))
    )
    catalog = (maps / "maps.xml").read_text()
    (maps / "maps.xml").write_text(
        catalog.replace('<version icvn="00501">', '<version icvn="00501">' + lines)
    )
    return maps


def accepted(out: Outbound, *, reference: bool = True) -> tuple[Normalised, ValidationResult]:
    """The interchange passes our validator (every set accepted, no note) and, where it can read it, pyx12."""
    normalised, result = validate_bytes(out.data)
    assert not normalised.problems and len(normalised.interchanges) == 1
    ic_result = result.interchanges[0]
    findings = [f.message for _, _, t in result.transactions() for f in t.errors]
    findings += [f.message for f in ic_result.errors] + [
        f.message for g in ic_result.groups for f in g.errors
    ]
    assert findings == [] and result.status == ACCEPTED
    assert normalised.interchanges[0].notes == []
    if reference:
        theirs = pyx12_summary(normalised.interchanges[0])
        assert theirs.valid and all(theirs.transactions.values()) and not theirs.segments
    return normalised, result


@pytest.mark.parametrize("name", SYNTAXES)
def test_every_document_is_accepted_by_both_validators(name: str) -> None:
    out = all_documents(SYNTAXES[name])
    _, result = accepted(out)
    assert [(g.functional_id, t.set_id) for _, g, t in result.transactions()] == [
        ("PR", "855"),
        ("SH", "856"),
        ("IN", "810"),
        ("IB", "846"),
    ]
