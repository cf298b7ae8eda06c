"""Named fixture files (bytes) with what validating them must give. Shared by the unit, differential and CLI tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.x12.builders import (
    ack_855,
    asn_856,
    envelope,
    fa_997,
    inventory_846,
    invoice_810,
    isa,
    po_850,
    render,
)


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    status: str
    expect: tuple[tuple[str, str, str | None], ...] = field(default=())  # (level, code, segment)
    pyx12: bool = True  # pyx12 can read the normalised interchanges (maps exist for them)


def _850(**kw: object) -> list[list[str]]:
    return envelope([po_850()], **kw)  # type: ignore[arg-type]


def _edit(segs: list[list[str]], seg_id: str, index: int, value: str | None, nth: int = 0) -> list[list[str]]:
    """Copy with element ``index`` of the ``nth`` ``seg_id`` segment replaced (None: segment removed)."""
    out, seen = [], 0
    for seg in segs:
        if seg[0] == seg_id:
            if seen == nth:
                seen += 1
                if value is None:
                    continue
                seg = list(seg)
                while len(seg) <= index:
                    seg.append("")
                seg[index] = value
            else:
                seen += 1
        out.append(seg)
    return out


def _fix_counts(segs: list[list[str]]) -> list[list[str]]:
    count = 0
    for seg in segs:
        if seg[0] == "ST":
            count = 1
        elif seg[0] == "SE":
            seg[1] = str(count + 1)
        elif seg[0] not in ("ISA", "GS", "GE", "IEA"):
            count += 1
    return segs


VALID_850 = render(_850()).encode()
_latin = render(_edit(_850(), "N1", 2, "MÜLLER CAFÉ")).encode("latin-1")
_mailbag = render(_850()) + render(_850(control=102, group=102), sep="|", term="\r", nl="\n", comp=":")

CASES: list[Case] = [
    Case("850_4010_valid", VALID_850, "accepted"),
    Case(
        "850_5010_valid",
        render(envelope([po_850()], gs08="005010", isa12="00501", isa11="^")).encode(),
        "accepted",
    ),
    Case("850_isa12_00400", render(_850(isa12="00400")).encode(), "accepted"),
    Case(
        "850_isa12_00403_vics", render(_850(isa12="00403", isa11="^", gs08="004010VICS")).encode(), "accepted"
    ),
    Case("850_isa12_00305", render(_850(isa12="00305")).encode(), "accepted"),
    Case("850_gs08_vics", render(_850(gs08="004010VICS")).encode(), "accepted"),
    Case("850_lf_terminator", render(_850(), term="\n", nl="").encode(), "accepted"),
    Case("850_crlf", render(_850(), nl="\r\n").encode(), "accepted"),
    Case("850_cr_terminator", render(_850(), term="\r", nl="").encode(), "accepted"),
    Case("850_quote_terminator", render(_850(), term="'", nl="").encode(), "accepted"),
    Case("850_bel_separator", render(_850(), sep="\x07").encode(), "accepted"),
    Case("850_pipe_separator", render(_850(), sep="|", comp="^").encode(), "accepted"),
    Case("850_del_separator", render(_850(), sep="\x7f", term="\x15", nl="").encode(), "accepted"),
    Case("850_ebcdic", render(_850(), term="\n", nl="").encode("cp037"), "accepted"),
    Case("850_ebcdic_cp500", render(_850(), sep="|", term="\n", nl="").encode("cp500"), "accepted"),
    Case("850_latin1", _latin, "accepted"),
    Case("850_leading_blank_lines", b"\r\n\n  " + VALID_850, "accepted"),
    Case(
        "850_empty_segments", render(_850()).replace("CUR*BY*USD~\n", "CUR*BY*USD~~\n~").encode(), "accepted"
    ),
    Case("850_unpadded_isa", render(_850()).replace("ACMERETAIL     ", "ACMERETAIL").encode(), "accepted"),
    Case("mailbag_two_delimiters", _mailbag.encode(), "accepted"),
    Case("855_valid", render(envelope([ack_855()], fic="PR")).encode(), "accepted"),
    Case("856_valid", render(envelope([asn_856()], fic="SH")).encode(), "accepted"),
    Case("810_valid", render(envelope([invoice_810()], fic="IN")).encode(), "accepted"),
    Case("846_valid", render(envelope([inventory_846()], fic="IB")).encode(), "accepted"),
    Case("997_valid", render(envelope([fa_997()], fic="FA")).encode(), "accepted"),
    Case("850_two_transactions", render(envelope([po_850("A1"), po_850("A2", 3)])).encode(), "accepted"),
    # malformed
    Case("empty", b"", "unreadable", pyx12=False),
    Case("binary", bytes(range(256)) * 4, "unreadable", pyx12=False),
    Case("not_x12", b"order_no,sku,qty\n1,SKU-1,2\n", "unreadable", pyx12=False),
    Case(
        "truncated",
        VALID_850[: len(VALID_850) // 2],
        "rejected",
        (("interchange", "023", None), ("transaction", "2", None), ("group", "3", None)),
    ),
    Case("truncated_isa", VALID_850[:60], "unreadable", pyx12=False),
    Case(
        "wrong_se_count",
        render(_edit(_850(), "SE", 1, "99")).encode(),
        "rejected",
        (("transaction", "4", None),),
    ),
    Case(
        "se02_mismatch",
        render(_edit(_850(), "SE", 2, "0009")).encode(),
        "rejected",
        (("transaction", "3", None),),
    ),
    Case(
        "ge02_mismatch", render(_edit(_850(), "GE", 2, "999")).encode(), "rejected", (("group", "4", None),)
    ),
    Case("ge01_count", render(_edit(_850(), "GE", 1, "2")).encode(), "rejected", (("group", "5", None),)),
    Case(
        "iea02_mismatch",
        render(_edit(_850(), "IEA", 2, "000000999")).encode(),
        "rejected",
        (("interchange", "001", None),),
    ),
    Case(
        "iea01_count",
        render(_edit(_850(), "IEA", 1, "3")).encode(),
        "rejected",
        (("interchange", "021", None),),
    ),
    Case(
        "missing_required_element",
        render(_edit(_850(), "BEG", 3, "")).encode(),
        "rejected",
        (("element", "1", "BEG"),),
    ),
    Case(
        "bad_code_value",
        render(_edit(_850(), "PO1", 3, "XX")).encode(),
        "rejected",
        (("element", "7", "PO1"),),
    ),
    Case(
        "bad_date",
        render(_edit(_850(), "BEG", 5, "20240231")).encode(),
        "rejected",
        (("element", "8", "BEG"),),
    ),
    Case(
        "too_long", render(_edit(_850(), "BEG", 3, "X" * 23)).encode(), "rejected", (("element", "5", "BEG"),)
    ),
    Case(
        "bad_number", render(_edit(_850(), "PO1", 2, "1O")).encode(), "rejected", (("element", "6", "PO1"),)
    ),
    Case(
        "missing_beg",
        render(_fix_counts(_edit(_850(), "BEG", 0, None))).encode(),
        "rejected",
        (("segment", "3", "BEG"),),
    ),
    Case(
        "no_po1_loop",
        render(_fix_counts([s for s in _850() if s[0] not in ("PO1", "PID")])).encode(),
        "rejected",
        (("segment", "3", "PO1"),),
    ),
    Case(
        "unknown_segment",
        render(_fix_counts(_edit(_850(), "CUR", 0, "ZZZ"))).encode(),
        "rejected",
        (("segment", "6", "ZZZ"),),
    ),
    Case(
        "cur_twice",
        render(_fix_counts([*_850()[:4], ["CUR", "BY", "USD"], *_850()[4:]])).encode(),
        "rejected",
        (("segment", "5", "CUR"),),
    ),
    Case("syntax_note", render(_edit(_850(), "N1", 4, "")).encode(), "rejected", (("element", "2", "N1"),)),
    Case(
        "trailing_separator",
        render(_850()).replace("REF*DP*042~", "REF*DP*042*~").encode(),
        "accepted_with_errors",
        (("segment", "8", "REF"),),
    ),
    Case(
        "duplicate_st02",
        render(envelope([po_850("A1"), po_850("A2")]))
        .replace("ST*850*0002", "ST*850*0001")
        .replace("SE*17*0002", "SE*17*0001")
        .encode(),
        "rejected",
        (("transaction", "23", None),),
    ),
    Case(
        "hl_out_of_sequence",
        render(_edit(envelope([asn_856()], fic="SH"), "HL", 1, "5", nth=1)).encode(),
        "rejected",
        (("element", "7", "HL"),),
    ),
    Case(
        "unsupported_version",
        render(_850(gs08="003010")).encode(),
        "rejected",
        (("group", "2", None),),
        pyx12=False,
    ),
    Case(
        "unsupported_group",
        render(_850(fic="PO")).replace("GS*PO", "GS*QQ").encode(),
        "rejected",
        (("group", "1", None),),
        pyx12=False,
    ),
    Case("ta1_requested", render(_850(ack="1")).encode(), "accepted"),
    Case(
        "isa_bad_qualifier",
        render([isa(101, qual="QQ"), *_850()[1:]]).encode(),
        "rejected",
        (("interchange", "005", None),),
    ),
]

BY_NAME = {c.name: c for c in CASES}
