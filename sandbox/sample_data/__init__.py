"""Deterministic sample data for the files connector, with a few deliberate defects.

``python -m sandbox.sample_data [FOLDER]`` writes it (default: sandbox/data, which is committed).
Each defect is listed in ``DEFECTS`` so tests and the demo can check that every one is reported.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sandbox.sample_data import catalog, flows

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

DEFECTS: list[dict[str, str]] = [*catalog.DEFECTS, *flows.DEFECTS]


def generate(folder: Path = DATA_DIR) -> None:
    catalog.write(folder)
    flows.write(folder)


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA_DIR)
