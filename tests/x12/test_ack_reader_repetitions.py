"""005010 repetition separator (ISA11): the validator splits repeated elements instead of taking the separator
for text, the 999 names the repetition (IK401-3), and the ack reader reads it back."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

from connectors.x12.acks import Sequence, build_ack
from connectors.x12.mapspec import MAPS_DIR
from connectors.x12.outbound import read_acks
from connectors.x12.validate import validate_bytes
from tests.x12.builders import envelope, po_850, render


def po_5010(ref02: str, cur02: str = "USD") -> bytes:
    body = po_850()
    body[1] = ["CUR", "BY", cur02]
    body[2] = ["REF", "DP", ref02]
    return render(envelope([body], gs08="005010", isa12="00501", isa11="^")).encode()


def findings(data: bytes, **kw: object) -> list[tuple[str | None, int | None, int | None, str, str]]:
    _, result = validate_bytes(data, **kw)  # type: ignore[arg-type]
    return [
        (f.segment, f.element, f.repetition, f.code, f.kind)
        for _, _, t in result.transactions()
        for f in t.errors
    ]


def test_a_repetition_in_a_non_repeating_element_is_too_many_repetitions() -> None:
    assert findings(po_5010("042")) == []
    # before the fix "042^043" passed as text (^ is a 005010 character) and "USD^CAD" was "too long"
    assert findings(po_5010("042^043")) == [("REF", 2, None, "12", "too_many_repetitions")]
    assert findings(po_5010("042", "USD^CAD")) == [("CUR", 2, None, "12", "too_many_repetitions")]
    assert findings(po_5010("042", "USD^XX")) == [
        ("CUR", 2, None, "12", "too_many_repetitions"),
        ("CUR", 2, 2, "4", "too_short"),
        ("CUR", 2, 2, "7", "invalid_code"),
    ]


def test_in_004010_the_caret_is_not_a_separator() -> None:
    body = po_850()
    body[2] = ["REF", "DP", "042^043"]
    data = render(envelope([body])).encode()
    assert findings(data) == [("REF", 2, None, "6", "invalid_character")]


def test_repeatable_elements_are_checked_per_repetition(tmp_path: Path) -> None:
    """A map element with ``<repeat>3</repeat>`` (pyx12's form) takes up to three repetitions, each checked."""
    maps = tmp_path / "maps"
    shutil.copytree(MAPS_DIR, maps)
    xml = (maps / "850.5010.xml").read_text()
    (maps / "850.5010.xml").write_text(re.sub(r'(<element xid="REF02">)', r"\1<repeat>3</repeat>", xml))
    assert findings(po_5010("A^B^C"), maps=maps) == []
    assert findings(po_5010("A^B^C^D"), maps=maps) == [("REF", 2, None, "12", "too_many_repetitions")]
    assert findings(po_5010("A^" + "X" * 51), maps=maps) == [("REF", 2, 2, "5", "too_long")]
    assert findings(po_5010("A^B^C"), maps=MAPS_DIR) == [("REF", 2, None, "12", "too_many_repetitions")]


def test_the_999_names_the_repetition_and_the_reader_reads_it() -> None:
    _, result = validate_bytes(po_5010("042^043", "USD^XX"))
    ack = build_ack(result.interchanges[0], Sequence(), datetime(2024, 5, 1, 12, 0))
    assert ack is not None
    lines = ack.text.split("~\n")
    assert (
        "IK4*2*100*7*XX" not in lines and "IK4*2>>2*100*7*XX" in lines
    )  # C030: element, component, repetition
    assert "IK4*2*127*12*042043" in lines  # the copy of bad data never carries a delimiter
    [ic] = read_acks(ack.text).interchanges
    [txn] = ic.groups[0].sets
    notes = {
        n.segment_id: [(e.position, e.component, e.repetition, e.code) for e in n.elements] for n in txn.notes
    }
    assert notes == {
        "CUR": [(2, None, None, "12"), (2, None, 2, "4"), (2, None, 2, "7")],
        "REF": [(2, None, None, "12")],
    }
    assert "element 2 repetition 2 (DE 100) invalid code value (7): 'XX'" in txn.detail
