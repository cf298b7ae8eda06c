"""The interchange writer: ISA/GS/ST envelopes from the partner profile, counts, control numbers from the
caller, the partner's delimiters, and values that can never break the document."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.x12.acks import Sequence
from connectors.x12.normalise import normalise
from connectors.x12.outbound import (
    AckLine,
    OrderAcknowledgment,
    Party,
    TransactionSet,
    build_846,
    build_855,
    build_856,
    write_interchange,
)
from connectors.x12.results import ACCEPTED
from connectors.x12.validate import validate_bytes
from hub.errors import ConfigError, FatalError
from tests.x12.test_outbound_samples import (
    ACME,
    NORTHWIND,
    NOW,
    SYNTAXES,
    accepted,
    all_documents,
    maps_with_5010_outbound,
    sample_846,
    sample_855,
    sample_856,
)


def segments(text: str, term: str = "~", sep: str = "*") -> list[list[str]]:
    return [s.strip("\r\n").split(sep) for s in text.split(term) if s.strip("\r\n")]


def test_isa_and_gs_from_the_profile() -> None:
    out = all_documents(ACME)
    isa_text = out.text.split("~")[0]
    assert len(isa_text) + 1 == 106  # the fixed-length ISA, terminator included
    segs = segments(out.text)
    isa, gs = segs[0], segs[1]
    assert isa[1:9] == ["00", " " * 10, "00", " " * 10, "ZZ", "COMMERCEHUB    ", "ZZ", "ACMERETAIL     "]
    assert isa[9:17] == ["240502", "0930", "U", "00401", "000000041", "0", "P", ">"]
    assert gs == ["GS", "PR", "COMMERCEHUB", "ACMERETAIL", "20240502", "0930", "7", "X", "004010VICS"]
    assert out.text.endswith("IEA*4*000000041~\n") and out.text.count("~\n") == len(segs)


def test_one_group_per_functional_id_with_counts_and_control_numbers() -> None:
    second = OrderAcknowledgment(
        "PO1002", sample_855().po_date, sample_855().ack_date, sample_855().lines[:1]
    )
    sets = [
        build_855(sample_855(), ACME),
        build_856(sample_856(), ACME),
        build_855(second, ACME),
        *build_846(sample_846(), ACME),
    ]
    numbers = Sequence(isa=900, gs=30, st=12)
    out = write_interchange(ACME, numbers, NOW, sets)
    accepted(out, reference=False)
    segs = segments(out.text)
    assert [s[1] for s in segs if s[0] == "GS"] == ["PR", "SH", "IB"]
    assert [s[1:] for s in segs if s[0] == "GE"] == [["2", "30"], ["1", "31"], ["1", "32"]]
    assert segs[-1] == ["IEA", "3", "000000900"]
    # SE01 counts ST..SE; SE02 repeats ST02; ST02 numbered from the caller's sequence in order
    starts = [i for i, s in enumerate(segs) if s[0] == "ST"]
    ends = [i for i, s in enumerate(segs) if s[0] == "SE"]
    assert [segs[i][2] for i in starts] == ["0012", "0013", "0014", "0015"]
    assert [(int(segs[e][1]), segs[e][2]) for e in ends] == [
        (e - s + 1, segs[s][2]) for s, e in zip(starts, ends, strict=True)
    ]
    # the result names every control number used, with the caller's references
    assert out.isa_control == "000000900"
    assert [(g.functional_id, g.control_number, g.version) for g in out.groups] == [
        ("PR", "30", "004010VICS"),
        ("SH", "31", "004010VICS"),
        ("IB", "32", "004010VICS"),
    ]
    assert [(g.control_number, s.set_id, s.control_number, s.reference) for g, s in out.sets()] == [
        ("30", "855", "0012", "PO1001"),
        ("30", "855", "0013", "PO1002"),
        ("31", "856", "0014", "SHP-1"),
        ("32", "846", "0015", "INV20240502"),
    ]
    assert numbers.values == {"isa": 901, "gs": 33, "st": 16}
    assert [s.segment_count for _, s in out.sets()] == [int(segs[e][1]) for e in ends]


def test_control_numbers_come_from_the_caller_and_never_repeat() -> None:
    numbers = Sequence(isa=7, gs=70, st=700)
    first = write_interchange(ACME, numbers, NOW, [build_855(sample_855(), ACME)])
    second = write_interchange(ACME, numbers, NOW, [build_855(sample_855(), ACME)])
    assert (first.isa_control, second.isa_control) == ("000000007", "000000008")
    assert [g.control_number for g in first.groups + second.groups] == ["70", "71"]
    assert [s.control_number for _, s in [*first.sets(), *second.sets()]] == ["0700", "0701"]
    assert first.text != second.text and first.file_name() == "acme_855_000000007.x12"


def test_control_number_overflow_and_wrong_documents_are_refused() -> None:
    with pytest.raises(FatalError, match="ISA control number 1000000000"):
        write_interchange(ACME, Sequence(isa=1_000_000_000), NOW, [build_855(sample_855(), ACME)])
    with pytest.raises(ConfigError, match="does not take 846"):
        write_interchange(NORTHWIND, Sequence(), NOW, build_846(sample_846(), NORTHWIND))
    with pytest.raises(ValueError, match="at least one"):
        write_interchange(ACME, Sequence(), NOW, [])


def test_usage_override_and_encoding() -> None:
    test = write_interchange(ACME, Sequence(), NOW, [build_855(sample_855(), ACME)], usage="T")
    assert segments(test.text)[0][15] == "T"
    ebcdic = ACME.model_copy(update={"encoding": "cp037"})
    out = write_interchange(ebcdic, Sequence(), NOW, [build_855(sample_855(), ebcdic)])
    assert out.data[:3] == "ISA".encode("cp037") and out.data.decode("cp037") == out.text
    normalised, result = validate_bytes(out.data)
    assert normalised.encoding == "cp037" and result.status == ACCEPTED


def test_northwind_00501_envelope(tmp_path: Path) -> None:
    """ISA11 is the repetition separator, ISA12 00501, ISA14 1 (TA1 requested), DUNS ids, pipes and CRLF. The
    project has no 005010 maps for 855/856/810 yet, so the bodies are checked with the 004010 segment rules."""
    out = write_interchange(
        NORTHWIND,
        Sequence(isa=5),
        NOW,
        [build_855(sample_855(), NORTHWIND), build_856(sample_856(), NORTHWIND)],
    )
    segs = segments(out.text, sep="|")
    assert segs[0][5:9] == ["01", "987654321      ", "01", "123456789      "]
    assert segs[0][11:17] == ["^", "00501", "000000005", "1", "P", ":"]
    assert segs[1][8] == "005010" and out.text.count("~\r\n") == len(segs)
    ic = normalise(out.data).interchanges[0]
    assert ic.delimiters.repetition == "^" and ic.delimiters.element == "|" and ic.version == "00501"
    maps = maps_with_5010_outbound(tmp_path)
    _, result = validate_bytes(out.data, maps=maps)
    assert result.status == ACCEPTED, [f.message for _, _, t in result.transactions() for f in t.errors]
    _, plain = validate_bytes(out.data)  # with the project maps the envelope itself is clean
    assert plain.interchanges[0].errors == []


NASTY = "A*B~C>D^E|F:G'H+I\\J\r\nK\tL\x07M é ñ ü 漢 "


@pytest.mark.parametrize("name", SYNTAXES)
def test_delimiters_in_values_cannot_break_the_document(name: str) -> None:
    profile = SYNTAXES[name]
    ack = OrderAcknowledgment(
        "PO*1~2",
        sample_855().po_date,
        sample_855().ack_date,
        (AckLine(1, "SKU~X*1", D(2), D(2), description=NASTY),),
        order_no="ORD|9'1+" + "^",
        ship_to=Party("ST", NASTY, code="00:42>"),
    )
    out = write_interchange(profile, Sequence(), NOW, [build_855(ack, profile)])
    normalised, _ = accepted(out)
    ic = normalised.interchanges[0]
    # ST, BAK, N1, PO1, PID, ACK, CTT, SE: no value made an extra segment or element
    body = [s for s in ic.segments if s[0] not in ("ISA", "GS", "GE", "IEA")]
    assert [s[0] for s in body] == ["ST", "BAK", "N1", "PO1", "PID", "ACK", "CTT", "SE"]
    n1, pid = body[2], body[4]
    d = profile.delimiters
    delimiters = {d.element, d.component, d.segment, d.repetition}
    assert len(n1) == 5 and n1[2] == pid[5]
    assert not delimiters & set(n1[2] + n1[4] + body[1][3] + body[1][8] + body[3][-1])
    assert not set("\r\n\t\x07漢") & set(n1[2]) and n1[2].startswith("A") and n1[2].endswith("M e n u")
    kept = {c for c in "*~>|:'+\\" if c not in delimiters}  # other punctuation is data and stays
    assert kept <= set(n1[2])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(min_size=1, max_size=40), syntax=st.sampled_from(sorted(SYNTAXES)))
def test_any_text_in_a_field_keeps_the_document_valid(text: str, syntax: str) -> None:
    profile = SYNTAXES[syntax]
    body = [["BAK", "00", "AD", "PO1", "20240501"], ["N1", "ST", text, "92", "0042"], ["CTT", "0"]]
    out = write_interchange(profile, Sequence(), NOW, [TransactionSet("855", body, "PO1")])
    normalised, result = validate_bytes(out.data)
    ic = normalised.interchanges[0]
    assert [s[0] for s in ic.segments] == ["ISA", "GS", "ST", "BAK", "N1", "CTT", "SE", "GE", "IEA"]
    assert len(ic.segments[4]) == 5 and result.status == ACCEPTED
