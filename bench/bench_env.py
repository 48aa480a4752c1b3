"""What every benchmark sets before numpy or the product is imported, and where the project lies.

Each script in bench/ imports this module first (Python puts bench/ on the path of a script run from
it): OpenBLAS reads OPENBLAS_CORETYPE when numpy loads it (its AVX-512 kernels crash on this
project's CPUs for large products), and models load from local folders only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT / "bench", ROOT):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
