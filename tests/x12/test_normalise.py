"""The normaliser: what partners really send becomes one predictable shape, and bad files become problems."""

from __future__ import annotations

import pytest

from connectors.x12.normalise import normalise
from tests.x12.builders import envelope, po_850, render
from tests.x12.cases import BY_NAME, VALID_850

REFERENCE = normalise(VALID_850).interchanges[0]


@pytest.mark.parametrize(
    ("case", "element", "component", "segment"),
    [
        ("850_4010_valid", "*", ">", "~"),
        ("850_lf_terminator", "*", ">", "\n"),
        ("850_crlf", "*", ">", "~"),
        ("850_cr_terminator", "*", ">", "\r"),
        ("850_quote_terminator", "*", ">", "'"),
        ("850_bel_separator", "\x07", ">", "~"),
        ("850_pipe_separator", "|", "^", "~"),
        ("850_del_separator", "\x7f", ">", "\x15"),
        ("850_ebcdic", "*", ">", "\n"),
    ],
)
def test_delimiters_come_from_the_isa_and_segments_are_the_same(
    case: str, element: str, component: str, segment: str
) -> None:
    result = normalise(BY_NAME[case].data)
    assert result.problems == []
    (ic,) = result.interchanges
    assert (ic.delimiters.element, ic.delimiters.component, ic.delimiters.segment) == (
        element,
        component,
        segment,
    )
    body = [tuple(v.replace(component, ">") for v in seg) for seg in ic.segments[1:]]
    assert body == list(REFERENCE.segments[1:])


def test_crlf_suffix_is_remembered_for_the_answer() -> None:
    (ic,) = normalise(BY_NAME["850_crlf"].data).interchanges
    assert ic.delimiters.suffix == "\r\n"


@pytest.mark.parametrize(("isa12", "isa11"), [("00400", "U"), ("00403", "^"), ("00305", "U")])
def test_isa12_variants_are_read_as_00401_and_the_original_is_kept(isa12: str, isa11: str) -> None:
    (ic,) = normalise(render(envelope([po_850()], isa12=isa12, isa11=isa11))).interchanges
    assert ic.version == "00401" and ic.isa12 == isa12
    assert ic.isa[11] == "U"
    assert ic.delimiters.repetition == ("^" if isa12 >= "00402" else None)
    assert any("ISA12" in n for n in ic.notes)


def test_ebcdic_code_pages_are_told_apart_by_their_characters() -> None:
    assert normalise(BY_NAME["850_ebcdic"].data).encoding == "cp037"
    result = normalise(BY_NAME["850_ebcdic_cp500"].data)
    assert result.encoding == "cp500" and result.interchanges[0].delimiters.element == "|"


def test_latin1_is_transliterated_for_validation_and_kept_for_translation() -> None:
    result = normalise(BY_NAME["850_latin1"].data)
    assert result.encoding == "latin-1"
    (ic,) = result.interchanges
    index = next(i for i, s in enumerate(ic.segments) if s[0] == "N1")
    assert ic.segments[index][2] == "MULLER CAFE"
    assert ic.original(index, 2) == "MÜLLER CAFÉ"
    assert ic.text().isascii()


def test_mailbag_with_different_delimiters_gives_two_interchanges() -> None:
    result = normalise(BY_NAME["mailbag_two_delimiters"].data)
    assert result.problems == []
    first, second = result.interchanges
    assert (first.delimiters.element, first.delimiters.segment) == ("*", "~")
    assert (second.delimiters.element, second.delimiters.segment, second.delimiters.component) == (
        "|",
        "\r",
        ":",
    )
    assert first.control_number == "000000101" and second.control_number == "000000102"
    assert first.terminated and second.terminated


def test_empty_segments_and_blank_lines_are_skipped_with_a_note() -> None:
    (ic,) = normalise(BY_NAME["850_empty_segments"].data).interchanges
    assert len(ic.segments) == len(REFERENCE.segments)
    assert any("empty segment" in n for n in ic.notes)
    assert normalise(BY_NAME["850_leading_blank_lines"].data).interchanges[0].segments == REFERENCE.segments


def test_unpadded_isa_is_padded() -> None:
    (ic,) = normalise(BY_NAME["850_unpadded_isa"].data).interchanges
    assert ic.isa[6] == "ACMERETAIL     " and len(ic.text().split("\n")[0]) == 106


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"  \r\n\n", "empty"),
        (bytes(range(256)) * 4, "binary"),
        (b"\x00\x00ISA", "truncated"),
        (b"hello, world\n", "no_isa"),
        (VALID_850[:60], "truncated"),
        (b"ISA1", "bad_isa"),
    ],
)
def test_unreadable_input_is_a_problem_not_an_exception(data: bytes, code: str) -> None:
    result = normalise(data)
    assert not result.readable
    assert [p.code for p in result.problems] == [code]


def test_truncated_interchange_is_kept_and_marked() -> None:
    (ic,) = normalise(VALID_850[: len(VALID_850) // 2]).interchanges
    assert not ic.terminated
    assert any("no terminator" in n for n in ic.notes)


def test_garbage_between_interchanges_is_reported() -> None:
    result = normalise(VALID_850 + b"JUNK JUNK\n" + VALID_850.replace(b"000000101", b"000000102"))
    assert len(result.interchanges) == 2
    assert [p.code for p in result.problems] == ["garbage"]


def test_text_for_pyx12_uses_printable_delimiters() -> None:
    (ic,) = normalise(BY_NAME["850_bel_separator"].data).interchanges
    text = ic.text()
    assert "\x07" not in text and text.startswith("ISA*") and len(text.split("\n")[0]) == 106
