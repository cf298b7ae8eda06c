"""The 3PL CSV dialect: RFC 4180 quoting, UTF-8, CRLF, and formula neutralisation that reverses exactly.

Spreadsheets run a cell that starts with ``= + - @`` (or tab / CR) as a formula, and 3PL staff open these files
in spreadsheets. Such values are written with a leading apostrophe, the usual neutraliser; a value that
itself starts with an apostrophe gets one too, so reading strips exactly one and every value comes back as
it was sent. Reading is strict: a file that cannot be read completely yields problems, never partial rows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")  # ASCII and full-width forms
NEUTRALISER = "'"
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # control characters other than \t \n \r


class UnwritableValue(ValueError):
    """A value that no CSV reader could get back intact (control characters such as NUL)."""


def neutralise(value: str) -> str:
    """The value as written: prefixed with an apostrophe when a spreadsheet would run it or strip one."""
    if value and (value[0] in FORMULA_STARTS or value[0] == NEUTRALISER):
        return NEUTRALISER + value
    return value


def restore(cell: str) -> str:
    """Undo ``neutralise``: strip one apostrophe, but only where ``neutralise`` would have put one."""
    if len(cell) > 1 and cell[0] == NEUTRALISER and (cell[1] in FORMULA_STARTS or cell[1] == NEUTRALISER):
        return cell[1:]
    return cell


def render(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """Header plus rows as UTF-8 CSV with CRLF line ends; every cell neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for row in rows:
        for value in row:
            if _FORBIDDEN.search(value):
                raise UnwritableValue(f"value {value!r} holds control characters a CSV file cannot carry")
        writer.writerow([neutralise(value) for value in row])
    return buffer.getvalue().encode("utf-8")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, located as precisely as the fault allows (1-based line and column)."""

    message: str
    line: int | None = None
    column: int | None = None
    column_name: str | None = None

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}" + (f" ({self.column_name})" if self.column_name else ""))
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass(frozen=True)
class Row:
    """A data row by column name, with the file line it starts on."""

    line: int
    cells: dict[str, str]


@dataclass
class Table:
    header: list[str]
    rows: list[Row] = field(default_factory=list)

    def position(self, name: str) -> int:
        """1-based column number of ``name`` (for problem reports)."""
        return self.header.index(name) + 1


class FileProblem(Exception):
    """The file cannot be read as a table at all (binary, truncated, bad header...)."""

    def __init__(self, *problems: Problem, kind: str | None = None) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems, self.kind = list(problems), kind


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM is tolerated); binary or undecodable data is a located problem."""
    if not data.strip():
        raise FileProblem(Problem("the file is empty"))
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _locate(data, nul)
        raise FileProblem(Problem("binary data: NUL byte (this is not a CSV text file)", line, column))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _locate(data, exc.start)
        raise FileProblem(
            Problem(f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded", line, column)
        ) from None
    bad = _FORBIDDEN.search(text)
    if bad:
        line, column = _locate(text, bad.start())
        raise FileProblem(Problem(f"binary data: control character {bad.group()!r}", line, column))
    return text


def parse(data: bytes, required: Sequence[str], optional: Sequence[str] = ()) -> Table:
    """Decode, check the header against the kind's columns, and split rows; any fault raises FileProblem.

    Column order is free; unknown extra columns are ignored; blank lines are skipped. A file whose last
    record has no line break, or ends inside a quoted value, is truncated.
    """
    text = decode(data)
    if not text.endswith(("\n", "\r")):
        line = text.count("\n") + 1
        raise FileProblem(Problem("truncated: the last record has no line break", line))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise FileProblem(Problem(f"header is not valid CSV: {exc}", 1)) from None
    table = Table(header)
    _check_header(header, required, optional)
    known = set(required) | set(optional)
    start = reader.line_num + 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                raise FileProblem(Problem(f"{len(cells)} values, the header has {len(header)} columns", line))
            values = {n: restore(c) for n, c in zip(header, cells, strict=True) if n in known}
            table.rows.append(Row(line, values))
    except csv.Error as exc:
        message = str(exc)
        if "unexpected end of data" in message:
            message = "truncated: the file ends inside a quoted value"
        raise FileProblem(Problem(message, start)) from None
    if not table.rows:
        raise FileProblem(Problem("no data rows after the header", 2))
    return table


def _check_header(header: list[str], required: Sequence[str], optional: Sequence[str]) -> None:
    problems = []
    seen: set[str] = set()
    for index, name in enumerate(header, 1):
        if not name:
            problems.append(Problem("empty column name", 1, index))
        elif name in seen:
            problems.append(Problem(f"duplicate column {name!r}", 1, index, name))
        seen.add(name)
    missing = [name for name in required if name not in seen]
    if missing:
        problems.append(
            Problem(f"bad header: missing column(s) {', '.join(missing)}; found {', '.join(header)}", 1)
        )
    if problems:
        raise FileProblem(*problems)


def _locate(data: bytes | str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` (bytes for undecodable data, characters otherwise)."""
    newline = b"\n" if isinstance(data, bytes) else "\n"
    before = data[:offset]
    line = before.count(newline) + 1  # type: ignore[arg-type]
    column = offset - (before.rfind(newline) + 1)  # type: ignore[arg-type]
    return line, column + 1
