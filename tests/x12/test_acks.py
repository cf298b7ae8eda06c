"""997 / 999 / TA1 built from validation results: every group, the partner's delimiters, our control numbers."""

from __future__ import annotations

from datetime import datetime

from connectors.x12.acks import AckOptions, Sequence, build_ack, build_acks
from connectors.x12.normalise import Delimiters
from connectors.x12.validate import validate_bytes
from tests.x12.builders import envelope, po_850, render
from tests.x12.cases import BY_NAME

NOW = datetime(2024, 5, 1, 13, 45)


def ack_for(data: bytes, numbers: Sequence | None = None, **options: object) -> str:
    _, result = validate_bytes(data)
    ack = build_ack(
        result.interchanges[0], numbers or Sequence(isa=500, gs=70, st=1), NOW, AckOptions(**options)
    )  # type: ignore[arg-type]
    assert ack is not None
    return ack.text


def segments(text: str, term: str = "~", sep: str = "*") -> list[list[str]]:
    return [s.strip().split(sep) for s in text.split(term) if s.strip()]


def test_accepted_997_envelope_and_numbers() -> None:
    segs = segments(ack_for(BY_NAME["850_4010_valid"].data))
    isa, gs = segs[0], segs[1]
    assert isa[5:9] == ["ZZ", "COMMERCEHUB    ", "ZZ", "ACMERETAIL     "]
    assert (isa[9], isa[10], isa[12], isa[13], isa[14], isa[16]) == (
        "240501",
        "1345",
        "00401",
        "000000500",
        "0",
        ">",
    )
    assert gs == ["GS", "FA", "COMMERCEHUB", "ACMERETAIL", "20240501", "1345", "70", "X", "004010"]
    assert [s[0] for s in segs[2:]] == ["ST", "AK1", "AK2", "AK5", "AK9", "SE", "GE", "IEA"]
    assert (
        segs[3] == ["AK1", "PO", "101"] and segs[5] == ["AK5", "A"] and segs[6] == ["AK9", "A", "1", "1", "1"]
    )
    assert (
        segs[7] == ["SE", "6", "0001"]
        and segs[-2] == ["GE", "1", "70"]
        and segs[-1] == ["IEA", "1", "000000500"]
    )


def test_rejected_997_has_segment_and_element_notes() -> None:
    segs = segments(ack_for(BY_NAME["bad_code_value"].data))
    assert ["AK3", "PO1", "11", "", "8"] in segs
    assert ["AK4", "3", "355", "7", "XX"] in segs
    assert ["AK5", "R", "5"] in segs and ["AK9", "R", "1", "1", "0"] in segs


def test_transaction_and_group_level_codes() -> None:
    assert ["AK5", "R", "4"] in segments(ack_for(BY_NAME["wrong_se_count"].data))
    assert ["AK9", "R", "1", "1", "1", "4"] in segments(ack_for(BY_NAME["ge02_mismatch"].data))


def test_accepted_with_errors_is_e() -> None:
    segs = segments(ack_for(BY_NAME["trailing_separator"].data))
    assert (
        ["AK3", "REF", "4", "", "8"] in segs
        and ["AK5", "E", "5"] in segs
        and ["AK9", "E", "1", "1", "1"] in segs
    )


def test_every_group_is_acknowledged() -> None:
    data = render(envelope([po_850("A1"), po_850("A2")]))
    segs = segments(ack_for(data.encode()))
    assert [s for s in segs if s[0] == "AK2"] == [["AK2", "850", "0001"], ["AK2", "850", "0002"]]
    two_groups = data.replace(
        "GE*2*101~\n",
        "GE*2*101~\nGS*PO*ACMERETAIL*COMMERCEHUB*20240501*1200*102*X*004010~\n"
        "ST*850*0003~\nBEG*00*SA*B1**20240501~\nPO1*1*1*EA~\nSE*4*0003~\nGE*1*102~\n",
    ).replace("IEA*1", "IEA*2")
    segs = segments(ack_for(two_groups.encode()))
    assert [s for s in segs if s[0] == "AK1"] == [["AK1", "PO", "101"], ["AK1", "PO", "102"]]
    assert [s[2] for s in segs if s[0] == "ST"] == ["0001", "0002"]


