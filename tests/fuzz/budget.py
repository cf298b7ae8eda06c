"""Hypothesis budgets of the fuzz tests: small in ``make test``, large under ``HYPOTHESIS_PROFILE=chaos``.

Settings objects decorate each test rather than ``settings.load_profile``, so the profile chosen here
never changes the budget of the other property tests in the same pytest session.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

CHAOS = os.environ.get("HYPOTHESIS_PROFILE") == "chaos"
_SCALE = 10 if CHAOS else 1


def budget(examples: int) -> settings:
    """``examples`` in the quick run, 10 times as many in the chaos run; no deadline (the machine is shared)."""
    return settings(
        max_examples=examples * _SCALE,
        deadline=None,
        derandomize=not CHAOS,  # make test: the same examples every run; chaos: new ones each time
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        print_blob=True,
    )
