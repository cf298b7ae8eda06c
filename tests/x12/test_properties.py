"""Whatever a partner sends, nothing escapes as an exception: mutated and random interchanges through the
normaliser, validator, translator and acknowledgment builder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.x12.acks import Sequence, build_acks
from connectors.x12.partners import load_partner
from connectors.x12.translate import translate_orders
from connectors.x12.validate import validate_bytes
from tests.x12.cases import BY_NAME

ACME = load_partner(Path(__file__).resolve().parents[2] / "mappings" / "partners" / "acme.yaml")
BASES = [
    BY_NAME[n].data
    for n in (
        "850_4010_valid",
        "850_5010_valid",
        "856_valid",
        "mailbag_two_delimiters",
        "850_bel_separator",
        "850_ebcdic",
        "810_valid",
        "997_valid",
    )
]
NOISE = st.binary(min_size=1, max_size=12) | st.sampled_from(
    [
        b"~",
        b"*",
        b"\n",
        b"ISA",
        b"ST*850*1~",
        b"SE*",
        b"GE*1*",
        b"IEA*",
        b"HL*9*7*I~",
        b"\xc3\xa9",
        b">",
        b"\x07",
        b"~~",
    ]
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "replace", "truncate", "swap", "duplicate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "delete":
            del data[at : at + draw(st.integers(1, 20))]
        elif kind == "insert":
            data[at:at] = draw(NOISE)
        elif kind == "replace" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del data[at:]
        else:
            segments = bytes(data).split(b"~")
            if len(segments) > 3:
                i, j = draw(st.integers(0, len(segments) - 1)), draw(st.integers(0, len(segments) - 1))
                if kind == "swap":
                    segments[i], segments[j] = segments[j], segments[i]
                else:
                    segments.insert(j, segments[i])
                data = bytearray(b"~".join(segments))
    return bytes(data)


def run_everything(data: bytes) -> None:
    normalised, result = validate_bytes(data)
    for ic in normalised.interchanges:
        ic.text()
    for order in translate_orders(result, ACME, accepted_only=False):
        order.summary()
    for ack in build_acks(result.interchanges, Sequence(), datetime(2024, 5, 1, 12, 0)):
        assert ack.text.startswith("ISA")
    assert result.status in ("accepted", "accepted_with_errors", "rejected", "unreadable")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_interchanges_never_raise(data: bytes) -> None:
    run_everything(data)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400) | st.builds(lambda tail: b"ISA" + tail, st.binary(max_size=300)))
def test_random_bytes_never_raise(data: bytes) -> None:
    run_everything(data)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ISAGEST*~:>|^\n\r0123456789 N1PO", max_size=300))
def test_x12_looking_text_never_raises(text: str) -> None:
    run_everything(text.encode())