def test_answer_uses_the_partner_delimiters_or_the_profile() -> None:
    text = ack_for(BY_NAME["850_pipe_separator"].data)
    assert text.startswith("ISA|") and "~\n" in text and text.split("~")[0].endswith("|^")
    lf = ack_for(BY_NAME["850_lf_terminator"].data)
    assert "~" not in lf and lf.count("\n") == 10
    own = ack_for(BY_NAME["850_bel_separator"].data, delimiters=Delimiters("*", ":", "'", None, "\r\n"))
    assert own.startswith("ISA*") and "'\r\n" in own and "\x07" not in own


def test_control_numbers_come_from_the_caller_never_the_clock() -> None:
    numbers = Sequence(isa=41, gs=9, st=77)
    first = segments(ack_for(BY_NAME["850_4010_valid"].data, numbers))
    second = segments(ack_for(BY_NAME["850_4010_valid"].data, numbers))
    assert (first[0][13], first[1][6], first[2][2]) == ("000000041", "9", "0077")
    assert (second[0][13], second[1][6], second[2][2]) == ("000000042", "10", "0078")


def test_isa12_is_echoed_as_sent() -> None:
    segs = segments(ack_for(BY_NAME["850_isa12_00403_vics"].data))
    assert segs[0][12] == "00403" and segs[0][11] == "^" and segs[1][8] == "004010VICS"


def test_999_for_005010() -> None:
    text = ack_for(BY_NAME["850_5010_valid"].data)
    segs = segments(text)
    assert segs[0][12] == "00501" and segs[1][8] == "005010X231A1"
    assert segs[2] == ["ST", "999", "0001", "005010X231A1"]
    assert segs[3] == ["AK1", "PO", "101", "005010"] and ["IK5", "A"] in segs
    bad = render(
        envelope(
            [[["BEG", "00", "SA", "", "", "20240501"], *po_850()[1:]]],
            gs08="005010",
            isa12="00501",
            isa11="^",
        )
    )
    segs = segments(ack_for(bad.encode()))
    assert (
        ["IK3", "BEG", "2", "", "8"] in segs
        and ["IK4", "3", "324", "1"] in segs
        and ["IK5", "R", "5"] in segs
    )


def test_997_in_005010_when_the_profile_says_so() -> None:
    segs = segments(ack_for(BY_NAME["850_5010_valid"].data, kind="997"))
    assert segs[2] == ["ST", "997", "0001"] and segs[1][8] == "005010"


def test_ta1_when_requested_or_when_the_envelope_is_wrong() -> None:
    segs = segments(ack_for(BY_NAME["ta1_requested"].data))
    assert segs[1] == ["TA1", "000000101", "240501", "1200", "A", "000"] and segs[2][0] == "GS"
    segs = segments(ack_for(BY_NAME["iea02_mismatch"].data))
    assert segs[1] == ["TA1", "000000101", "240501", "1200", "R", "001"]
    assert [s[0] for s in segs] == ["ISA", "TA1", "IEA"] and segs[-1][1] == "0"
    _, result = validate_bytes(BY_NAME["850_4010_valid"].data)
    assert build_ack(result.interchanges[0], Sequence(), NOW, AckOptions(ta1="never", kind="none")) is None


def test_no_ack_for_acks_and_one_ack_per_interchange() -> None:
    _, result = validate_bytes(BY_NAME["997_valid"].data)
    assert build_acks(result.interchanges, Sequence(), NOW) == []
    _, result = validate_bytes(BY_NAME["mailbag_two_delimiters"].data)
    acks = build_acks(result.interchanges, Sequence(), NOW)
    assert [a.acknowledges for a in acks] == [("ZZ:ACMERETAIL", "000000101"), ("ZZ:ACMERETAIL", "000000102")]
    assert acks[0].text.startswith("ISA*") and acks[1].text.startswith("ISA|")


def test_copy_of_bad_data_never_carries_delimiters() -> None:
    bad = render(
        envelope([[["BEG", "00", "SA", "PO~1*>2", "", "20240501"], *po_850()[1:]]]), sep="|", term="\n", nl=""
    )
    text = ack_for(bad.encode())
    ak4 = [s for s in segments(text, "\n", "|") if s[0] == "AK4"]
    assert all("|" not in "".join(s[1:]) for s in ak4)
