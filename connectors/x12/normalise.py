"""Bytes from a partner -> interchanges in one predictable form.

Partners send X12 with any delimiters, encodings (ASCII, UTF-8, latin-1, EBCDIC), terminators (``~``, CR, LF,
CRLF, ``'``, 0x15), padded or unpadded ISA headers, ISA12 versions pyx12 does not know, blank lines and several
interchanges in one file ("mailbag"). Everything downstream (validator, translators, pyx12 as a reference)
wants one shape: a list of segments, each a list of element strings, plus the delimiters the partner used so the
acknowledgment can answer in kind. Problems with the file itself are returned as data, never raised.
"""

from __future__ import annotations

import gc
import re
import string
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

ISA_WIDTHS = (3, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
_WS = " \t\r\n\x85\x00"
_EBCDIC_ISA = b"\xc9\xe2\xc1"
_EBCDIC_WS = b"\x40\x15\x25\x0d\x05"
_SAFE_ELEMENT = "*|^!+"
_SAFE_COMPONENT = ":>\\<}!"
_SAFE_SEGMENT = "~'`{"
_PYX12_SAFE_COMPONENT = frozenset("!\"&'()*+,-./:;?=%~@[]_{}\\|<>#$")  # characters pyx12 accepts in ISA16
_X12_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 !\"&'()*+,-./:;?=%~@[]_{}\\|<>#$^`"
)


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four X12 delimiters plus what followed each segment terminator (``\\n``, ``\\r\\n`` or nothing)."""

    element: str = "*"
    component: str = ":"
    segment: str = "~"
    repetition: str | None = None
    suffix: str = ""


@dataclass(slots=True)
class Problem:
    """Something wrong with the file as a whole (not with the X12 inside it)."""

    code: str
    message: str
    offset: int | None = None


@dataclass(slots=True)
class Interchange:
    """One ISA..IEA envelope. ``segments[i]`` is ``[segment id, element 1, element 2, ...]``; composite elements
    keep their component separator (``delimiters.component``) inside the value. Values are ASCII: characters
    outside it are transliterated, and ``originals`` keeps what the partner really sent."""

    segments: list[tuple[str, ...]]
    delimiters: Delimiters
    encoding: str
    isa12: str
    offset: int
    terminated: bool = True
    notes: list[str] = field(default_factory=list)
    originals: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def isa(self) -> tuple[str, ...]:
        return self.segments[0]

    @property
    def version(self) -> str:
        """The ISA12 the maps know (00401 or 00501); ``isa12`` keeps what was sent."""
        return self.isa[12] if len(self.isa) > 12 else ""

    @property
    def control_number(self) -> str:
        return self.isa[13] if len(self.isa) > 13 else ""

    @property
    def sender(self) -> tuple[str, str]:
        return (self.isa[5], self.isa[6].strip()) if len(self.isa) > 6 else ("", "")

    @property
    def receiver(self) -> tuple[str, str]:
        return (self.isa[7], self.isa[8].strip()) if len(self.isa) > 8 else ("", "")

    def original(self, index: int, element: int) -> str:
        """The element as the partner sent it (before transliteration)."""
        value = self.segments[index][element]
        return self.originals.get((index, element), value)

    def text(self) -> str:
        """The interchange serialised for pyx12: printable ASCII delimiters, ``~`` + newline per segment."""
        d = self.delimiters
        used: set[str] | None = None

        def pick(current: str, candidates: str, taken: set[str]) -> str:
            nonlocal used
            if current.isascii() and current.isprintable() and not current.isalnum() and current != " ":
                if current not in taken:
                    return current
            if used is None:
                used = set().union(*(set(v) for seg in self.segments for v in seg[1:]))
            for c in candidates + string.punctuation:
                if c not in used and c not in taken and c not in "\\":
                    return c
            raise ValueError("every delimiter candidate occurs in the data")  # pragma: no cover

        element = pick(d.element, _SAFE_ELEMENT, set())
        component = d.component if d.component in _PYX12_SAFE_COMPONENT else "\x00"
        component = pick(component, _SAFE_COMPONENT, {element})
        segment = pick(d.segment, _SAFE_SEGMENT, {element, component})
        lines = []
        for i, seg in enumerate(self.segments):
            values: Sequence[str] = seg
            if component != d.component:
                values = [v.replace(d.component, component) for v in seg]
            if i == 0 and len(values) > 16:
                values = [*values[:16], component]
            lines.append(element.join(values))
        newline = "" if segment in "\r\n" else "\n"
        return (segment + newline).join(lines) + segment + newline


@dataclass(slots=True)
class Normalised:
    """The result of reading one file: its interchanges and what was wrong with the file itself."""

    interchanges: list[Interchange]
    problems: list[Problem]
    encoding: str | None = None

    @property
    def readable(self) -> bool:
        return bool(self.interchanges)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large acyclic structures (tens of thousands of segment
    tuples, orders): collections triggered by the allocations themselves would otherwise triple the run time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def normalise(data: bytes | str, *, encoding: str | None = None) -> Normalised:
    """Split a file into interchanges; never raises for bad input (problems are returned)."""
    with gc_paused():
        return _normalise(data, encoding)


def _normalise(data: bytes | str, encoding: str | None) -> Normalised:
    if isinstance(data, str):
        text, enc = data, encoding or "text"
    else:
        if not data or not data.strip(b" \t\r\n\x00" + _EBCDIC_WS):
            return Normalised([], [Problem("empty", "the file is empty (no X12 data)")])
        decoded = _decode(data, encoding)
        if isinstance(decoded, Problem):
            return Normalised([], [decoded])
        text, enc = decoded
    if text.startswith("\ufeff"):
        text = text[1:]
    problems: list[Problem] = []
    interchanges: list[Interchange] = []
    pos = _skip_ws(text, 0)
    if pos >= len(text):
        return Normalised([], [Problem("empty", "the file is empty (no X12 data)")], enc)
    while pos < len(text):
        if not text.startswith("ISA", pos):
            nxt = _find_isa(text, pos)
            snippet = text[pos : pos + 20].encode("unicode_escape").decode("ascii")
            if not interchanges and nxt < 0:
                return Normalised([], [_not_x12(text, pos)], enc)
            problems.append(Problem("garbage", f"data that is not X12 at offset {pos}: '{snippet}'", pos))
            if nxt < 0:
                break
            pos = nxt
        result = _read_interchange(text, pos, enc)
        if isinstance(result, Problem):
            problems.append(result)
            break
        interchange, pos = result
        interchanges.append(interchange)
        pos = _skip_ws(text, pos)
    return Normalised(interchanges, problems, enc)


def _decode(data: bytes, encoding: str | None) -> tuple[str, str] | Problem:
    """Pick the encoding: explicit, EBCDIC when the ISA is in EBCDIC, else UTF-8 with latin-1 as fallback."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError) as exc:
            return Problem("encoding", f"cannot decode the file as {encoding}: {exc}")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    start = len(data) - len(data.lstrip(_EBCDIC_WS))
    if data[start : start + 3] == _EBCDIC_ISA:

        def score(codec: str) -> tuple[int, bool]:
            text = data.decode(codec)
            return sum(ch not in _X12_CHARS for ch in text), text[start + 3 : start + 4] not in _SAFE_ELEMENT

        best = min(("cp037", "cp500"), key=score)  # they differ in a few characters: | ! [ ] ^
        return data.decode(best), best
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _not_x12(text: str, pos: int) -> Problem:
    head = text[pos : pos + 512]
    controls = sum(1 for c in head if (c < " " and c not in "\t\r\n") or c == "\x7f")
    if "\x00" in head or controls > len(head) // 10:
        return Problem("binary", f"not an X12 file: binary data at offset {pos}", pos)
    snippet = head[:20].encode("unicode_escape").decode("ascii")
    return Problem("no_isa", f"not an X12 file: no ISA segment found (starts with '{snippet}')", pos)


