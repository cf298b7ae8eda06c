"""Custom rule functions shipped with the hub (referenced from mappings by dotted name)."""

from __future__ import annotations

import re
from typing import Any

_DIGITS = re.compile(r"^\d{8}$|^\d{12,14}$")


def gtin_check_digit(record: dict[str, Any]) -> str | None:
    """GTIN-8/12/13/14 with a valid GS1 mod-10 check digit."""
    gtin = record.get("gtin")
    if not gtin:
        return None
    text = str(gtin)
    if not _DIGITS.match(text):
        return f"gtin '{text}' must have 8, 12, 13 or 14 digits"
    if text.isascii() and text.isdigit():  # bytes minus 48 are the digits: no int() per digit
        digits = text.encode()
        body, check = digits[-2::-1], digits[-1] - 48
        total = 3 * sum(body[0::2]) + sum(body[1::2]) - 48 * (3 * len(body[0::2]) + len(body[1::2]))
    else:  # other Unicode digits, which \d also matches (the reference computation)
        check = int(text[-1])
        total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(text[:-1])))
    if (10 - total % 10) % 10 != check:
        return f"gtin '{text}' has a wrong check digit"
    return None


def email_shape(record: dict[str, Any]) -> str | None:
    """A plausible e-mail address (one @, a dot in the domain, no spaces)."""
    email = record.get("email")
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", str(email)):
        return f"email '{email}' is not a valid address"
    return None
