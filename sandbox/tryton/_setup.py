"""Adds the template's business data with proteus: run by bootstrap in a subprocess, never imported.

Usage: ``python -m sandbox.tryton._setup <trytond.conf> <database>``. It runs trytond in-process,
which sets trytond's global configuration: that is why it lives in its own process.
"""

from __future__ import annotations

import datetime as dt
import sys

from dateutil.relativedelta import relativedelta

PAYMENT_TERMS = {"net15": 15, "net30": 30, "net60": 60, "prepaid": 0, "cod": 0}
ACCOUNT_CATEGORY = "Goods"
WAREHOUSES = (("WH1", "Warehouse 1"), ("WH2", "Warehouse 2"))


def main(conf: str, database: str) -> None:
    from proteus import Model, config
    from trytond.modules.account.tests.tools import create_chart, get_accounts
    from trytond.modules.company.tests.tools import create_company, get_company
    from trytond.modules.currency.tests.tools import get_currency

    config.set_trytond(database, config_file=conf)
    usd = get_currency("USD")
    create_company(currency=usd)
    company = get_company()
    company.party.name = "Hub Sandbox Inc."
    company.party.save()
    create_chart(company)
    accounts = get_accounts(company)

    year = dt.date.today().year
    for y in (year, year + 1):
        _fiscal_year(Model, company, y)

    category = Model.get("product.category")(name=ACCOUNT_CATEGORY, accounting=True)
    category.account_revenue = accounts["revenue"]
    category.account_expense = accounts["expense"]
    category.save()

    PaymentTerm = Model.get("account.invoice.payment_term")
    for name, days in PAYMENT_TERMS.items():
        term = PaymentTerm(name=name)
        line = term.lines.new(type="remainder")
        if days:
            line.relativedeltas.new(days=days)
        term.save()

    _warehouses(Model)


def _fiscal_year(Model, company, year: int) -> None:
    """A calendar fiscal year with a move sequence, invoice sequences and monthly periods."""
    SequenceType = Model.get("ir.sequence.type")
    Sequence = Model.get("ir.sequence.strict")
    (move_type,) = SequenceType.find([("name", "=", "Account Move")], limit=1)
    (invoice_type,) = SequenceType.find([("name", "=", "Invoice")], limit=1)
    move_seq = Sequence(name=f"Moves {year}", sequence_type=move_type, company=company)
    move_seq.save()
    invoice_seq = Sequence(name=f"Invoices {year}", sequence_type=invoice_type, company=company)
    invoice_seq.save()
    fy = Model.get("account.fiscalyear")(name=str(year), company=company)
    fy.start_date = dt.date(year, 1, 1)
    fy.end_date = dt.date(year, 1, 1) + relativedelta(years=1, days=-1)
    fy.move_sequence = move_seq
    (seq,) = fy.invoice_sequences
    seq.out_invoice_sequence = seq.in_invoice_sequence = invoice_seq
    seq.out_credit_note_sequence = seq.in_credit_note_sequence = invoice_seq
    fy.save()
    fy.click("create_period")


def _warehouses(Model) -> None:
    """The module's warehouse becomes WH1; WH2 gets its own input, output and storage zones."""
    Location = Model.get("stock.location")
    (first,) = Location.find([("type", "=", "warehouse")])
    (code1, name1), (code2, name2) = WAREHOUSES
    first.code, first.name = code1, name1
    first.save()
    zones = {}
    for zone, code in (("input", "IN"), ("output", "OUT"), ("storage", "STO")):
        loc = Location(name=f"{name2} {zone.title()}", code=f"{code2}-{code}", type="storage")
        loc.save()
        zones[zone] = loc
    second = Location(name=name2, code=code2, type="warehouse")
    second.input_location = zones["input"]
    second.output_location = zones["output"]
    second.storage_location = zones["storage"]
    second.lost_found_location = first.lost_found_location
    second.save()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
