"""Segments -> X12 text in a partner's syntax. Values are cleaned so that data can never split the document.

A value is what the hub holds (names, PO numbers, addresses typed by people); the partner's delimiters, line
breaks, control characters and anything outside the X12 character set of the interchange version are replaced
by a space, accents are dropped (``é`` -> ``e``), and the result is trimmed (trailing spaces are a finding).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from connectors.x12.mapspec import _CHARS_4010, _CHARS_5010
from connectors.x12.partners import PartnerProfile

Element = str | Sequence[str]  # a plain value, or a composite given as its components


@dataclass(frozen=True, slots=True)
class Syntax:
    """What we write: the four delimiters, what follows each terminator, and the ISA12 (for the character set)."""

    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str = "^"
    line_ending: str = "\n"
    isa12: str = "00401"

    @classmethod
    def of(cls, profile: PartnerProfile) -> Syntax:
        d = profile.delimiters
        ending = "" if d.segment in "\r\n" else d.line_ending
        return cls(d.element, d.component, d.segment, d.repetition, ending, profile.interchange.isa12)

    @property
    def isa11(self) -> str:
        """ISA11: the repetition separator from 00402 on, 'U' (US EDI community) before."""
        return self.repetition if self.isa12 >= "00402" else "U"


class SegmentWriter:
    """Joins segments with one syntax; ``clean`` is the only way a value gets into the text."""

    def __init__(self, syntax: Syntax) -> None:
        self.syntax = syntax
        chars = _CHARS_5010 if syntax.isa12 >= "00500" else _CHARS_4010
        allowed_class = re.compile(f"[{chars}]")
        delimiters = {syntax.element, syntax.component, syntax.segment, syntax.repetition}
        allowed = [chr(c) for c in range(32, 127) if allowed_class.match(chr(c)) and chr(c) not in delimiters]
        self._bad = re.compile("[^" + "".join(re.escape(c) for c in allowed) + "]+")
        self.lines: list[str] = []
        self._seen: dict[str, str] = {}  # value -> cleaned: codes, qualifiers and quantities repeat a lot

    def clean(self, value: str) -> str:
        """The value with every character that is a delimiter or not allowed in X12 text made a space."""
        if not value.isascii():
            value = fold(value)
        if self._bad.search(value) is not None:
            value = self._bad.sub(" ", value)
        return value.strip()

    def render(self, values: Sequence[Element]) -> str:
        """One segment (id first) as text, trailing empty elements and components dropped."""
        clean, sep, seen = self.clean, self.syntax.element, self._seen
        out = [values[0]]
        for value in values[1:]:
            if isinstance(value, str):
                cleaned = seen.get(value)
                if cleaned is None:
                    cleaned = seen[value] = clean(value)
                out.append(cleaned)
            else:
                parts = [clean(p) for p in value]
                while parts and not parts[-1]:
                    parts.pop()
                out.append(self.syntax.component.join(parts))
        while len(out) > 1 and not out[-1]:
            out.pop()
        return sep.join(out)

    def add(self, values: Sequence[Element]) -> None:
        self.lines.append(self.render(values))

    def add_raw(self, values: Sequence[str]) -> None:
        """A segment whose values are already exact (the ISA: fixed widths, the component separator as data)."""
        self.lines.append(self.syntax.element.join(values))

    def text(self) -> str:
        end = self.syntax.segment + self.syntax.line_ending
        return end.join(self.lines) + end


def fold(value: str) -> str:
    """ASCII transliteration: accents dropped, anything else that is not ASCII becomes a space."""
    decomposed = unicodedata.normalize("NFKD", value)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept if kept.isascii() else "".join(c if c.isascii() else " " for c in kept)
