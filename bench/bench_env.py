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


def corpus_written(corpus: Path, documents: int) -> Path:
    """`corpus`, holding bench_nights.py's corpus of `documents` (seed 13). One missing is written here,
    then the script runs again in a fresh image (same arguments), so that the generator's imports and
    pages count in none of its measurements (80 MiB more in a waiting run at 1,000 documents)."""
    if not (corpus / "sources.yaml").exists():
        from bench_nights import write_corpus

        corpus.mkdir(parents=True, exist_ok=True)
        write_corpus(corpus, documents, 0.1, 13)
        os.execv(sys.executable, [sys.executable, *sys.argv])
    return corpus


def sample_pipeline(folder: str):
    """The bundled sample's pipeline (the project's own config) over a fresh SQLite warehouse in
    `folder`, reports written there too: (context, engine)."""
    from cx_nlp.pipeline import PipelineContext
    from cx_nlp.settings import Settings
    from cx_nlp.warehouse.db import make_engine, migrate

    settings = Settings(home=ROOT, progress=False, warehouse_url=f"sqlite:///{folder}/b.db", report_dir=Path(folder))
    engine = make_engine(settings.resolved_warehouse_url())
    migrate(engine, ROOT / "sql")
    return PipelineContext.from_settings(settings), engine