def _skip_ws(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in _WS:
        pos += 1
    return pos


def _find_isa(text: str, pos: int) -> int:
    """Offset of the next plausible ISA header (``ISA`` followed by a delimiter), or -1."""
    while True:
        pos = text.find("ISA", pos + 1)
        if pos < 0 or pos + 3 >= len(text):
            return -1
        if not text[pos + 3].isalnum() and text[pos + 3] != " ":
            return pos


def _read_interchange(text: str, start: int, enc: str) -> tuple[Interchange, int] | Problem:
    """Read the interchange whose ISA starts at ``start``; returns it and the offset after it."""
    header = _read_isa(text, start)
    if isinstance(header, Problem):
        return header
    isa, delims, body, isa_notes = header
    term, sep = delims.segment, delims.element
    notes: list[str] = []
    trailer = re.compile(re.escape(term) + r"[ \t\r\n\x85]*(IEA|ISA)(?=[^A-Za-z0-9 ])")
    end, cursor = len(text), body
    while True:
        m = trailer.search(text, cursor)
        if not m:
            break
        if m.group(1) == "ISA":
            end = m.start() + len(term)
            break
        stop = text.find(term, m.end())
        if text[m.end()] == sep:
            end = len(text) if stop < 0 else stop + len(term)
            break
        cursor = m.end()
    segments: list[tuple[str, ...]] = [()]
    originals: dict[tuple[int, int], str] = {}
    empty = 0
    parts = text[body:end].split(term)
    last = len(parts) - 1
    for k, part in enumerate(parts):
        part = part.lstrip(_WS)
        if part.endswith(("\r", "\n")):
            part = part.rstrip("\r\n")
        if not part:
            empty += k != last
            continue
        if k == last:
            notes.append(f"no terminator after the last segment ({part[:3]})")
        elements = part.split(sep)
        if not part.isascii():
            index = len(segments)
            for j, value in enumerate(elements):
                if not value.isascii():
                    originals[(index, j)] = value
                    elements[j] = _fold(value)
            notes.append(f"segment {index + 1} ({elements[0]}): non-ASCII characters transliterated")
        segments.append(tuple(elements))
    if empty:
        notes.append(f"{empty} empty segment(s) skipped")
    sent = isa[12]
    if sent not in ("00401", "00501"):
        mapped = "00501" if sent >= "00500" else "00401"
        isa[12] = mapped
        notes.append(f"ISA12 {sent} read as {mapped}")
        if mapped == "00401" and not isa[11].isalnum():
            isa[11] = "U"
    segments[0] = tuple(isa)
    terminated = segments[-1][0] == "IEA"
    return Interchange(segments, delims, enc, sent, start, terminated, isa_notes + notes, originals), end


def _read_isa(text: str, start: int) -> tuple[list[str], Delimiters, int, list[str]] | Problem:
    """Delimiters come from the ISA itself: element separator at offset 3, component separator after the
    16th element separator, segment terminator right after it (works for padded and unpadded headers)."""
    sep = text[start + 3] if start + 3 < len(text) else ""
    if not sep:
        return Problem("truncated", f"the file ends inside the ISA header at offset {start}", start)
    if sep.isalnum() or sep == " ":
        return Problem("bad_isa", f"ISA at offset {start}: '{sep}' cannot be the element separator", start)
    pos = start
    for _ in range(16):
        pos = text.find(sep, pos + 1)
        if pos < 0 or pos - start > 200:
            return Problem(
                "truncated", f"the ISA header at offset {start} is incomplete (fewer than 16 elements)", start
            )
    if pos + 2 >= len(text):
        return Problem(
            "truncated", f"the ISA header at offset {start} is incomplete (no segment terminator)", start
        )
    component, term = text[pos + 1], text[pos + 2]
    if component.isalnum() or component in (" ", sep):
        return Problem(
            "bad_isa", f"ISA at offset {start}: '{component}' cannot be the component separator", start
        )
    if term.isalnum() or term == " " or term in (sep, component):
        return Problem("bad_isa", f"ISA at offset {start}: no segment terminator after ISA16", start)
    body = pos + 3
    if term == "\r" and text.startswith("\n", body):
        suffix = "\n"
    else:
        stop = body
        while stop < len(text) and stop - body < 2 and text[stop] in "\r\n" and text[stop] != term:
            stop += 1
        suffix = text[body:stop]
    isa = text[start : pos + 2].split(sep)
    if not "".join(isa).isascii():
        isa = [_fold(v) for v in isa]
    notes = []
    for i, width in enumerate(ISA_WIDTHS[:16]):
        if i and len(isa[i]) < width:
            isa[i] = isa[i].rjust(width, "0") if i == 13 else isa[i].ljust(width)
            notes.append(f"ISA{i:02d} padded to {width} characters")
    repetition = isa[11] if isa[12] >= "00402" and not isa[11].isalnum() else None
    return isa, Delimiters(sep, component, term, repetition, suffix), body, notes


def _fold(value: str) -> str:
    """ASCII transliteration: accents dropped (é -> e), anything else becomes '?'."""
    decomposed = unicodedata.normalize("NFKD", value)
    return (
        "".join(c for c in decomposed if not unicodedata.combining(c))
        .encode("ascii", "replace")
        .decode("ascii")
    )
