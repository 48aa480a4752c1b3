"""Typed YAML configuration (sources, touchpoint taxonomy, model registry) with errors that name the file and field."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, model_validator


class ConfigError(ValueError):
    """A configuration file is missing or invalid; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldMapping(_Strict):
    id: str
    text: str
    created_at: str
    title: str | None = None
    rating: str | None = None
    source_kind: str | None = None


class FileSourceConfig(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
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
    def _scale_of_score_type(self) -> "FileSourceConfig":
        if self.score_type is not None:
            from cx_nlp.kpis import SCORE_RANGES

            if self.fields.rating is None:
                raise ValueError(f"score_type {self.score_type} needs fields.rating, the column holding the score")
            expected = tuple(float(v) for v in SCORE_RANGES[self.score_type])
            if self.rating_scale is None:
                self.rating_scale = expected  # type: ignore[assignment]
            elif tuple(self.rating_scale) != expected:
                raise ValueError(f"rating_scale {list(self.rating_scale)} does not match {self.score_type} {list(expected)}")
        return self

    @model_validator(mode="after")
    def _format_from_suffix(self) -> "FileSourceConfig":
        if self.format is None:
            suffix = self.path.suffix.lower().lstrip(".")
            if suffix not in ("csv", "jsonl", "parquet"):
                raise ValueError(f"cannot infer format from {self.path.name!r}; set format: csv|jsonl|parquet")
            self.format = suffix  # type: ignore[assignment]
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
            return os.environ[name]

        return _ENV_REFERENCE.sub(lookup, value)
    return value


class ConnectorSourceConfig(_Strict):
    """A source read by a registered connector (an API or a scraper), incrementally from its bookmark."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: str
    # The connector's own settings; ${ENV_NAME} references are filled from the environment when used.
    options: dict = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_connector(self) -> "ConnectorSourceConfig":
        from cx_nlp.sources.connectors import CONNECTORS

        if self.kind == "file" or self.kind not in CONNECTORS:
            raise ValueError(f"kind {self.kind!r} is not a connector; known: file, {', '.join(sorted(CONNECTORS))}")
        return self

    def resolved_options(self) -> dict:
        return expand_env(self.options, f"sources.{self.name}.options")  # type: ignore[return-value]


# Tags of the sources union: pydantic puts them in error locations, where they only confuse.
_UNION_TAGS = {"file", "connector"}


def _source_kind(entry: object) -> str:
    return "file" if not isinstance(entry, dict) or entry.get("kind", "file") == "file" else "connector"


class SourcesConfig(_Strict):
    sources: list[
        Annotated[
            Annotated[FileSourceConfig, Tag("file")] | Annotated[ConnectorSourceConfig, Tag("connector")],
            Discriminator(_source_kind),
        ]
    ]

    @model_validator(mode="after")
    def _unique_names(self) -> "SourcesConfig":
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {dupes}")
        return self


class Touchpoint(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    stage: str
    description: str
    examples: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)


class MetadataRule(_Strict):
    field: str
    equals: str
    touchpoint: str


class Taxonomy(_Strict):
    taxonomy: str
    other: str = "other"
    touchpoints: list[Touchpoint]
    metadata_rules: list[MetadataRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rules_name_known_touchpoints(self) -> "Taxonomy":
        known = {t.name for t in self.touchpoints}
        for i, rule in enumerate(self.metadata_rules):
            if rule.touchpoint not in known:
                raise ValueError(f"metadata_rules[{i}].touchpoint {rule.touchpoint!r} is not one of {sorted(known)}")
        return self

    def names(self) -> list[str]:
        return [t.name for t in self.touchpoints]


# How a model's forward pass multiplies on CPU (ModelEntry.cpu_precision, train-sentiment --cpu-precision).
CpuPrecision = Literal["float32", "bfloat16"]
CPU_PRECISIONS: tuple[str, ...] = get_args(CpuPrecision)


class ModelEntry(_Strict):
    name: str
    version: str
    # A folder (relative to the project), 'packaged:all-MiniLM-L6-v2', 'packaged:multilingual-e5-small'
    # (embedding only; needs the `multilingual` extra), or a hub id already in the local cache.
    path: str
    max_length: int = Field(default=128, ge=8)
    batch_size: int = Field(default=32, ge=1)
    # For models whose config says LABEL_0.. instead of names: model label -> negative|neutral|positive.
    label_map: dict[str, Literal["negative", "neutral", "positive"]] = Field(default_factory=dict)
    # ISO 639-1 codes the model was trained for; empty means any. Text detected in another language
    # is never scored by it (it would get a confident, meaningless label).
    languages: list[str] = Field(default_factory=list)
    # Arithmetic of the forward pass on CPU. "bfloat16" runs the matrix products in bfloat16 (torch CPU
    # autocast; weights and outputs stay float32): about 1.8x faster for all-mpnet-base-v2 where the
    # CPU multiplies bfloat16 natively (AVX512-BF16 or AMX), with cosines within 1e-4 of float32.
    # Elsewhere it would be emulated and slower, so such a CPU runs float32 and logs why.
    cpu_precision: CpuPrecision = "float32"
    # Sentiment models only. A text of two or more salient sentences (at least `evidence_min_words`
    # words, not a question) keeps its most negative sentence as evidence; when that sentence's
    # negative probability reaches `negative_evidence`, the document is negative whatever the mean
    # says (null: evidence is kept, the label never overridden).
    evidence_min_words: int = Field(default=4, ge=1)
    negative_evidence: float | None = Field(default=0.95, gt=0, le=1)
    # Embedding models only. Every cosine threshold in the pipeline (touchpoint match, known issue,
    # outlier pull-in, cohesion, merge, split) is set on all-MiniLM-L6-v2's scale; a model whose
    # cosines live elsewhere (e5: unrelated texts at 0.83) maps them as offset + scale * threshold.
    similarity_offset: float = 0.0
    similarity_scale: float = Field(default=1.0, gt=0)
    # The same for cosines between two issue centres (merges, matching a new cluster to a prior issue).
    # Centres are means, and a model can crowd its means much closer together than its single texts;
    # unset: as above.
    centre_similarity_offset: float | None = None
    centre_similarity_scale: float | None = Field(default=None, gt=0)

    def similarity(self, reference_threshold: float) -> float:
        """A cosine threshold set on MiniLM's scale, on this embedding model's scale."""
        return self.similarity_offset + self.similarity_scale * reference_threshold

    def centre_similarity(self, reference_threshold: float) -> float:
        """A threshold between two issue centres, set on MiniLM's scale, on this model's scale."""
        offset = self.similarity_offset if self.centre_similarity_offset is None else self.centre_similarity_offset
        scale = self.similarity_scale if self.centre_similarity_scale is None else self.centre_similarity_scale
        return offset + scale * reference_threshold

    def reads(self, language: str) -> bool:
        # "und": too short to tell (e.g. "ok"); such texts are scored as the model's own language.
        return not self.languages or language in self.languages or language == "und"

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


class ModelRegistry(_Strict):
    sentiment: ModelEntry
    embedding: ModelEntry


def _load_yaml(path: Path) -> object:
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def _validate(model: type[BaseModel], path: Path):
    try:
        return model.model_validate(_load_yaml(path))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'] if p not in _UNION_TAGS) or '(top level)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None


def load_sources(path: Path) -> SourcesConfig:
    return _validate(SourcesConfig, path)


def load_taxonomy(path: Path) -> Taxonomy:
    return _validate(Taxonomy, path)


def load_registry(path: Path) -> ModelRegistry:
    return _validate(ModelRegistry, path)
