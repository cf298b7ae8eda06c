"""A 999's CTX01 repeats (X231 allows 10): repetitions under ISA11 are accepted, an eleventh is not."""

from __future__ import annotations

from connectors.x12.validate import validate_bytes


def _999(ctx01: str) -> str:
    segs = [
        "ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*COMMERCEHUB    *240501*1200*^*00501*000000301*0*P*:",
        "GS*FA*ACMERETAIL*COMMERCEHUB*20240501*1200*301*X*005010X231A1",
        "ST*999*0001*005010X231A1",
        "AK1*HC*17*005010X222A1",
        "AK2*837*0001*005010X222A1",
        "IK3*CLM*22**8",
        f"CTX*{ctx01}*CLM*43**5:3*1325",
        "IK4*2*782*7*1325",
        "IK5*R*5",
        "AK9*R*1*1*0",
        "SE*9*0001",
        "GE*1*301",
        "IEA*1*000000301",
    ]
    return "~\n".join(segs) + "~\n"


def test_ctx01_repetitions_within_the_limit_are_accepted() -> None:
    _, result = validate_bytes(_999("SITUATIONAL TRIGGER^SITUATIONAL TRIGGER:2^SITUATIONAL TRIGGER:3"))
    assert result.status == "accepted", [f.message for _, _, t in result.transactions() for f in t.errors]


def test_too_many_ctx01_repetitions_are_an_error() -> None:
    _, result = validate_bytes(_999("^".join(f"TRIGGER:{n}" for n in range(11))))
    [(_, _, txn)] = result.transactions()
    assert txn.status == "rejected" and any(f.code == "12" for f in txn.errors)
