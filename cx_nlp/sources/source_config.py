"""The `sources:` list of sources.yaml: file exports mapped by config, and sources read by a connector.

These models import nothing heavier than pydantic, so `cx_nlp.config` can load and re-export them
without pulling in the readers; the connector registry is imported only to name a connector's kind.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from cx_nlp import secrets
from cx_nlp.kpis import SCORE_RANGES
from cx_nlp.sources.fields import SOURCE_NAME, infer_format

# Tags of the sources union: pydantic puts them in error locations, where they only confuse.
UNION_TAGS = frozenset({"file", "connector"})


class FieldMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    text: str
    created_at: str
    title: str | None = None
    rating: str | None = None
    source_kind: str | None = None


class FileSourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=SOURCE_NAME)
    kind: Literal["file"] = "file"
    path: Path
    format: Literal["csv", "jsonl", "parquet"] | None = None
    source_kind: Literal["review", "ticket", "complaint", "survey"]
    fields: FieldMapping
    rating_scale: tuple[float, float] | None = None
    # A survey question type: the rating is then that score (NPS 0-10, CSAT 1-5, CES 1-7) and feeds KPIs.
    score_type: Literal["nps", "csat", "ces"] | None = None
    date_format: str | None = None
    encoding: str = "utf-8"
    metadata: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _scale_of_score_type(self) -> FileSourceConfig:
        if self.score_type is not None:
            if self.fields.rating is None:
                raise ValueError(f"score_type {self.score_type} needs fields.rating, the column holding the score")
            expected = tuple(float(v) for v in SCORE_RANGES[self.score_type])
            if self.rating_scale is None:
                self.rating_scale = expected  # type: ignore[assignment]
            elif tuple(self.rating_scale) != expected:
                scale, kind = list(self.rating_scale), self.score_type
                raise ValueError(f"rating_scale {scale} does not match {kind} {list(expected)}")
        return self

    @model_validator(mode="after")
    def _format_from_suffix(self) -> FileSourceConfig:
        if self.format is None:
            self.format = infer_format(self.path, ("csv", "jsonl", "parquet"))  # type: ignore[assignment]
        return self


_ENV_REFERENCE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


def expand_env(value: object, where: str) -> object:
    """Replace ${NAME} with the environment variable: secrets live in the environment, not in YAML."""
    if isinstance(value, dict):
        return {k: expand_env(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, f"{where}.{i}") for i, v in enumerate(value)]
    if isinstance(value, str):

        def lookup(match: re.Match) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ValueError(f"{where}: environment variable {name} is not set")
            # Whatever the environment supplies to a source's config is treated as a secret.
            secrets.register(os.environ[name])
            return os.environ[name]

        return _ENV_REFERENCE.sub(lookup, value)
    return value


class ConnectorSourceConfig(BaseModel):
    """A source read by a registered connector (an API or a scraper), incrementally from its bookmark."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=SOURCE_NAME)
    kind: str
    # The connector's own settings; ${ENV_NAME} references are filled from the environment when used.
    options: dict = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_connector(self) -> ConnectorSourceConfig:
        # Here rather than at the top: the registry imports every connector and its HTTP stack, which a
        # program that only reads configuration (the model registry, the taxonomy) should not pay for.
        from cx_nlp.sources.connectors import CONNECTORS

        if self.kind == "file" or self.kind not in CONNECTORS:
            raise ValueError(f"kind {self.kind!r} is not a connector; known: file, {', '.join(sorted(CONNECTORS))}")
        return self

    def resolved_options(self) -> dict:
        return expand_env(self.options, f"sources.{self.name}.options")  # type: ignore[return-value]


SourceConfig = FileSourceConfig | ConnectorSourceConfig


def _source_kind(entry: object) -> str:
    return "file" if not isinstance(entry, dict) or entry.get("kind", "file") == "file" else "connector"


class SourcesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[
        Annotated[
            Annotated[FileSourceConfig, Tag("file")] | Annotated[ConnectorSourceConfig, Tag("connector")],
            Discriminator(_source_kind),
        ]
    ]

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesConfig:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {dupes}")
        return self

    def selected(self, names: Sequence[str] | None) -> SourcesConfig:
        """The sources named (all where `names` is None); an unknown name is an error naming it."""
        if names is None:
            return self
        known, wanted = {s.name for s in self.sources}, set(names)
        unknown = sorted(wanted - known)
        if unknown:
            raise ValueError(f"unknown source(s) {unknown}; configured: {sorted(known)}")
        return SourcesConfig.model_construct(sources=[s for s in self.sources if s.name in wanted])
