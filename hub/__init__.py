"""Commerce integration hub core: canonical models, mappings, validation, store and sync engine.

Nothing in this package knows Dagster or a vendor API; connectors and pipelines build on it.
"""

from __future__ import annotations

__version__ = "0.1.0"
