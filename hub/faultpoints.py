"""Named crash points: ``reached("name")`` kills the process with SIGKILL when ``HUB_KILL_AT`` names it.

The crash tests (tests/chaos/crashes.py) run a hub command with ``HUB_KILL_AT=<name>[:<nth>]`` (nth counts
from 1, default 1: the nth time this process reaches the point), then run it again without, and compare
the end state with an uninterrupted run. The variable is read once, at import: when it is unset a call
costs one comparison with None.
"""

from __future__ import annotations

import os
import signal

from hub.errors import ConfigError

#: Every point the hub code marks, in the order a record meets them. Keep in step with the calls.
POINTS: tuple[str, ...] = (
    # sync (hub/engine)
    "ingest.batch.read",  # a batch was read from the source, nothing of it applied yet
    "ingest.batch.committed",  # a batch and its cursor committed, the next one not read yet
    "publish.page.written",  # a page was written to the target, the delivery ledger not updated
    "publish.page.recorded",  # a page and its ledger committed, the next page not written
    # order to cash (hub/workflows, connectors/threepl)
    "order.sale.created",  # the ERP sale exists, the hub still says allocated
    "order.sale.confirmed",  # ERP sale confirmed (and the 855 sent), the hub still says quoted
    "threepl.send.uploaded",  # 3PL request in its outbox, our sent/ ledger copy still pending
    "order.requests.sent",  # every 3PL request sent, the hub still says confirmed
    "order.shipment.applied",  # 3PL shipment booked in the ERP, the hub has not recorded it
    "threepl.file.applied",  # every message of a 3PL file applied, the file not archived yet
    # SFTP uploads (connectors/sftp)
    "sftp.write.transferring",  # the .part file is open and being written
    "sftp.write.uploaded",  # the .part file is complete, not renamed to its final name
    # EDI (hub/edi)
    "edi.control.taken",  # a control number was committed, nothing carrying it written yet
    "edi.ack.decided",  # the 997 is built and kept in the ledger, not uploaded
    "edi.ack.uploaded",  # the 997 is uploaded, the interchange not marked processed
    "edi.inbox.finished",  # every interchange of the file processed, the file not moved
    "edi.send.prepared",  # an outbound interchange is in the ledger as prepared, not uploaded
    "edi.send.uploaded",  # an outbound interchange is uploaded, the ledger not marked sent
)

ENV = "HUB_KILL_AT"


def parse(value: str | None) -> tuple[str, int] | None:
    """``name`` or ``name:nth`` -> (name, nth); None when unset or empty. Unknown names are refused, so a
    typo cannot make a crash test pass without crashing."""
    if not value:
        return None
    name, _, nth = value.partition(":")
    if name not in POINTS:
        raise ConfigError(f"{ENV}={value!r}: unknown point; one of {', '.join(POINTS)}", key=ENV)
    try:
        count = int(nth) if nth else 1
    except ValueError:
        raise ConfigError(f"{ENV}={value!r}: the part after ':' must be a number", key=ENV) from None
    if count < 1:
        raise ConfigError(f"{ENV}={value!r}: nth counts from 1", key=ENV)
    return name, count


_target = parse(os.environ.get(ENV))
_seen = 0


def reached(name: str) -> None:
    """Mark a crash point; SIGKILL this process when it is the one ``HUB_KILL_AT`` names (nth time)."""
    if _target is None or name != _target[0]:
        return
    global _seen
    _seen += 1
    if _seen == _target[1]:
        os.kill(os.getpid(), signal.SIGKILL)
