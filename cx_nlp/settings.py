"""Runtime settings from the environment (prefix CX_), validated once at start-up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import DirectoryPath, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


# A per-day backfill's ingest worker (`ingest_apart.IngestWorker`, the settings below say when).
INGEST_WORKER_RECYCLE_MIB = 1024.0
INGEST_WORKER_WINDOW = 10_000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CX_", extra="ignore")

    # SQLite beside the project by default; any SQLAlchemy URL (PostgreSQL in production).
    # A password belongs in the environment or an Airflow connection, never in a committed file.
    warehouse_url: str = Field(default="", description="SQLAlchemy URL of the warehouse")
    home: Path = Field(default_factory=project_root, description="Folder relative paths resolve against")
    sources_config: Path = Path("config/sources.yaml")
    touchpoints_config: Path = Path("config/touchpoints.yaml")
    model_registry: Path = Path("models/registry.yaml")
    # Unset: `warehouse/reports` for the default warehouse, and a folder of its own under it for any
    # other (report_folder_for), so two warehouses never overwrite each other's reports.
    report_dir: Path = Path("warehouse/reports")
    sql_dir: Path = Path("sql")
    issue_window_days: int = Field(default=28, ge=1)
    # How problems are grouped before clustering: across touchpoints (each issue then reported under
    # the touchpoint most of its feedback names), per touchpoint, or chosen per night ("auto": across
    # when one touchpoint holds half the problems; cx_nlp.issues.tracking). Across found issues closer
    # to the labels on every set measured, real and the project's own (docs/quality.md).
    issue_grouping: Literal["touchpoint", "across", "auto"] = "across"
    # What reduces embeddings before density clustering: "pca", "umap" (slower; better where problems
    # are many and close), or "auto": UMAP for problems clustered across touchpoints, PCA per
    # touchpoint (docs/quality.md, "Mining segments").
    issue_reducer: Literal["pca", "umap", "auto"] = "auto"
    # Most problem units density-clustered in one mining fit; above it a seeded sample is clustered and
    # the rest join by nearest centre, so a cold window's memory and time stop growing with it.
    issue_cluster_limit: int = Field(default=50_000, ge=100, description="Most units clustered in one mining fit")
    # A mining fit over at least this many problem units holds their vectors as float16, half the
    # memory of float32 (`IssueMiner.half_precision_from`); smaller fits are exactly as in float32.
    issue_half_precision_from: int = Field(
        default=50_000, ge=0, description="Units from which a mining fit holds its vectors as float16"
    )
    # ... and from this many keeps them in a temporary file read through the page cache
    # (`IssueMiner.spill_from`), in `issue_spill_folder` (None: the system's temporary folder; an
    # existing folder, checked at start-up, not when a large night reaches it): the same values, so
    # the same issues, and not part of the mining digest.
    issue_spill_from: int = Field(
        default=500_000, ge=0, description="Units from which a mining fit keeps its vectors in a temporary file"
    )
    issue_spill_folder: DirectoryPath | None = None
    # `cx-nlp run` ingests each interval in a fresh process (cx_nlp.ingest_apart): what the ingest
    # leaves in a process (its heap's pages, the models' runtime) is handed back before the mining,
    # which then starts from a small process. A per-day backfill's days share one such process, which
    # loads the models once (`IngestWorker`). A warehouse in this process's memory (`sqlite://`) is
    # always ingested in it.
    ingest_in_fresh_process: bool = True
    # That process is replaced after a day that leaves it holding more than this (MiB), so the run's
    # mining never works beside a large ingest's leftovers; and closed after each day once the mined
    # window reaches `ingest_worker_window` documents, whose mining alone peaks near 900 MiB beside the
    # waiting models' 850 (docs/benchmarks.md). The defaults keep a backfill within 2 GiB; a larger box
    # may keep its worker longer.
    ingest_worker_recycle_mib: float = Field(
        default=INGEST_WORKER_RECYCLE_MIB, gt=0, description="Resident MiB above which a backfill's worker is replaced"
    )
    ingest_worker_window: int = Field(
        default=INGEST_WORKER_WINDOW, ge=0, description="Mined window from which a backfill's worker closes each day"
    )
    # Two issues found the same night merge when their centres are this close (cosine on
    # all-MiniLM-L6-v2's scale, `IssueMiner.merge_similarity`). 0.85 keeps fine neighbouring problems
    # apart where 0.75 chained them into catch-alls: BANKING77 0.771 -> 0.806 NMI over four seeds, the
    # five real sets +0.039 -> +0.056 over the best baseline; one problem told two ways whose wordings'
    # centres sit between the two (0.83) stays two issues (docs/quality.md, "Merge bar").
    issue_merge_similarity: float = Field(default=0.85, gt=0, le=1, description="Centre cosine at which issues merge")
    # A problem unit joins an issue when it is this close to the issue's centre (cosine on
    # all-MiniLM-L6-v2's scale): a known issue before tonight's clustering, and, for a unit the
    # clustering leaves out, the nearest issue after it (`IssueMiner.known_threshold` and
    # `outlier_threshold`, one bar so that what a pull-in placed can rejoin the next night). 0.4 rather than 0.5:
    # restaurant sentences' outliers 20.5% -> 12.5% at the worst of four seeds, CFPB narratives'
    # stability 0.932 -> 0.952, the project's own sets +0.007 to +0.020 NMI, the five real sets' mean
    # NMI level (docs/quality.md, "Join bar").
    issue_join_similarity: float = Field(
        default=0.4, gt=0, le=1, description="Cosine to an issue's centre at which a problem unit joins it"
    )
    batch_size: int = Field(default=32, ge=1)
    # Feedback per pass through the models (cx_nlp.enrichment): an interval's memory follows this, not
    # the interval's size; each chunk's vectors go to the embedding cache when it is done.
    chunk_documents: int = Field(default=2000, ge=1, description="Feedback per pass through the models")
    # Where the models run: "auto" takes the first CUDA GPU torch sees and the CPU otherwise; "cpu",
    # "cuda", "cuda:N" or "mps" by name (a named GPU that is missing stops the run at the first model).
    device: str = Field(
        default="auto", pattern=r"^(auto|cpu|mps|cuda(:\d+)?)$", description="Torch device of the models (CX_DEVICE)"
    )
    progress: bool = True
    # Also redact people's names and street addresses (cx_nlp.pii_entities): needs the optional
    # `names` extra (spaCy and a packaged model); off by default (figures in README, "Personal data").
    pii_names: bool = Field(default=False, description="Redact names and street addresses too (CX_PII_NAMES)")

    @model_validator(mode="after")
    def _reports_per_warehouse(self) -> Settings:
        if "report_dir" not in self.model_fields_set and self.warehouse_url:
            self.report_dir = self.report_dir / report_folder_for(self.warehouse_url)
        return self

    def path(self, value: Path) -> Path:
        return value if value.is_absolute() else self.home / value

    def resolved_warehouse_url(self) -> str:
        if self.warehouse_url:
            return self.warehouse_url
        return f"sqlite:///{self.home / 'warehouse' / 'cx.db'}"


def report_folder_for(warehouse_url: str) -> str:
    """A folder name for a warehouse's reports: dialect, host, port and database, never the credentials."""
    from sqlalchemy.engine import make_url

    url = make_url(warehouse_url)
    parts = [url.get_backend_name(), url.host or "", str(url.port or ""), url.database or "memory"]
    return re.sub(r"[^A-Za-z0-9._]+", "-", "-".join(p for p in parts if p)).strip("-.")
