"""The fast validator: statuses, X12 error codes and locations for every fixture."""

from __future__ import annotations

import pytest

from connectors.x12.results import Finding
from connectors.x12.validate import validate_bytes
from tests.x12.builders import envelope, po_850, render
from tests.x12.cases import BY_NAME, CASES, Case


def findings(data: bytes, **kw: object) -> tuple[str, list[Finding]]:
    _, result = validate_bytes(data, **kw)  # type: ignore[arg-type]
    out = [f for i in result.interchanges for f in i.errors]
    out += [f for i in result.interchanges for g in i.groups for f in g.errors]
    out += [f for _, _, t in result.transactions() for f in t.errors]
    return result.status, out


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_status_and_expected_codes(case: Case) -> None:
    status, found = findings(case.data)
    assert status == case.status, [f.message for f in found]
    have = {(f.level, f.code, f.segment) for f in found} | {(f.level, f.code, None) for f in found}
    for expected in case.expect:
        assert expected in have, (expected, [(f.level, f.code, f.segment, f.message) for f in found])


def test_valid_files_have_no_findings() -> None:
    for case in CASES:
        if case.status == "accepted" and case.name != "ta1_requested":
            assert findings(case.data)[1] == [], case.name


def test_element_error_is_located_precisely() -> None:
    _, found = findings(BY_NAME["bad_code_value"].data)
    (f,) = found
    assert (f.level, f.segment, f.position, f.element, f.code, f.data_element, f.value) == (
        "element",
        "PO1",
        11,
        3,
        "7",
        "355",
        "XX",
    )
    assert "PO103" in f.message


def test_missing_mandatory_segment_is_reported_where_the_walk_notices_it() -> None:
    """As in pyx12: without BEG the heading cannot be entered, so its segments are unexpected and the missing
    BEG is reported at the first segment that lands somewhere again (the first PO1)."""
    _, found = findings(BY_NAME["missing_beg"].data)
    missing = [(f.segment, f.position) for f in found if f.code == "3"]
    assert missing == [("BEG", 10)]
    assert {f.segment for f in found if f.code == "2"} == {"CUR", "REF", "PER", "DTM", "N1", "N3", "N4"}


def test_control_number_and_count_checks() -> None:
    for name, code in [
        ("wrong_se_count", "4"),
        ("se02_mismatch", "3"),
        ("ge02_mismatch", "4"),
        ("ge01_count", "5"),
        ("iea02_mismatch", "001"),
        ("iea01_count", "021"),
        ("duplicate_st02", "23"),
    ]:
        assert code in {f.code for f in findings(BY_NAME[name].data)[1]}, name


def test_duplicate_interchange_in_one_file() -> None:
    data = BY_NAME["850_4010_valid"].data * 2
    status, found = findings(data)
    assert status == "rejected" and [f.code for f in found] == ["025"]


def test_tolerated_findings_accept_with_errors_and_partner_can_reject_them() -> None:
    data = BY_NAME["trailing_separator"].data
    assert findings(data)[0] == "accepted_with_errors"
    assert findings(data, tolerate=())[0] == "rejected"


def test_every_group_and_transaction_is_reported() -> None:
    data = render(envelope([po_850("A1"), po_850("A2")])) + render(
        envelope([po_850("B1")], control=102, group=7)
    )
    _, result = validate_bytes(data.encode())
    groups = [g for i in result.interchanges for g in i.groups]
    assert [(g.control_number, len(g.transactions), g.ack_code) for g in groups] == [
        ("101", 2, "A"),
        ("7", 1, "A"),
    ]


def test_partially_accepted_group() -> None:
    good, bad = po_850("A1"), po_850("A2")
    bad[0] = ["BEG", "00", "SA", "", "", "20240501"]
    _, result = validate_bytes(render(envelope([good, bad])).encode())
    (group,) = result.interchanges[0].groups
    assert [t.status for t in group.transactions] == ["accepted", "rejected"]
    assert (group.ack_code, group.accepted, group.status) == ("P", 1, "rejected")


def test_unknown_version_is_a_group_error_and_other_groups_still_validate() -> None:
    data = render(envelope([po_850()], gs08="003010")) + render(envelope([po_850()], control=102, group=9))
    _, result = validate_bytes(data.encode())
    first, second = (i.groups[0] for i in result.interchanges)
    assert [f.code for f in first.errors] == ["2"] and first.transactions[0].errors[0].code == "1"
    assert second.status == "accepted"


def test_gs08_with_an_unknown_suffix_falls_back_to_the_base_version() -> None:
    _, result = validate_bytes(render(envelope([po_850()], gs08="004010XYZ")).encode())
    group = result.interchanges[0].groups[0]
    assert group.status == "accepted" and group.notes == ["GS08 004010XYZ validated as 004010"]
