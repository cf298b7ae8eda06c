"""The code location ``workspace.yaml`` loads: Definitions from HUB_CONFIG (else ./hub.yaml).

The CLI and tests call ``pipelines.build.build_definitions`` with their own configuration instead.
"""

from __future__ import annotations

from pipelines.build import build_definitions

defs = build_definitions()
