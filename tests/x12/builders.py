"""The tests' own X12 fixtures, generated: valid documents for every map and the ways partners get them wrong."""

from __future__ import annotations

from collections.abc import Sequence

SEP, COMP, TERM, NL = "*", ">", "~", "\n"


def isa(
    control: int = 101,
    *,
    sender: str = "ACMERETAIL",
    receiver: str = "COMMERCEHUB",
    isa12: str = "00401",
    isa11: str = "U",
    component: str = COMP,
    ack: str = "0",
    usage: str = "P",
    qual: str = "ZZ",
) -> list[str]:
    return [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        qual,
        sender.ljust(15),
        qual,
        receiver.ljust(15),
        "240501",
        "1200",
        isa11,
        isa12,
        f"{control:09d}",
        ack,
        usage,
        component,
    ]


def envelope(
    transactions: Sequence[list[list[str]]],
    *,
    fic: str = "PO",
    gs08: str = "004010",
    control: int = 101,
    group: int = 101,
    **isa_kw: str,
) -> list[list[str]]:
    """ISA/GS/.../GE/IEA around transaction bodies (each without ST/SE; ST02 numbered from 0001)."""
    segs = [
        isa(control, **isa_kw),
        ["GS", fic, "ACMERETAIL", "COMMERCEHUB", "20240501", "1200", str(group), "X", gs08],
    ]
    for n, body in enumerate(transactions, 1):
        set_id = {"PO": "850", "PR": "855", "SH": "856", "IN": "810", "IB": "846", "FA": "997"}[fic]
        st = ["ST", set_id, f"{n:04d}"] + (["005010"] if gs08.startswith("005") and fic != "FA" else [])
        segs += [st, *body, ["SE", str(len(body) + 2), f"{n:04d}"]]
    segs += [["GE", str(len(transactions)), str(group)], ["IEA", "1", f"{control:09d}"]]
    return segs


def render(
    segments: Sequence[Sequence[str]], sep: str = SEP, term: str = TERM, nl: str = NL, comp: str = COMP
) -> str:
    out = []
    for seg in segments:
        values = list(seg)
        if values[0] == "ISA":
            values[16] = comp
        out.append(sep.join(v.replace(COMP, comp) if values[0] != "ISA" else v for v in values))
    return (term + nl).join(out) + term + nl


def po_850(
    po: str = "PO1001", lines: int = 2, *, ship_to: str = "0042", with_address: bool = True
) -> list[list[str]]:
    body = [
        ["BEG", "00", "SA", po, "", "20240501"],
        ["CUR", "BY", "USD"],
        ["REF", "DP", "042"],
        ["PER", "BD", "JANE BUYER", "TE", "5551234567"],
        ["DTM", "002", "20240510"],
        ["N1", "ST", "ACME STORE 42", "92", ship_to],
    ]
    if with_address:
        body += [["N3", "100 MAIN ST"], ["N4", "SPRINGFIELD", "IL", "62701", "US"]]
    body += [["N1", "BT", "ACME RETAIL AP", "92", "9000"]]
    catalog = [
        ("012345678905", "SKU-1001", "ACME-55501"),
        ("012345678912", "SKU-1002", "ACME-55502"),
        ("012345678929", "SKU-1003", "ACME-55503"),
    ]
    for n in range(1, lines + 1):
        upc, vp, bp = catalog[(n - 1) % len(catalog)]
        body += [
            ["PO1", str(n), str(n * 2), "EA", f"{n}.25", "PE", "UP", upc, "VN", vp, "BP", bp],
            ["PID", "F", "", "", "", f"WIDGET {n}"],
        ]
    body += [["CTT", str(lines)]]
    return body


def ack_855() -> list[list[str]]:
    return [
        ["BAK", "00", "AD", "PO1001", "20240501"],
        ["N1", "ST", "ACME STORE 42", "92", "0042"],
        ["PO1", "1", "2", "EA", "1.25", "PE", "UP", "012345678905"],
        ["ACK", "IA", "2", "EA", "068", "20240510"],
        ["CTT", "1"],
    ]


def asn_856() -> list[list[str]]:
    return [
        ["BSN", "00", "SHIP0001", "20240502", "1530", "0001"],
        ["DTM", "011", "20240502"],
        ["HL", "1", "", "S"],
        ["TD1", "CTN", "2", "", "", "", "G", "12", "LB"],
        ["TD5", "B", "2", "UPSN", "M"],
        ["REF", "BM", "BOL123"],
        ["N1", "ST", "ACME STORE 42", "92", "0042"],
        ["N1", "SF", "COMMERCE HUB DC"],
        ["HL", "2", "1", "O"],
        ["PRF", "PO1001", "", "", "20240501"],
        ["HL", "3", "2", "P"],
        ["MAN", "GM", "00012345670000000017"],
        ["HL", "4", "3", "I"],
        ["LIN", "1", "UP", "012345678905"],
        ["SN1", "1", "2", "EA"],
        ["CTT", "4"],
    ]


def invoice_810() -> list[list[str]]:
    return [
        ["BIG", "20240503", "INV0001", "20240501", "PO1001"],
        ["N1", "RE", "COMMERCE HUB"],
        ["ITD", "01", "3", "2", "", "10", "", "30"],
        ["IT1", "1", "2", "EA", "1.25", "", "UP", "012345678905"],
        ["PID", "F", "", "", "", "WIDGET 1"],
        ["TDS", "250"],
        ["CTT", "1"],
    ]


def inventory_846() -> list[list[str]]:
    return [
        ["BIA", "00", "DD", "INV20240501", "20240501"],
        ["N1", "SU", "COMMERCE HUB"],
        ["LIN", "1", "UP", "012345678905", "VN", "SKU-1001"],
        ["PID", "F", "", "", "", "WIDGET 1"],
        ["QTY", "33", "120", "EA"],
        ["CTT", "1"],
    ]


def fa_997() -> list[list[str]]:
    return [["AK1", "IN", "5"], ["AK2", "810", "0001"], ["AK5", "A"], ["AK9", "A", "1", "1", "1"]]


def text_850(**kw: object) -> str:
    return render(envelope([po_850()], **kw))  # type: ignore[arg-type]
