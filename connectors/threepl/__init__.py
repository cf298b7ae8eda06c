"""The 3PL warehouse over a mailbox: CSV fulfilment requests out, confirmations and snapshots in.

``ThreePLConnector`` implements ``hub.workflows.ports.ThreePL``; docs/threepl.md describes the files.
"""

from __future__ import annotations

from connectors.threepl.connector import (
    ConflictingResend,
    InboxFile,
    InboxRead,
    ThreePLConnector,
    error_report,
)
from connectors.threepl.csvcodec import FileProblem, Problem, neutralise, restore
from connectors.threepl.formats import expected_receipt_file_name, fulfilment_file_name
from connectors.threepl.inbound import InboundMessage, ReceiptLine, parse_file

__all__ = [
    "ConflictingResend",
    "FileProblem",
    "InboundMessage",
    "InboxFile",
    "InboxRead",
    "Problem",
    "ReceiptLine",
    "ThreePLConnector",
    "error_report",
    "expected_receipt_file_name",
    "fulfilment_file_name",
    "neutralise",
    "parse_file",
    "restore",
]
