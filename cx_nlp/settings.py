"""Runtime settings from the environment (prefix CX_), validated once at start-up."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CX_", extra="ignore")

    # SQLite beside the project by default; any SQLAlchemy URL (PostgreSQL in production).
    # A password belongs in the environment or an Airflow connection, never in a committed file.
    warehouse_url: str = Field(default="", description="SQLAlchemy URL of the warehouse")
    home: Path = Field(default_factory=project_root, description="Folder relative paths resolve against")
    sources_config: Path = Path("config/sources.yaml")
    touchpoints_config: Path = Path("config/touchpoints.yaml")
    model_registry: Path = Path("models/registry.yaml")
    report_dir: Path = Path("warehouse/reports")
    sql_dir: Path = Path("sql")
    issue_window_days: int = Field(default=28, ge=1)
    batch_size: int = Field(default=32, ge=1)
    progress: bool = True
    # Also redact people's names and street addresses (cx_nlp.pii_entities): needs the optional
    # `names` extra (spaCy and a packaged model); off by default (figures in README, "Personal data").
    pii_names: bool = Field(default=False, description="Redact names and street addresses too (CX_PII_NAMES)")

    def path(self, value: Path) -> Path:
        return value if value.is_absolute() else self.home / value

    def resolved_warehouse_url(self) -> str:
        if self.warehouse_url:
            return self.warehouse_url
        return f"sqlite:///{self.home / 'warehouse' / 'cx.db'}"
