"""Content checks of one segment against its map node: elements, composites and syntax notes.

The rules and their order are pyx12's (``segment_if/composite_if/element_if.is_valid_errors``) so the two
validators agree; the difference is speed: a value that matches its element's precompiled pattern is accepted
without running the detailed checks, which only run to explain a failure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from connectors.x12.mapspec import CompositeSpec, ElementSpec, SegmentSpec
from connectors.x12.x12types import valid_date, valid_time

_CONTROL = re.compile("[\x01-\x07\x09-\x0d\x11-\x17\x1c-\x1f]")
_CONTROL_NAMES = {
    "\x07": "BEL",
    "\x09": "HT",
    "\x0a": "LF",
    "\x0b": "VT",
    "\x0c": "FF",
    "\x0d": "CR",
    "\x1c": "FS",
    "\x1d": "GS",
    "\x1e": "RS",
    "\x1f": "US",
}
_N = re.compile(r"-?[0-9]+")
_R = re.compile(r"-?[0-9]*(\.[0-9]+)?")


@dataclass(slots=True)
class ElementIssue:
    """One problem in a segment's content; ``element`` is None for segment-level syntax notes."""

    code: str
    message: str
    element: int | None = None
    component: int | None = None
    data_element: str | None = None
    value: str | None = None
    kind: str = ""
    repetition: int | None = None  # 1-based repetition of a repeated element (AK401-3 / IK401-3)


def check_segment(spec: SegmentSpec, elements: Sequence[str], component: str) -> list[ElementIssue]:
    """All content problems of one segment, in pyx12's order. Empty list = valid."""
    issues: list[ElementIssue] = []
    children = spec.children
    count = len(children)
    present = len(elements) - 1
    if present > count:
        message = f"{spec.id} has {present} elements, at most {count} are defined"
        issues.append(
            ElementIssue("3", message, count + 1, None, None, elements[count + 1], "too_many_elements")
        )
    last = present if present < count else count
    i = 0
    for ok, value in zip(spec.accept, elements[1:], strict=False):
        i += 1
        if value:
            if ok is not None and ok(value) and component not in value:
                continue
        elif i - 1 not in spec.required:
            continue
        child = children[i - 1]
        if type(child) is ElementSpec:
            issues += _element(child, value, component, i)
        else:
            issues += _composite(child, value, component, i)
    for i in spec.required_order:
        if i >= last:
            child = children[i]
            if type(child) is ElementSpec:
                issues += _element(child, "", component, i + 1)
            else:
                issues += _composite(child, None, component, i + 1)
    n = len(elements)
    for rule, positions, low in spec.syntax:
        if low > present and rule != "R":
            continue
        hits, first = 0, False
        for p in positions:
            if p < n:
                v = elements[p]
                if v and (component not in v or v.strip(component)):
                    hits += 1
                    first = first or p == positions[0]
        size = len(positions)
        if (
            (rule == "P" and 0 < hits < size)
            or (rule == "R" and hits == 0)
            or (rule == "E" and hits > 1)
            or (rule == "C" and first and hits < size)
            or (rule == "L" and first and hits == 1)
        ):
            issue = _syntax(spec.id, rule, positions, elements, component)
            if issue is not None:
                issues.append(issue)
    return issues


def split_repetitions(
    spec: SegmentSpec, elements: Sequence[str], component: str, repetition: str
) -> tuple[tuple[str, ...], list[ElementIssue]]:
    """005010 repeated elements (ISA11 separator): more repetitions than the map allows is code 12, every
    repetition after the first is checked on its own; returns the segment with each element's first repetition
    (for ``check_segment``) and the findings about the others. A separator in a non-repeating element is data
    that cannot be data: it is reported as too many repetitions, never accepted as text."""
    out = list(elements)
    issues: list[ElementIssue] = []
    children = spec.children
    for i in range(1, min(len(elements), len(children) + 1)):
        value = elements[i]
        if repetition not in value:
            continue
        child = children[i - 1]
        parts = value.split(repetition)
        out[i] = parts[0]
        if len(parts) > child.repeat:
            message = f"{child.refdes} ({child.name}) has {len(parts)} repetitions, at most {child.repeat}"
            issues.append(ElementIssue("12", message, i, None, child.number, value, "too_many_repetitions"))
        for n, part in enumerate(parts[1:], 2):
            if type(child) is ElementSpec:
                found = _element(child, part, component, i)
            else:
                found = _composite(child, part, component, i)
            for issue in found:
                issue.repetition = n
            issues += found
    return tuple(out), issues


def _element(child: ElementSpec, value: str, component: str, position: int) -> list[ElementIssue]:
    if value:
        problems = element_problems(child, value, component)
    else:
        problems = [("1", f"{child.refdes} ({child.name}) is required but missing", "missing")]
    return [
        ElementIssue(code, message, position, None, child.number, value or None, kind)
        for code, message, kind in problems
    ]


