"""Hostile values pass through safely, on SQLite and PostgreSQL (DESIGN section 8: SQL only through
bound parameters; bad input kept with a specific reason).

A product and a customer whose fields carry quotes, SQL, markup, control characters, 10,000-character
strings, emoji and formulas, keys that break the key format, and lines of raw latin-1 bytes, are
synced through the files connector. Nothing crashes, every table is still there, the values are
stored and published exactly, or the record is quarantined with its raw payload and the rule it
broke; the HTML report shows them as text, and the CSV report cannot run them as formulas.
"""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from hub.cli import app
from hub.store.schema import metadata
from tests.security import hostile as h

runner = CliRunner()


def _hub(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def _rows(url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]
    finally:
        engine.dispose()


def _golden(url: str, entity: str, key: str) -> dict[str, Any]:
    [row] = _rows(url, "select data from golden_records where entity = :e and key = :k", e=entity, k=key)
    return json.loads(row["data"])


def _json_or_none(text: str | None) -> Any:
    """A failure's raw payload: JSON for records read, escaped text for lines that were not JSON."""
    try:
        return json.loads(text or "")
    except ValueError:
        return None


def _published(project: Path, system: str, entity: str) -> list[dict[str, Any]]:
    folder = project / "var" / "outbox" / system / entity
    return [json.loads(line) for f in sorted(folder.glob("*.jsonl")) for line in f.read_text().splitlines()]


@pytest.fixture
def synced(project: Path, db_url: str) -> Path:
    h.add_hostile_records(project)
    _hub("sync", "all", "--format", "json")
    return project


def test_every_table_survives_and_values_are_stored_exactly(synced: Path, db_url: str) -> None:
    engine = sa.create_engine(db_url)
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert set(metadata.tables) <= tables, set(metadata.tables) - tables
    assert _rows(db_url, "select count(*) as n from golden_records where entity = 'product'")[0]["n"] > 40

    product = _golden(db_url, "product", h.PRODUCT_SKU)
    assert product["name"] == h.NAME
    assert product["description"] == h.LONG and len(h.LONG) == 10_000
    assert product["brand"] == h.FORMULA and product["attributes"]["material"] == h.EMOJI

    customer = _golden(db_url, "customer", h.CUSTOMER_NO)
    assert customer["name"] == h.NAME
    assert customer["addresses"][0]["line1"] == h.LONG and customer["addresses"][0]["city"] == h.EMOJI
    assert customer["contacts"][0]["first_name"] == h.EMOJI and customer["contacts"][0]["last_name"] == h.SQL
    assert customer["tags"] == sorted([h.FORMULA, h.MARKUP])  # tags are a sorted set (mappings/customer.yaml)

    # the ERP does not own the name: its hostile spelling is kept, exactly, as the conflict's other value
    conflicts = _rows(
        db_url,
        "select changes from audit_events where entity = 'product' and key = :k and action = 'conflict'",
        k=h.PRODUCT_SKU,
    )
    rejected = [json.loads(c["changes"]).get("name", {}).get("rejected") for c in conflicts]
    assert h.ERP_NAME in rejected, conflicts


def test_bad_keys_and_undecodable_lines_are_quarantined_with_their_payload(synced: Path, db_url: str) -> None:
    failures = _rows(db_url, "select * from failures")
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for row in failures:
        by_rule.setdefault(row["rule"] or row["stage"], []).append(row)

    sku_format = {json.loads(r["raw"])["identifier"]: r for r in by_rule["product.sku.format"]}
    for sku in (h.BAD_SKU, h.FORMULA_SKU):
        assert sku in sku_format, f"{sku!r} not quarantined"
        assert sku_format[sku]["stage"] == "validate" and sku_format[sku]["status"] == "open"
    accounts = {
        json.loads(r["raw"])["properties"]["account_number"] for r in by_rule["customer.account-no.format"]
    }
    assert h.FORMULA_ACCOUNT in accounts

    unreadable = [r for r in failures if r["stage"] == "read"]
    latin_json = [r for r in unreadable if "SKU-LATIN1" in r["raw"]]
    latin_csv = [r for r in unreadable if "SKU-LATIN2" in r["raw"]]
    assert len(latin_json) == 1 and "utf-8" in latin_json[0]["message"], unreadable
    assert "Caf\\xe9 cr\\xe8me \\xff" in latin_json[0]["raw"]  # every byte kept, escaped
    assert len(latin_csv) == 1 and "not valid utf-8 text" in latin_csv[0]["message"], unreadable
    assert "Caf\\xe9 cr\\xe8me \\xff" in latin_csv[0]["raw"]
    assert not _rows(db_url, "select key from golden_records where key like 'SKU-LATIN%'")


def test_published_files_carry_the_values_exactly(synced: Path) -> None:
    shop_products = {p["variants"][0]["sku"]: p for p in _published(synced, "shop", "product")}
    product = shop_products[h.PRODUCT_SKU]
    assert (product["title"], product["body_html"], product["vendor"]) == (h.NAME, h.LONG, h.FORMULA)
    shop_customers = {c["note"]: c for c in _published(synced, "shop", "customer")}
    assert shop_customers[f"account:{h.CUSTOMER_NO}"]["default_address"]["company"] == h.NAME
    erp_customers = {c["code"]: c for c in _published(synced, "erp", "customer")}
    assert erp_customers[h.CUSTOMER_NO]["name"] == h.NAME
    assert not any(h.SQL in sku for sku in shop_products), "a quarantined record was published"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def test_failures_html_shows_hostile_values_as_text(synced: Path, tmp_path: Path) -> None:
    """Parsed as a browser would: no element or event handler from the data, three scripts (ours), and
    the embedded data gives back every value exactly."""
    out = tmp_path / "failures.html"
    _hub("failures", "--format", "html", "--output", str(out))
    page = out.read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(page)
    names = [tag for tag, _ in parser.tags]
    assert "img" not in names and names.count("script") == 3, sorted(set(names))
    handlers = [(tag, a) for tag, attrs in parser.tags for a, _ in attrs if a.lower().startswith("on")]
    assert not handlers, handlers
    assert "</td>" not in page.split('<script type="application/json" id="data">')[1].split("</script>")[0]
    embedded = page.split('<script type="application/json" id="data">')[1].split("</script>")[0]
    rows = json.loads(embedded)
    payloads = [_json_or_none(r["raw"]) or {} for r in rows]
    assert any(p.get("identifier") == h.BAD_SKU for p in payloads), "the payload with markup, exactly"


def test_failures_csv_cannot_run_formulas(synced: Path) -> None:
    """`hub failures --format csv` is opened in spreadsheets: a cell starting with = + - @ (or tab/CR)
    is a formula there, so such cells start with an apostrophe (OWASP's advice) and are otherwise exact."""
    text = _hub("failures", "--format", "csv")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    risky = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert not risky, risky[:5]
    keys = {row["key"] for row in csv.DictReader(io.StringIO(text))}
    assert "'" + h.FORMULA_SKU.upper() in keys and "'" + h.FORMULA_ACCOUNT.upper() in keys, sorted(keys)[:20]
    as_json = json.loads(_hub("failures", "--format", "json"))
    assert h.FORMULA_SKU.upper() in {r["key"] for r in as_json}, "JSON keeps the value as it is"


def test_terminal_output_carries_no_escape_sequences(synced: Path) -> None:
    """Table output goes to a terminal: an ESC from the data could clear the screen or forge lines."""
    listing = _hub("failures")
    lineage = _hub("lineage", "product", h.PRODUCT_SKU)
    assert "SKU-HOSTILE-1" in lineage and "O'Brien" in lineage
    for text in (listing, lineage):
        assert "\x1b" not in text and "\x00" not in text and "\x07" not in text


@pytest.mark.parametrize("bad_key", [h.LONG_SKU, h.NUL_SKU], ids=["10k-characters", "NUL"])
def test_a_key_the_database_cannot_hold_is_quarantined_not_a_crash(
    project: Path, db_url: str, bad_key: str, request: pytest.FixtureRequest
) -> None:
    """Keys are VARCHAR(255) columns, and PostgreSQL text cannot hold NUL: such a SKU must be rejected
    by its rule with its payload kept, not end the sync with a database error."""
    h.add_hostile_records(project, bad_key)
    _hub("sync", "product", "--format", "json")
    # a key no store column can hold is quarantined before it reaches one (rule key.storable)
    failures = _rows(
        db_url, "select rule, raw from failures where rule in ('product.sku.format', 'key.storable')"
    )
    assert any(json.loads(f["raw"])["identifier"] == bad_key for f in failures)
    assert _golden(db_url, "product", h.PRODUCT_SKU)["description"] == h.LONG


@pytest.mark.slow
def test_failures_report_in_a_browser_runs_nothing_from_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report opened in headless Chromium: the payloads' script and onerror never run, no element
    comes from the data, and the cell and the payload show the hostile text exactly."""
    from selenium.webdriver.common.by import By

    from tests.browser import chromium, require_browser, screenshot
    from tests.conftest import copy_project

    require_browser()
    project = copy_project(tmp_path / "p", f"sqlite:///{tmp_path / 'hub.db'}", monkeypatch)
    h.add_hostile_records(project)
    _hub("sync", "all")
    out = tmp_path / "failures.html"
    _hub("failures", "--format", "html", "--output", str(out))
    pwned = "return [window.__pwned, window.__PWNED]"
    with chromium() as driver:
        driver.get(out.as_uri())
        assert driver.execute_script(pwned) == [None, None]
        driver.find_element(By.ID, "search").send_keys("DROP TABLE")
        rows = driver.find_elements(By.CSS_SELECTOR, "#rows tr")
        assert rows, "the hostile records are listed"
        keys = driver.execute_script(
            "return [...document.querySelectorAll('#rows tr')].map(tr => tr.children[2].textContent)"
        )
        assert h.BAD_SKU.upper() in keys, keys
        for row in rows:
            row.find_element(By.CSS_SELECTOR, "button.raw").click()
        payloads = driver.execute_script(
            "return [...document.querySelectorAll('tr.payload pre')].map(p => p.textContent)"
        )
        assert any(json.loads(p).get("identifier") == h.BAD_SKU for p in payloads if p.startswith("{"))
        assert driver.execute_script(pwned) == [None, None]
        assert not driver.find_elements(By.CSS_SELECTOR, "#rows img, #rows script")
        screenshot(driver, "security-hostile-failures-report.png")
