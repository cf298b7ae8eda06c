"""Garbage-collector settings for the length of a sync step.

A sync allocates millions of short-lived dicts and strings and frees them batch by batch; with the
default thresholds CPython runs a full collection every so often over every object the process holds
(mappings, models, SQLAlchemy metadata), which costs a large share of an ingest. During a step the
objects that existed before it are frozen (left out of collections) and the youngest generation is
collected a little less often; reference counting still frees almost everything at once, and the
previous settings come back when the step ends. (A much higher threshold saves a little more CPU but
lets the cyclic garbage of publish pages pile up: peak RSS then grows with the catalogue, measured.)

The youngest generation's threshold follows the batch size: a batch keeps some 40 containers per
record alive until it commits, and a threshold below that collects the same live batch again and
again (at 1000 records, 2000 meant some 1600 collections and 5% of a full sync's CPU, all of it
finding nothing: what a batch frees, reference counting frees). Older generations keep their ratios.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_THRESHOLD = (2_000, 10, 10)
_PER_RECORD = 50  # youngest-generation allowance per record of a batch (containers alive at once)
_YOUNG_MAX = 500_000  # whatever the batch size: cyclic garbage is still collected this often
_depth = 0


@contextmanager
def batch_friendly_gc(batch_size: int = 0) -> Iterator[None]:
    global _depth
    if _depth or not gc.isenabled():
        yield
        return
    _depth += 1
    previous = gc.get_threshold()
    gc.freeze()
    young, *older = _THRESHOLD
    gc.set_threshold(max(young, min(_PER_RECORD * batch_size, _YOUNG_MAX)), *older)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
        _depth -= 1
