"""X12 data types as pyx12 checks them: numbers (N0..N9, R), dates (DT), times (TM), text (AN, ID).

``acceptor`` builds, per map element, a quick yes for a valid value; a no means: run the detailed checks in
``checks.py`` to say why. Dates and times follow pyx12.validation exactly (the differential tests rely on it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache

_REAL = re.compile(r"-?[0-9]*(\.[0-9]+)?").fullmatch


def acceptor(dtype: str, mn: int, mx: int, codes: frozenset[str] | None, chars: str) -> Callable[[str], bool]:
    """A quick yes for a valid non-empty value (no means: run the detailed checks to say why)."""
    if dtype in ("ID", "AN"):
        match = re.compile(f"[{chars}]{{{mn},{mx}}}").fullmatch
        if codes is None:
            return lambda v: match(v) is not None and v[-1] != " "
        return lambda v: v in codes and match(v) is not None and v[-1] != " "
    if dtype[:1] == "N":
        return re.compile(f"-?[0-9]{{{mn},{mx}}}").fullmatch  # type: ignore[return-value]
    if dtype == "R":
        return lambda v: _REAL(v) is not None and mn <= len(v) - v.count("-") - v.count(".") <= mx
    if dtype in ("DT", "D8", "D6"):
        return lambda v: mn <= len(v) <= mx and valid_date(v, dtype)
    if dtype == "TM":
        return lambda v: mn <= len(v) <= mx and valid_time(v)
    return lambda v: False


@lru_cache(maxsize=4096)
def valid_date(value: str, dtype: str = "DT") -> bool:
    """pyx12's date rule: CCYYMMDD (or YYMMDD, CCYYMMDDHHMM), a real calendar date, year 1800 or later."""
    if (dtype == "D8" and len(value) != 8) or (dtype == "D6" and len(value) != 6):
        return False
    if not value.isdigit() or not value.isascii() or len(value) not in (6, 8, 12):
        return False
    full = ("20" if int(value[:2]) < 50 else "19") + value if len(value) == 6 else value
    try:
        date(int(full[:4]), int(full[4:6]), int(full[6:8]))
    except ValueError:
        return False
    return int(full[:4]) >= 1800 and (len(full) != 12 or valid_time(full[8:12]))


def valid_time(value: str) -> bool:
    """pyx12's time rule: HHMM[SS[dd]] with hours 00-23 and minutes/seconds 00-59."""
    if not value.isdigit() or not value.isascii():
        return False
    if value[0:2] > "23" or value[2:4] > "59":
        return False
    return not (len(value) > 4 and (len(value) < 6 or value[4:6] > "59" or len(value) > 8))
