"""Run pyx12 (the reference validator) on a normalised interchange and reduce its findings to comparable sets."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field

import pyx12.error_handler
import pyx12.params
import pyx12.x12n_document

from connectors.x12.mapspec import MAPS_DIR
from connectors.x12.normalise import Interchange
from connectors.x12.results import InterchangeResult

logging.getLogger("pyx12").setLevel(logging.CRITICAL)
logging.getLogger("pyx12").propagate = False


# findings pyx12 files under the segment (code 8) rather than under an element
SEGMENT_LEVEL_IN_PYX12 = {
    "too_many_elements",
    "too_many_components",
    "syntax",
    "hl_sequence",
    "hl_parent",
    "composite_missing",
    "composite_not_used",
}


@dataclass
class Summary:
    """What both validators must agree on: overall validity and where the errors are."""

    valid: bool
    transactions: dict[tuple[str, str], bool] = field(default_factory=dict)  # (set id, ST02) -> clean?
    segments: set[tuple[str, str, int]] = field(default_factory=set)  # (ST02, segment id, position)
    elements: set[tuple[str, int, int]] = field(default_factory=set)  # (ST02, position, element)


def pyx12_summary(ic: Interchange) -> Summary:
    params = pyx12.params.params()
    out = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(
        params, io.StringIO(ic.text()), None, None, fd_json=out, map_path=str(MAPS_DIR)
    )
    doc = json.loads(out.getvalue())
    summary = Summary(bool(ok))
    for isa in doc["interchanges"]:
        for gs in isa["groups"]:
            for st in gs["transactions"]:
                ctl = st["trn_set_control_num"]
                clean = not st["errors"] and not st["segments"]
                summary.transactions[(st["trn_set_id"], ctl)] = clean
                for seg in st["segments"]:
                    if seg["seg_id"] in ("ST", "SE"):
                        continue  # trailer findings are compared at transaction level (see our_summary)
                    if seg["errors"] or seg["elements"]:
                        summary.segments.add((ctl, seg["seg_id"], seg["seg_count"]))
                    for ele in seg["elements"]:
                        summary.elements.add((ctl, seg["seg_count"], ele["ele_pos"]))
    return summary


def our_summary(result: InterchangeResult) -> Summary:
    summary = Summary(not result.errors and all(not g.errors for g in result.groups))
    for group in result.groups:
        for txn in group.transactions:
            summary.transactions[(txn.set_id, txn.control_number)] = not txn.errors
            if txn.errors:
                summary.valid = False
            for f in txn.errors:
                if f.segment in ("ST", "SE"):
                    continue  # pyx12 files ST/SE element errors under the transaction, not as a segment
                if f.level in ("segment", "element") and f.position is not None:
                    summary.segments.add((txn.control_number, f.segment or "", f.position))
                if f.level == "element" and f.element is not None and f.kind not in SEGMENT_LEVEL_IN_PYX12:
                    summary.elements.add((txn.control_number, f.position or 0, f.element))
    return summary