def element_problems(spec: ElementSpec, value: str, component: str) -> list[tuple[str, str, str]]:
    """(AK403 code, message, kind) for a non-empty value, in pyx12's order."""
    label = f"{spec.refdes} ({spec.name})"
    if component in value:
        return [
            ("6", f"{label} is a simple element but contains the component separator: '{value}'", "composite")
        ]
    if spec.usage == "N":
        return [("10", f"{label} is not used but has a value", "not_used")]
    out: list[tuple[str, str, str]] = []
    dtype = spec.dtype
    length = len(value)
    if dtype == "R" or dtype[:1] == "N":
        length -= value.count("-") + value.count(".")
    if length < spec.min_len:
        out.append(
            (
                "4",
                f"{label} is too short: '{value}' has {length} characters, minimum {spec.min_len}",
                "too_short",
            )
        )
    if length > spec.max_len:
        out.append(
            (
                "5",
                f"{label} is too long: '{value}' has {length} characters, maximum {spec.max_len}",
                "too_long",
            )
        )
    control = _CONTROL.search(value)
    if control:
        name = _CONTROL_NAMES.get(control.group(), f"0x{ord(control.group()):02X}")
        out.append(("6", f"{label} contains the control character <{name}>", "control_character"))
        return out
    if dtype in ("AN", "ID") and value[-1] == " " and len(value.rstrip()) >= spec.min_len:
        out.append(("6", f"{label} has trailing spaces: '{value}'", "trailing_spaces"))
    if spec.codes is not None and value not in spec.codes:
        out.append(("7", f"'{value}' is not a valid code for {label}", "invalid_code"))
    if not valid_type(value, dtype, spec):
        if dtype in ("DT", "D8", "D6", "RD8"):
            out.append(("8", f"{label} is not a valid date: '{value}'", "invalid_date"))
        elif dtype == "TM":
            out.append(("9", f"{label} is not a valid time: '{value}'", "invalid_time"))
        else:
            out.append(
                ("6", f"{label} has characters not allowed in type {dtype}: '{value}'", "invalid_character")
            )
    if spec.regex is not None and not spec.regex.search(value):
        out.append(("7", f"{label} does not match the pattern {spec.regex.pattern}: '{value}'", "pattern"))
    return out


def valid_type(value: str, dtype: str, spec: ElementSpec | None = None) -> bool:
    """pyx12.validation.IsValidDataType with the map's character set."""
    if dtype[:1] == "N":
        return _N.fullmatch(value) is not None
    if dtype == "R":
        return _R.fullmatch(value) is not None
    if dtype in ("AN", "ID"):
        return spec is None or spec.bad_char is None or spec.bad_char.search(value) is None
    if dtype in ("DT", "D8", "D6"):
        return valid_date(value, dtype)
    if dtype == "TM":
        return valid_time(value)
    return True


def _composite(spec: CompositeSpec, value: str | None, component: str, position: int) -> list[ElementIssue]:
    parts = value.split(component) if value is not None else None
    empty = parts is None or all(p == "" for p in parts)
    if empty and spec.usage in ("N", "S"):
        return []
    label = f"{spec.refdes} ({spec.name})"
    if spec.usage == "R" and empty:
        return [
            ElementIssue(
                "1",
                f"{label} is required but missing",
                position,
                None,
                spec.number,
                None,
                "composite_missing",
            )
        ]
    assert parts is not None
    if spec.usage == "N":
        return [
            ElementIssue(
                "10",
                f"{label} is not used but has a value",
                position,
                None,
                spec.number,
                value,
                "composite_not_used",
            )
        ]
    issues: list[ElementIssue] = []
    subs = spec.elements
    if len(parts) > len(subs):
        issues.append(
            ElementIssue(
                "3",
                f"{label} has {len(parts)} components, at most {len(subs)}",
                position,
                len(subs) + 1,
                spec.number,
                value,
                "too_many_components",
            )
        )
    for j, sub in enumerate(subs):
        part = parts[j] if j < len(parts) else ""
        if part:
            problems = element_problems(sub, part, "\x00")
        elif sub.optional_when_empty:
            continue
        else:
            problems = [("1", f"{sub.refdes} ({sub.name}) is required but missing", "missing")]
        for code, message, kind in problems:
            issues.append(ElementIssue(code, message, position, j + 1, sub.number, part or None, kind))
    return issues


def _syntax(
    seg_id: str, rule: str, positions: tuple[int, ...], elements: Sequence[str], component: str
) -> ElementIssue | None:
    """X12 syntax notes: P paired, R required, E exclusion, C conditional, L list conditional."""
    n = len(elements)

    def has(p: int) -> bool:
        if p >= n:
            return False
        v = elements[p]
        return v != "" and (component not in v or v.strip(component) != "")

    there = [p for p in positions if has(p)]
    rest = positions[1:]
    message = ""
    at = 0
    if rule == "P" and there and len(there) != len(positions):
        at = next(p for p in positions if not has(p))
        message = "if any is present all are required"
    elif rule == "R" and not there:
        at, message = positions[0], "at least one is required"
    elif rule == "E" and len(there) > 1:
        at, message = there[1], "at most one may be present"
    elif rule == "C" and has(positions[0]) and not all(has(p) for p in rest):
        at = next(p for p in rest if not has(p))
        message = f"{seg_id}{positions[0]:02d} is present so {seg_id}{at:02d} is required"
    elif rule == "L" and has(positions[0]) and not any(has(p) for p in rest):
        at, message = rest[0], f"{seg_id}{positions[0]:02d} is present so one of the others is required"
    if not message:
        return None
    names = ", ".join(f"{seg_id}{p:02d}" for p in positions)
    return ElementIssue("10" if rule == "E" else "2", f"{names} ({rule}): {message}", at, kind="syntax")
