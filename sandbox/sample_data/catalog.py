"""Products (PIM content, ERP prices) and B2B customers (CRM master, ERP terms)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from sandbox.sample_data.writers import ERP_PARTY_COLUMNS, ERP_PRODUCT_COLUMNS, gtin13, write_csv, write_jsonl

CATEGORIES = {
    "fasteners": (
        ["Hex Bolt", "Wood Screw", "Wing Nut", "Flat Washer", "Anchor Plug"],
        ["M6", "M8", "M10", "M12"],
    ),
    "tools": (
        ["Torque Wrench", "Cordless Drill", "Socket Set", "Utility Knife", "Pipe Cutter"],
        ["Pro", "Compact", "XL"],
    ),
    "safety": (
        ["Safety Glasses", "Work Gloves", "Ear Defenders", "Hard Hat", "Hi-Vis Vest"],
        ["S", "M", "L"],
    ),
    "electrical": (
        ["Cable Tie", "Junction Box", "Wire Connector", "Conduit Clip"],
        ["Black", "White", "Grey"],
    ),
    "packaging": (
        ["Stretch Film", "Carton Box", "Packing Tape", "Bubble Wrap"],
        ["Small", "Medium", "Large"],
    ),
}
BRANDS = ["Acme", "Northwind", "Fabrikam", "Contoso", "Globex"]
PRODUCT_COUNT = 48

# (entity, system, key, what is wrong, rule expected) - each must show up as a failure
DEFECTS: list[dict[str, str]] = [
    {
        "entity": "product",
        "system": "pim",
        "key": "SKU-1003",
        "defect": "name missing",
        "rule": "product.name.required",
    },
    {
        "entity": "product",
        "system": "pim",
        "key": "SKU-1007",
        "defect": "GTIN check digit wrong",
        "rule": "product.gtin.check-digit",
    },
    {
        "entity": "product",
        "system": "pim",
        "key": "SKU-1011",
        "defect": "duplicate SKU in the same file",
        "rule": "product.sku.unique",
    },
    {
        "entity": "product",
        "system": "pim",
        "key": "SKU-1015",
        "defect": "weight unit 'stone' unknown",
        "rule": "transform.value_map",
    },
    {"entity": "product", "system": "pim", "key": "", "defect": "line is not JSON", "rule": "parse"},
    {
        "entity": "product",
        "system": "erp",
        "key": "SKU-1020",
        "defect": "negative list price",
        "rule": "product.price.positive",
    },
    {
        "entity": "product",
        "system": "erp",
        "key": "SKU-9999",
        "defect": "price for a SKU the PIM does not have",
        "rule": "orphan",
    },
    {
        "entity": "customer",
        "system": "crm",
        "key": "C10004",
        "defect": "malformed email",
        "rule": "customer.email.valid",
    },
    {
        "entity": "customer",
        "system": "crm",
        "key": "C10009",
        "defect": "country 'Atlantis' unknown",
        "rule": "transform.country",
    },
    {"entity": "customer", "system": "crm", "key": "", "defect": "account number missing", "rule": "key"},
    {
        "entity": "customer",
        "system": "erp",
        "key": "C10012",
        "defect": "payment term 'NET 45' unknown",
        "rule": "transform.value_map",
    },
]


def _products(rng: random.Random) -> tuple[list[Any], list[list[Any]]]:
    pim: list[Any] = []
    erp: list[list[Any]] = []
    categories = list(CATEGORIES)
    for i in range(PRODUCT_COUNT):
        sku = f"SKU-{1000 + i}"
        category = categories[i % len(categories)]
        nouns, variants = CATEGORIES[category]
        name = f"{rng.choice(BRANDS)} {rng.choice(nouns)} {rng.choice(variants)}"
        weight_kg = round(rng.uniform(0.05, 12.0), 3)
        unit, amount = ("POUND", round(weight_kg / 0.45359237, 3)) if i % 4 == 0 else ("KILOGRAM", weight_kg)
        record: dict[str, Any] = {
            "identifier": sku if i % 6 else f" {sku.lower()} ",  # some SKUs need trim + upper
            "family": category.upper() if i % 5 == 0 else category,
            "enabled": i % 9 != 0,
            "values": {
                "name": name,
                "description": f"{name}. Sold per unit; see the data sheet for specifications.",
                "brand": rng.choice(BRANDS),
                "ean": gtin13(f"400{i:09d}"),
                "weight": {"amount": str(amount), "unit": unit},
                # Akeneo's flat shape: one value per attribute code, metric units spelled as Akeneo does
                "material": rng.choice(["steel", "zinc", "nylon", "polymer"]),
                "pack_size": rng.choice([1, 10, 50]),
                "images": [f"https://cdn.example.com/img/{sku.lower()}.jpg"],
            },
        }
        if sku == "SKU-1003":
            record["values"]["name"] = "   "
        if sku == "SKU-1007":
            record["values"]["ean"] = "4000000000071"
        if sku == "SKU-1015":
            record["values"]["weight"]["unit"] = "stone"
        pim.append(record)
        if sku == "SKU-1011":
            duplicate = {**record, "values": {**record["values"], "name": name + " (old)"}}
            pim.append(duplicate)
        price = round(rng.uniform(1.5, 450.0), 2)
        list_price = f"{-price:.2f}" if sku == "SKU-1020" else f"{price:.2f}"
        erp.append(
            [sku, name, list_price, f"{price * 0.55:.4f}", "USD", rng.choice(["unit", "each", "case"])]
        )
    pim.insert(17, '{"identifier": "SKU-BROKEN", "values": {"name": "truncated')
    erp.append(["SKU-9999", "Discontinued item", "9.99", "5.0000", "USD", "unit"])
    return pim, erp


COMPANIES = [
    "Apex Builders",
    "Baxter Supply",
    "Cedar Facilities",
    "Delta Marine",
    "Evergreen Farms",
    "Foster & Sons",
    "Granite Works",
    "Harbor Logistics",
    "Ironside Mfg",
    "Juniper Hotels",
    "Keystone Electric",
    "Lakeside Schools",
    "Metro Transit",
    "Northgate Plumbing",
    "Orchid Retail",
    "Pioneer Labs",
    "Quarry Stoneworks",
    "Riverside Clinic",
    "Summit Roofing",
    "Trident Shipping",
]
COUNTRIES = ["United States", "USA", "Canada", "Germany", "DE", "Mexico", "United Kingdom", "FRA"]


def _customers(rng: random.Random) -> tuple[list[Any], list[list[Any]]]:
    crm: list[Any] = []
    erp: list[list[Any]] = []
    segments = ["Enterprise", "wholesale", "Key Account", "distributor", "SMB", "retail"]
    for i, company in enumerate(COMPANIES):
        account = f"C{10000 + i}"
        domain = company.lower().replace(" & ", "").replace(" ", "") + ".example"
        country = "Atlantis" if account == "C10009" else COUNTRIES[i % len(COUNTRIES)]
        email = "billing_at_" + domain if account == "C10004" else f"billing@{domain}"
        record = {
            "id": str(5100 + i),
            "updatedAt": f"2026-10-{1 + i % 28:02d}T09:{i:02d}:00Z",
            "properties": {
                "account_number": account.lower() if i % 7 == 3 else account,
                "name": f"  {company}  Inc" if i % 5 == 2 else company,
                "email": email.upper() if i % 4 == 1 else email,
                "phone": f"+1-555-01{i:02d}",
                "segment": segments[i % len(segments)],
                "tags": "b2b;net-terms" if i % 2 else "b2b",
                "lifecyclestage": "customer" if i % 6 else "lead",
            },
            "addresses": [
                {
                    "type": "Billing",
                    "name": company,
                    "street": f"{100 + i} Main Street",
                    "city": "Springfield",
                    "state": "IL",
                    "zip": f"62{i:03d}",
                    "country": country,
                },
                {
                    "type": "shipping",
                    "name": company,
                    "street": f"{200 + i} Dock Road",
                    "city": "Springfield",
                    "state": "IL",
                    "zip": f"62{i:03d}",
                    "country": country,
                },
            ],
            "contacts": [
                {
                    "firstname": rng.choice(["Ana", "Ben", "Chen", "Dana", "Eli"]),
                    "lastname": rng.choice(["Ng", "Ode", "Park"]),
                    "email": f"buyer{i}@{domain}",
                    "phone": f"+1-555-02{i:02d}",
                    "jobtitle": "Purchasing",
                    "primary": "yes",
                },
            ],
        }
        crm.append(record)
        terms = "NET 45" if account == "C10012" else rng.choice(["NET 30", "NET30", "NET 60", "PREPAID"])
        erp.append(
            [
                account,
                company,
                f"billing@{domain}",
                terms,
                f"{rng.choice([5000, 10000, 25000, 50000])}.00",
                "USD",
                "no" if i % 8 else "yes",
                f"US{rng.randint(10**8, 10**9 - 1)}",
            ]
        )
    crm.insert(6, {"id": "5199", "properties": {"name": "No Number Ltd", "email": "ops@nonumber.example"}})
    return crm, erp


def write(folder: Path) -> None:
    rng = random.Random(20261122)
    pim, erp_products = _products(rng)
    write_jsonl(folder / "pim" / "product" / "products.jsonl", pim)
    write_csv(
        folder / "erp" / "product" / "products.csv",
        ERP_PRODUCT_COLUMNS,
        erp_products,
    )
    crm, erp_parties = _customers(rng)
    write_jsonl(folder / "crm" / "customer" / "companies.jsonl", crm)
    write_csv(
        folder / "erp" / "customer" / "parties.csv",
        ERP_PARTY_COLUMNS,
        erp_parties,
    )
