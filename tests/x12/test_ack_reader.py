"""Reading the partner's 997 / 999 / TA1 back and settling it against what we sent. The acknowledgments are the
ones the hub's own builder (connectors/x12/acks.py) writes for our documents, as the partner would send them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from connectors.x12.acks import AckOptions, Sequence, build_ack
from connectors.x12.outbound import (
    PENDING,
    Outbound,
    TransactionSet,
    build_855,
    build_856,
    read_acks,
    reconcile,
    write_interchange,
)
from connectors.x12.results import ACCEPTED, REJECTED, WITH_ERRORS
from connectors.x12.validate import validate_bytes
from tests.x12.test_outbound_samples import (
    ACME,
    NORTHWIND,
    NOW,
    all_documents,
    maps_with_5010_outbound,
    sample_855,
    sample_856,
)

LATER = datetime(2024, 5, 2, 11, 5)
BROKEN_855 = TransactionSet(
    "855",
    [
        ["BAK", "00", "AD", "PO7", "20240501"],
        ["PO1", "1", "2", "XX", "1.25", "", "VN", "SKU-1"],
        ["ACK", "IA", "2", "EA"],
        ["CTT", "1"],
    ],
    "PO7",
)


def partner_ack(out: Outbound, maps: Path | None = None, **options: object) -> str:
    """What the partner sends back: their validation of our interchange, acknowledged by acks.py."""
    _, result = validate_bytes(out.data, **({"maps": maps} if maps else {}))
    ack = build_ack(result.interchanges[0], Sequence(isa=3000, gs=300, st=30), LATER, AckOptions(**options))  # type: ignore[arg-type]
    assert ack is not None
    return ack.text


def test_997_round_trip_everything_accepted() -> None:
    out = all_documents(ACME)
    acks = read_acks(partner_ack(out, ta1="always"))
    assert acks.problems == [] and len(acks.interchanges) == 1
    ack = acks.interchanges[0]
    assert (ack.sender, ack.receiver, ack.control_number, ack.isa12) == (
        ("ZZ", "ACMERETAIL"),
        ("ZZ", "COMMERCEHUB"),
        "000003000",
        "00401",
    )
    assert [(t.control_number, t.status, t.note_code, t.note) for t in ack.ta1] == [
        (out.isa_control, "A", "000", "no error (000)")
    ]
    assert [
        (g.functional_id, g.control_number, g.kind, g.status, g.declared, g.received, g.accepted_count)
        for g in ack.groups
    ] == [
        ("PR", "7", "997", "A", 1, 1, 1),
        ("SH", "8", "997", "A", 1, 1, 1),
        ("IN", "9", "997", "A", 1, 1, 1),
        ("IB", "10", "997", "A", 1, 1, 1),
    ]
    assert [(s.set_id, s.control_number, s.status) for g in ack.groups for s in g.sets] == [
        ("855", "0001", "A"),
        ("856", "0002", "A"),
        ("810", "0003", "A"),
        ("846", "0004", "A"),
    ]
    outcomes = reconcile(out, acks.interchanges)
    assert [
        (o.set_id, o.set_control, o.reference, o.status, o.code, o.ack_interchange) for o in outcomes
    ] == [
        ("855", "0001", "PO1001", ACCEPTED, "A", "000003000"),
        ("856", "0002", "SHP-1", ACCEPTED, "A", "000003000"),
        ("810", "0003", "INV-77", ACCEPTED, "A", "000003000"),
        ("846", "0004", "INV20240502", ACCEPTED, "A", "000003000"),
    ]


def test_997_rejection_detail_as_text() -> None:
    out = write_interchange(ACME, Sequence(gs=50, st=9), NOW, [build_855(sample_855(), ACME), BROKEN_855])
    ack = read_acks(partner_ack(out)).interchanges[0]
    [group] = ack.groups
    assert (group.functional_id, group.control_number, group.status, group.accepted_count) == (
        "PR",
        "50",
        "P",
        1,
    )
    good, bad = group.sets
    assert (good.control_number, good.status, good.notes) == ("0009", "A", [])
    assert (bad.control_number, bad.status, bad.codes) == ("0010", "R", ["5"])
    [note] = bad.notes
    assert (note.segment_id, note.position, note.code) == ("PO1", 3, "8")
    [element] = note.elements
    assert (element.position, element.component, element.data_element, element.code, element.value) == (
        3,
        None,
        "355",
        "7",
        "XX",
    )
    assert bad.detail == (
        "rejected (R); one or more segments in error (5); segment PO1 at position 3: segment has data element "
        "errors (8); element 3 (DE 355) invalid code value (7): 'XX'"
    )
    outcomes = {o.reference: o for o in reconcile(out, [ack])}
    assert outcomes["PO1001"].status == ACCEPTED
    assert outcomes["PO7"].status == REJECTED and "invalid code value (7): 'XX'" in outcomes["PO7"].detail


def test_sets_not_listed_take_the_group_status() -> None:
    """``detail: errors``: only failed sets get an AK2; the others are settled by AK9 (P: accepted)."""
    out = write_interchange(ACME, Sequence(), NOW, [build_855(sample_855(), ACME), BROKEN_855])
    ack = read_acks(partner_ack(out, detail="errors")).interchanges[0]
    assert [s.control_number for s in ack.groups[0].sets] == ["0002"]
    assert ack.groups[0].set_status("0001") == "A" and ack.groups[0].set_status("0002") == "R"
    outcomes = reconcile(out, [ack])
    assert [(o.status, o.code) for o in outcomes] == [(ACCEPTED, "A"), (REJECTED, "R")]
    assert outcomes[0].detail == "group partially accepted (P) (set not listed)"


def test_accepted_with_errors_is_settled_as_such() -> None:
    """A tolerated finding (a trailing separator) makes AK5 E: the set was taken, with a note."""
    out = write_interchange(ACME, Sequence(), NOW, [build_855(sample_855(), ACME)])
    text = out.text.replace("CTT*3~", "CTT*3*~")
    tampered = replace(out, text=text)
    [outcome] = reconcile(out, read_acks(partner_ack(tampered)).interchanges)
    assert (outcome.status, outcome.code) == (WITH_ERRORS, "E")
    assert "segment CTT at position 12: segment has data element errors (8)" in outcome.detail


def test_999_round_trip_for_005010(tmp_path: Path) -> None:
    maps = maps_with_5010_outbound(tmp_path)
    broken = TransactionSet("855", [["BAK", "00", "AD", "", "20240501"], *BROKEN_855.segments[1:]], "PO8")
    out = write_interchange(
        NORTHWIND,
        Sequence(gs=60),
        NOW,
        [build_856(sample_856(), NORTHWIND), build_855(sample_855(), NORTHWIND), broken],
    )
    text = partner_ack(out, maps)
    assert "ST|999|" in text and "IK5|R|5" in text
    ack = read_acks(text).interchanges[0]
    assert ack.isa12 == "00501" and ack.sender == ("01", "123456789")
    assert [(g.functional_id, g.control_number, g.version, g.kind, g.status) for g in ack.groups] == [
        ("SH", "60", "005010", "999", "A"),
        ("PR", "61", "005010", "999", "P"),
    ]
    bad = ack.groups[1].find("0003")
    assert bad is not None and bad.status == "R"
    assert [
        (n.segment_id, n.position, n.code, [(e.position, e.data_element, e.code) for e in n.elements])
        for n in bad.notes
    ] == [
        ("BAK", 2, "8", [(3, "324", "1")]),
        ("PO1", 3, "8", [(3, "355", "7")]),
    ]
    statuses = [(o.set_id, o.reference, o.status) for o in reconcile(out, [ack])]
    assert statuses == [("856", "SHP-1", ACCEPTED), ("855", "PO1001", ACCEPTED), ("855", "PO8", REJECTED)]
    # the same partner may ask for a 997 in 005010: AK4 instead of IK4, same reading
    ack997 = read_acks(partner_ack(out, maps, kind="997")).interchanges[0]
    assert {g.kind for g in ack997.groups} == {"997"}
    assert [o.status for o in reconcile(out, [ack997])] == [ACCEPTED, ACCEPTED, REJECTED]


def test_ta1_rejecting_our_interchange_rejects_every_set() -> None:
    out = write_interchange(
        ACME, Sequence(isa=77), NOW, [build_855(sample_855(), ACME), build_856(sample_856(), ACME)]
    )
    broken = replace(out, text=out.text.replace("IEA*2*000000077", "IEA*2*000000078"))
    ack = read_acks(partner_ack(broken)).interchanges[0]
    assert [(t.control_number, t.status, t.note_code) for t in ack.ta1] == [
        ("000000077", "R", "001")
    ] and ack.groups == []
    outcomes = reconcile(out, [ack])
    assert [o.status for o in outcomes] == [REJECTED, REJECTED]
    assert outcomes[0].detail == "interchange rejected (TA1): ISA13 and IEA02 control numbers differ (001)"


def test_only_the_partners_own_acks_count_and_missing_ones_are_pending() -> None:
    out = all_documents(ACME)
    text = partner_ack(out).replace("ZZ*ACMERETAIL     ", "ZZ*SOMEONEELSE    ")
    assert [o.status for o in reconcile(out, read_acks(text).interchanges)] == [PENDING] * 4
    assert [o.detail for o in reconcile(out, [])] == ["no acknowledgment yet"] * 4


def test_reading_is_lenient_and_says_what_did_not_fit() -> None:
    text = (
        "ISA|00|          |00|          |ZZ|ACMERETAIL     |ZZ|COMMERCEHUB    |240502|1105|U|00401|000000001|0|P|:\n"
        "GS|FA|ACMERETAIL|COMMERCEHUB|20240502|1105|1|X|004010\n"
        "ST|997|0001\nAK1|SH|8\nAK2|856|0002\nAK3|LIN|7||8\nAK4|3:2|235|7|ZZ\nZZZ|1\nSE|7|0001\n"
        "GE|1|1\n"
        "GS|PO|ACMERETAIL|COMMERCEHUB|20240502|1105|2|X|004010\nST|850|0001\nBEG|00\nSE|3|0001\nGE|1|2\n"
        "IEA|2|000000001\n"
    )
    ack = read_acks(text.encode()).interchanges[0]
    [group] = ack.groups
    note = group.sets[0].notes[0]
    assert (note.elements[0].position, note.elements[0].component) == (3, 2)
    assert ack.problems == [
        "unexpected segment ZZZ in 997/999 0001",
        "AK2 856 0002 has no AK5/IK5 (997/999 0001)",
        "AK1 SH 8 has no AK9 (997/999 0001)",
        "group 2 is PO, not an acknowledgment group: skipped",
    ]
    assert group.set_status("0002") is None
    assert read_acks(b"not x12").problems and read_acks(b"not x12").interchanges == []
