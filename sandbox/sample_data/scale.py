"""A realistic B2B catalogue and customer base of any size, with about 2% deliberate defects.

``generate(folder, products=500, accounts=200)`` writes the same layout as the committed sample
(``pim/product``, ``erp/product``, ``erp/stock``, ``crm/customer``, ``erp/customer``) and returns the
defects it planted, in the shape of ``sandbox.sample_data.DEFECTS``: missing required attributes,
malformed e-mails, duplicate SKUs, inconsistent units, unknown countries, wrong GTIN check digits.
Deterministic for a given seed.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from sandbox.sample_data.catalog import BRANDS, CATEGORIES
from sandbox.sample_data.writers import (
    ERP_PARTY_COLUMNS,
    ERP_PRODUCT_COLUMNS,
    ERP_STOCK_COLUMNS,
    gtin13,
    write_csv,
    write_jsonl,
)

PRODUCT_DEFECTS = (
    "missing name",
    "GTIN check digit wrong",
    "duplicate SKU in the same file",
    "weight unit unknown",
)
ACCOUNT_DEFECTS = ("malformed email", "unknown country")
RULES = {
    "missing name": "product.name.required",
    "GTIN check digit wrong": "product.gtin.check-digit",
    "duplicate SKU in the same file": "product.sku.unique",
    "weight unit unknown": "transform.value_map",
    "malformed email": "customer.email.valid",
    "unknown country": "transform.country",
}
PREFIXES = [
    "Apex",
    "Baxter",
    "Cedar",
    "Delta",
    "Evergreen",
    "Foster",
    "Granite",
    "Harbor",
    "Ironside",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Metro",
    "Northgate",
    "Orchid",
    "Pioneer",
    "Quarry",
    "Riverside",
    "Summit",
    "Trident",
    "Union",
    "Valley",
    "Westfield",
    "Yardley",
    "Zenith",
]
TRADES = [
    "Builders",
    "Supply",
    "Facilities",
    "Marine",
    "Farms",
    "Works",
    "Logistics",
    "Manufacturing",
    "Hotels",
    "Electric",
    "Schools",
    "Transit",
    "Plumbing",
    "Retail",
    "Labs",
    "Clinic",
    "Roofing",
    "Shipping",
]
COUNTRIES = [
    "United States",
    "USA",
    "Canada",
    "Germany",
    "DE",
    "Mexico",
    "United Kingdom",
    "FRA",
    "Netherlands",
]
TERMS = ["NET 30", "NET30", "NET 60", "NET 15", "PREPAID", "COD"]
SEGMENTS = ["Enterprise", "wholesale", "Key Account", "distributor", "SMB", "retail"]


def _planted(rng: random.Random, count: int, rate: float, kinds: tuple[str, ...]) -> dict[int, str]:
    """Which records get which defect: about ``rate`` of them, kinds taken in turn."""
    chosen = (
        sorted(rng.sample(range(count), max(len(kinds), round(count * rate)))) if count >= len(kinds) else []
    )
    return {index: kinds[n % len(kinds)] for n, index in enumerate(chosen)}


def _products(
    rng: random.Random, count: int, rate: float
) -> tuple[list[Any], list[list[Any]], list[list[Any]], list[dict[str, str]]]:
    pim: list[Any] = []
    prices: list[list[Any]] = []
    stock: list[list[Any]] = []
    defects: list[dict[str, str]] = []
    bad = _planted(rng, count, rate, PRODUCT_DEFECTS)
    categories = list(CATEGORIES)
    for i in range(count):
        sku = f"SKU-{20000 + i}"
        category = categories[i % len(categories)]
        nouns, variants = CATEGORIES[category]
        name = f"{rng.choice(BRANDS)} {rng.choice(nouns)} {rng.choice(variants)} {i}"
        kg = round(rng.uniform(0.05, 25.0), 3)
        unit, amount = ("POUND", round(kg / 0.45359237, 3)) if i % 4 == 0 else ("KILOGRAM", kg)
        values: dict[str, Any] = {
            "name": name,
            "description": f"{name}. Sold per unit; see the data sheet.",
            "brand": rng.choice(BRANDS),
            "ean": gtin13(f"500{i:09d}"),
            "weight": {"amount": str(amount), "unit": unit},
            "material": rng.choice(["steel", "zinc", "nylon", "polymer", "aluminium"]),
            "pack_size": rng.choice([1, 5, 10, 25, 50]),
            "images": [f"https://cdn.example.com/img/{sku.lower()}.jpg"],
        }
        record = {"identifier": sku, "family": category, "enabled": True, "values": values}
        defect = bad.get(i)
        if defect == "missing name":
            values["name"] = ""
        elif defect == "GTIN check digit wrong":
            ean = values["ean"]
            values["ean"] = ean[:-1] + str((int(ean[-1]) + 1) % 10)
        elif defect == "weight unit unknown":
            values["weight"]["unit"] = "stone"
        pim.append(record)
        if defect == "duplicate SKU in the same file":
            pim.append({**record, "values": {**values, "name": name + " (old)"}})
        if defect:
            defects.append(
                {"entity": "product", "system": "pim", "key": sku, "defect": defect, "rule": RULES[defect]}
            )
        price = round(rng.uniform(1.5, 900.0), 2)
        prices.append(
            [sku, name, f"{price:.2f}", f"{price * 0.55:.4f}", "USD", rng.choice(["unit", "each", "case"])]
        )
        for warehouse in ("WH-EAST", "WH-WEST"):
            on_hand = rng.randint(0, 2500)
            reserved = rng.randint(0, min(on_hand, 300))
            stock.append(
                [
                    sku,
                    warehouse,
                    on_hand,
                    reserved,
                    on_hand - reserved,
                    rng.choice([25, 50, 100, 250]),
                    "each",
                    "2026-11-20 08:00:00",
                ]
            )
    return pim, prices, stock, defects


def _accounts(
    rng: random.Random, count: int, rate: float
) -> tuple[list[Any], list[list[Any]], list[dict[str, str]]]:
    crm: list[Any] = []
    parties: list[list[Any]] = []
    defects: list[dict[str, str]] = []
    bad = _planted(rng, count, rate, ACCOUNT_DEFECTS)
    for i in range(count):
        account = f"C{20000 + i}"
        company = f"{PREFIXES[i % len(PREFIXES)]} {TRADES[(i // len(PREFIXES)) % len(TRADES)]} {i // 450 or ''}".strip()
        domain = company.lower().replace(" ", "") + f"{i}.example"
        defect = bad.get(i)
        email = f"billing_at_{domain}" if defect == "malformed email" else f"billing@{domain}"
        country = "Atlantis" if defect == "unknown country" else COUNTRIES[i % len(COUNTRIES)]
        address = {
            "name": company,
            "street": f"{100 + i} Main Street",
            "city": "Springfield",
            "state": "IL",
            "zip": f"6{i:04d}",
            "country": country,
        }
        crm.append(
            {
                "id": str(50000 + i),
                "updatedAt": "2026-11-01T09:00:00Z",
                "properties": {
                    "account_number": account,
                    "name": company,
                    "email": email,
                    "phone": f"+1-555-{i:04d}",
                    "segment": SEGMENTS[i % len(SEGMENTS)],
                    "tags": "b2b",
                    "lifecyclestage": "customer",
                },
                "addresses": [{"type": "billing", **address}, {"type": "shipping", **address}],
                "contacts": [
                    {
                        "firstname": rng.choice(["Ana", "Ben", "Chen", "Dana", "Eli", "Fay"]),
                        "lastname": rng.choice(["Ng", "Ode", "Park", "Quinn"]),
                        "email": f"buyer@{domain}",
                        "phone": f"+1-555-9{i:03d}",
                        "jobtitle": "Purchasing",
                        "primary": "yes",
                    }
                ],
            }
        )
        parties.append(
            [
                account,
                company,
                f"billing@{domain}",
                rng.choice(TERMS),
                f"{rng.choice([5000, 10000, 25000, 50000, 100000])}.00",
                "USD",
                "no",
                f"US{rng.randint(10**8, 10**9 - 1)}",
            ]
        )
        if defect:
            defects.append(
                {
                    "entity": "customer",
                    "system": "crm",
                    "key": account,
                    "defect": defect,
                    "rule": RULES[defect],
                }
            )
    return crm, parties, defects


def generate(
    folder: Path, products: int = 500, accounts: int = 200, *, defect_rate: float = 0.02, seed: int = 7
) -> list[dict[str, str]]:
    """Write the data set under ``folder``; returns the planted defects."""
    rng = random.Random(seed)
    pim, prices, stock, product_defects = _products(rng, products, defect_rate)
    crm, parties, account_defects = _accounts(rng, accounts, defect_rate)
    write_jsonl(folder / "pim" / "product" / "products.jsonl", pim)
    write_csv(folder / "erp" / "product" / "products.csv", ERP_PRODUCT_COLUMNS, prices)
    write_csv(folder / "erp" / "stock" / "stock.csv", ERP_STOCK_COLUMNS, stock)
    write_jsonl(folder / "crm" / "customer" / "companies.jsonl", crm)
    write_csv(folder / "erp" / "customer" / "parties.csv", ERP_PARTY_COLUMNS, parties)
    write_jsonl(folder / "shop" / "customer" / "customers.jsonl", registrations(max(2, accounts // 100)))
    return product_defects + account_defects


def address(i: int) -> dict[str, Any]:
    return {"company": f"Web Buyer {i:03d} LLC", "city": "Columbus", "country": "US", "default": True}


def registrations(count: int) -> list[dict[str, Any]]:
    """Accounts registered in the shop itself: no account number (note) yet; the hub gives them one."""
    return [
        {
            "id": 7_790_000 + i,  # the shop's own id (the shop stand-in gives its own when seeded)
            "email": f"purchasing@webbuyer{i:03d}.example",
            "phone": f"+1-555-07{i:02d}",
            "tags": "registered",
            "addresses": [address(i)],
            # as Shopify shows a customer (a file drop has no stand-in to add it)
            "default_address": address(i),
        }
        for i in range(1, count + 1)
    ]
