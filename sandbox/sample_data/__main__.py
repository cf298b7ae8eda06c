from __future__ import annotations

import sys
from pathlib import Path

from sandbox.sample_data import DATA_DIR, generate

generate(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA_DIR)
