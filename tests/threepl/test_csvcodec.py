"""The CSV dialect: hostile values survive exactly, formulas never reach a spreadsheet, faults are located."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.threepl.csvcodec import (
    FORMULA_STARTS,
    FileProblem,
    UnwritableValue,
    neutralise,
    parse,
    render,
    restore,
)

HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    "+1 555 0100",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "'=already quoted",
    "'",
    "''",
    'say "hi", then leave',
    "line one\nline two\r\nline three",
    "comma, separated, value",
    "Ünïcödé \u2013 ß ✓ 東京",
    "\uff1d1+1",
]
# Values a CSV file can carry: no control characters except tab, CR and LF.
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="".join(map(chr, range(32))) + "\x7f")
    | st.sampled_from(["\t", "\r", "\n", "'", "=", '"', ","]),
    max_size=30,
)


def cells_as_written(data: bytes) -> list[list[str]]:
    """What a spreadsheet would see: the raw cells, before the hub's reader restores them."""
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_value_round_trips_and_is_inert_in_a_spreadsheet(value: str) -> None:
    data = render(["id", "value"], [["1", value]])
    table = parse(data, ["id", "value"])
    assert table.rows[0].cells["value"] == value
    raw = cells_as_written(data)[1][1]
    assert raw[0] not in FORMULA_STARTS
    assert len(cells_as_written(data)) == 2  # line breaks inside the value did not make new rows


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=5))
def test_any_text_round_trips(rows: list[tuple[str, str]]) -> None:
    data = render(["a", "b"], [["x" + a, b] for a, b in rows])  # a never empty: blank rows are skipped
    table = parse(data, ["a", "b"])
    assert [(r.cells["a"], r.cells["b"]) for r in table.rows] == [("x" + a, b) for a, b in rows]


@given(TEXT)
def test_restore_undoes_neutralise(value: str) -> None:
    assert restore(neutralise(value)) == value


def test_a_plain_leading_apostrophe_from_the_partner_is_kept() -> None:
    assert restore("'Hello") == "'Hello"
    assert neutralise("'Hello") == "''Hello"


def test_control_characters_are_refused_before_writing() -> None:
    with pytest.raises(UnwritableValue):
        render(["a"], [["nul\x00byte"]])


def problem_of(data: bytes, required: tuple[str, ...] = ("a", "b")) -> str:
    with pytest.raises(FileProblem) as caught:
        parse(data, required)
    return str(caught.value)


def test_faults_are_located_by_line_and_column() -> None:
    assert problem_of(b"") == "the file is empty"
    assert problem_of(b"a,b\r\n1,2\r\n3,") == "line 3: truncated: the last record has no line break"
    assert problem_of(b'a,b\r\n1,2\r\n3,"ab\r\n') == "line 3: truncated: the file ends inside a quoted value"
    assert "line 3: 3 values, the header has 2 columns" == problem_of(b"a,b\r\n1,2\r\n3,4,5\r\n")
    assert problem_of(b"a,c\r\n1,2\r\n").startswith("line 1: bad header: missing column(s) b")
    assert (
        problem_of(b"a,b\r\n1,2\r\n3,\xe94\r\n")
        == "line 3, column 3: not UTF-8 text: byte 0xe9 cannot be decoded"
    )
    assert problem_of(b"a,b\r\n1,\x002\r\n").startswith("line 2, column 3: binary data")
    assert problem_of(b"a,b\r\n\r\n") == "line 2: no data rows after the header"
    assert "duplicate column 'a'" in problem_of(b"a,b,a\r\n1,2,3\r\n")


def test_header_order_is_free_extra_columns_ignored_bom_and_lf_accepted() -> None:
    table = parse(b"\xef\xbb\xbfextra,b,a\n9,2,1\n\n", ["a", "b"])
    assert [r.cells for r in table.rows] == [{"b": "2", "a": "1"}]
    assert table.rows[0].line == 2
