"""Configured PII fields are masked in audit events and reports (hub/privacy.py).

Customers with distinctive e-mail addresses, phones and a street are synced from the files connector:
one goes through (then changes its e-mail, and the ERP sends another: an update and a conflict), one
breaks the e-mail rule, one cannot be translated. With ``privacy.mask`` on, none of those values is in
any ``audit_events`` row, in ``hub failures`` (table, JSON, CSV, HTML) or in ``hub lineage`` (table,
JSON); equal values carry equal HMAC tokens; the golden record and the stored raw payloads keep the
real values (systems need them, replay needs them), and the sync does exactly what it does unmasked.
With masking off, the same values are there, as before.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from hub import privacy
from hub.cli import app
from hub.config import load_config
from hub.errors import ConfigError
from tests.conftest import copy_project

runner = CliRunner()
KEY = "pii-test-hmac-key-4711"
OK, BAD_EMAIL, BAD_SEGMENT = "C94711", "C94712", "C94713"
SEEDED = (
    "pii.seed.4711",
    "Pii.Seed.4711",
    "555 0100 4711",
    "pii.contact.4711",
    "555 0200 4711",
    "4711 Secret Lane",
    "bad-email-4712",
    "555 0100 4712",
    "pii.seed.4713",
    "555 0100 4713",
    "erp.pii.4711",
    "pii.seed.4714",
)
PRIVACY = """
privacy:
  mode: {mode}
  key: {{env: HUB_TEST_PII_KEY}}
  mask:
    customer: [email, phone, contacts.email, contacts.phone, addresses.line1]
    order: [email, ship_to.phone, ship_to.line1]
"""


def _company(account: str, email: str, phone: str, segment: str = "wholesale") -> dict[str, Any]:
    return {
        "id": f"9{account[1:]}",
        "updatedAt": "2026-10-05T09:00:00Z",
        "properties": {
            "account_number": account,
            "name": f"Privacy Test {account}",
            "email": email,
            "phone": phone,
            "segment": segment,
            "lifecyclestage": "customer",
        },
        "addresses": [
            {"type": "billing", "street": "4711 Secret Lane", "city": "Springfield", "country": "US"}
        ],
        "contacts": [
            {"firstname": "Pia", "email": "pii.contact.4711@example.org", "phone": "+1 555 0200 4711"}
        ],
    }


def _seed(project: Path, email: str) -> None:
    """The three customers in the CRM's inbox, and the ERP's other spelling of the first one's e-mail."""
    data = project / "sandbox" / "data"
    records = [
        _company(OK, email, "+1 555 0100 4711"),
        _company(BAD_EMAIL, "bad-email-4712", "+1 555 0100 4712"),
        _company(BAD_SEGMENT, "pii.seed.4713@example.org", "+1 555 0100 4713", segment="no-such-segment"),
    ]
    base = (project / "companies.jsonl").read_text() if (project / "companies.jsonl").exists() else None
    if base is None:
        base = (data / "crm" / "customer" / "companies.jsonl").read_text()
        (project / "companies.jsonl").write_text(base)
    lines = base + "".join(json.dumps(r) + "\n" for r in records)
    (data / "crm" / "customer" / "companies.jsonl").write_text(lines)
    with (data / "erp" / "customer" / "parties.csv").open("a") as handle:
        if email.startswith(" Pii"):
            handle.write(f"{OK},Privacy Test,erp.pii.4711@example.org,NET30,100.00,USD,no,\n")


def _hub(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def _sync_twice(project: Path) -> list[str]:
    """Two syncs: the second changes the first customer's e-mail (an update with before and after)."""
    _seed(project, " Pii.Seed.4711@Example.org ")
    first = _hub("sync", "all", "--format", "json")
    _seed(project, "pii.seed.4714@example.org")
    return [first, _hub("sync", "all", "--format", "json")]


def _table(url: str, table: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.text(f"select * from {table}")).mappings()]
    finally:
        engine.dispose()


def _golden(url: str, key: str) -> dict[str, Any]:
    [row] = [r for r in _table(url, "golden_records") if r["entity"] == "customer" and r["key"] == key]
    return json.loads(row["data"])


def _leaks(text: str) -> list[str]:
    return [s for s in SEEDED if s in text]


def _token(value: str) -> str:
    return "hmac:" + hmac.new(KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:16]


@pytest.fixture(autouse=True)
def _no_policy_after() -> Iterator[None]:
    """load_config installs the policy for the process: leave none behind for the next test."""
    yield
    privacy.install(None)


@pytest.fixture
def masked(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HUB_TEST_PII_KEY", KEY)
    with (project / "hub.yaml").open("a") as handle:
        handle.write(PRIVACY.format(mode="hash"))
    return project


def test_masked_values_never_show_in_audit_failures_or_lineage(
    masked: Path, db_url: str, tmp_path: Path
) -> None:
    _sync_twice(masked)

    audit = _table(db_url, "audit_events")
    customer_events = [e for e in audit if e["entity"] == "customer" and e["key"] == OK]
    assert {"created", "updated", "conflict"} <= {e["action"] for e in customer_events}
    assert _leaks(json.dumps(audit, default=str)) == []
    updates = [json.loads(e["changes"]) for e in customer_events if e["action"] == "updated"]
    [updated] = [u for u in updates if "email" in u]
    assert updated["email"] == [_token("pii.seed.4711@example.org"), _token("pii.seed.4714@example.org")]

    report = _hub("failures", "--format", "json")
    rows = json.loads(report)
    assert {BAD_EMAIL, BAD_SEGMENT} <= {r["key"] for r in rows}
    assert _leaks(report) == []
    bad = next(r for r in rows if r["key"] == BAD_EMAIL and r["rule"] == "customer.email.valid")
    assert bad["message"] == f"email '{_token('bad-email-4712')}' is not a valid address"
    assert _token("+1 555 0100 4713") in next(r["raw"] for r in rows if r["key"] == BAD_SEGMENT)
    assert _leaks(_hub("failures")) == []
    shown_csv = _hub("failures", "--raw", "--format", "csv")
    assert _leaks(shown_csv) == [] and BAD_SEGMENT in {
        r["key"] for r in csv.DictReader(shown_csv.splitlines())
    }
    html = tmp_path / "failures.html"
    _hub("failures", "--format", "html", "--output", str(html))
    assert BAD_SEGMENT in html.read_text() and _leaks(html.read_text()) == []

    for key in (BAD_EMAIL, BAD_SEGMENT):
        assert _leaks(_hub("lineage", "customer", key, "--format", "json")) == []
    assert _leaks(_hub("lineage", "customer", OK)) == []
    shown = _hub("lineage", "customer", OK, "--format", "json")
    assert _leaks(shown) == []
    lineage = json.loads(shown)
    assert lineage["record"]["email"] == _token("pii.seed.4714@example.org")  # joinable with the audit
    assert lineage["record"]["contacts"][0]["phone"] == _token("+1 555 0200 4711")

    # what systems and replay need is kept whole
    golden = _golden(db_url, OK)
    assert golden["email"] == "pii.seed.4714@example.org" and golden["phone"] == "+1 555 0100 4711"
    assert golden["addresses"][0]["line1"] == "4711 Secret Lane"
    stored = [f["raw"] for f in _table(db_url, "failures") if f["key"] == BAD_SEGMENT]
    assert stored and "pii.seed.4713@example.org" in stored[0]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_masking_changes_no_sync_result_and_off_is_as_before(
    masked: Path, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    masked_results = _sync_twice(masked)
    plain_url = f"sqlite:///{tmp_path / 'plain.db'}"
    plain = copy_project(tmp_path / "plain", plain_url, monkeypatch)  # same files, hub.yaml without privacy
    assert _sync_twice(plain) == masked_results
    golden = {(r["entity"], r["key"]): r["data"] for r in _table(db_url, "golden_records")}
    assert {(r["entity"], r["key"]): r["data"] for r in _table(plain_url, "golden_records")} == golden

    # off: the values show, as before masking existed (so the test above can fail)
    assert "pii.seed.4714@example.org" in json.dumps(_table(plain_url, "audit_events"), default=str)
    assert "bad-email-4712" in _hub("failures", "--format", "json")
    assert "pii.seed.4714@example.org" in _hub("lineage", "customer", OK, "--format", "json")


def test_redact_mode_and_config_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    masker = privacy.Masker({"customer": ["email", "contacts.email"]})
    record = {"email": "a@b.example", "contacts": [{"email": "c@d.example", "name": "Kim"}], "name": "X"}
    assert masker.record("customer", record) == {
        "email": "***",
        "contacts": [{"email": "***", "name": "Kim"}],
        "name": "X",
    }
    assert masker.record("product", record) == record

    config = tmp_path / "hub.yaml"
    base = (Path(__file__).resolve().parents[2] / "hub.yaml").read_text()
    config.write_text(base + PRIVACY.format(mode="hash"))
    monkeypatch.delenv("HUB_TEST_PII_KEY", raising=False)
    with pytest.raises(ConfigError, match="HUB_TEST_PII_KEY"):
        load_config(config)
    config.write_text(base + PRIVACY.format(mode="hash").replace("{env: HUB_TEST_PII_KEY}", "plain-key"))
    with pytest.raises(ConfigError, match=r"privacy\.key"):
        load_config(config)
    config.write_text(base + PRIVACY.format(mode="redact").replace("contacts.email", "no_such_field"))
    with pytest.raises(ConfigError, match="no_such_field"):
        load_config(config)
