"""A CPU fast path for the registry's models: ONNX Runtime, in float32 or int8.

`export_embedding_model` turns a sentence-transformers folder of a BERT-like encoder with mean pooling
(the packaged all-MiniLM-L6-v2) into a folder `OnnxEmbedder` runs: `model.onnx` and the tokenizer.
`OnnxEmbedder` has the interface and chunking of `embeddings.Embedder` (`encode`, `dimensions`,
`max_tokens`), so either can serve as the pipeline's embedder. `export_sentiment_model` does the same
for a sequence classifier (a LoRA adapter merged into its base first), run by `OnnxSentimentClassifier`
with `sentiment.SentimentClassifier`'s chunking, evidence and labels.

A registry entry selects this path with `runtime` (`onnx-fp32`, `onnx-int8`, `onnx-int8-dynamic`):
`prepared_folder` exports the entry's model on first use into the model cache (CX_MODEL_CACHE), in a
folder named after a digest of the source model's files, the scheme and the exporting libraries'
versions, so a retrained model or an upgrade exports afresh and never loads a stale graph. Needs
`onnx`, `onnxruntime` and `onnx-ir` (`pip install -c requirements.lock 'cx-nlp[onnx]'`).

Schemes (fidelity against torch float32 on 1,206 real texts, and speed: bench/bench_onnx.py,
docs/benchmarks.md):

- `fp32`: the exported graph with ONNX Runtime's transformer fusions; the same vectors as torch
  (cosine 1.0000), so it can keep the torch entry's version.
- `int8`: weight-only int8 (MatMulNBits: weights in blocks of 128 with their own scale, products in
  int8 with activations quantised per block): cosine 0.999 mean, 0.995 at worst.
- `int8-dynamic`: dynamic quantisation, weights per output channel, activations per tensor at run time.
  The fastest (about 13 ms of CPU a text against 22 for `int8` and `fp32`, 38 for torch) but at the
  edge of the bar: cosine 0.992 mean and 0.966-0.970 at worst. The
  quantiser's default (one scale per weight tensor) is worse still: 0.953 mean, 0.84 at worst.

Quantised vectors and probabilities differ from torch's, so an entry that uses them is stored under its
own version (`ModelEntry` appends "+onnx-int8" or "+onnx-int8-dynamic").
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from cx_nlp.config import ModelEntry
from cx_nlp.embeddings import _ChunkedEmbedder
from cx_nlp.model_runtime import ADAPTER_CONFIG, offline, resolve_model_path
from cx_nlp.sentiment import SentimentClassifier
from cx_nlp.textprep import additive_counter

SCHEMES = ("fp32", "int8", "int8-dynamic")
# The registry's `runtime` values and the export scheme each runs.
RUNTIME_SCHEMES = {"onnx-fp32": "fp32", "onnx-int8": "int8", "onnx-int8-dynamic": "int8-dynamic"}
WEIGHT_BLOCK = 128
MODEL_FILE = "model.onnx"
META_FILE = "onnx_export.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17
# Raised when the export itself changes (graph, inputs, quantiser options): every cached export is redone.
EXPORT_FORMAT = 1
# The libraries whose versions shape an exported graph: an upgrade of any of them re-exports.
EXPORT_LIBRARIES = ("torch", "transformers", "peft", "onnx", "onnxruntime", "onnx-ir")
# Files of a model folder that are no part of the weights, tokenizer or configuration.
_UNHASHED = re.compile(r"^(README\.md|training_report\.json|\..*)$")

log = logging.getLogger(__name__)


class _DropMessages(logging.Filter):
    def __init__(self, prefix: str):
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefix)


@contextlib.contextmanager
def _quiet_export() -> Iterator[None]:
    """The exporter warns about traced Python conditions and the quantiser logs every node at INFO: a
    run's log would drown in them, and neither says anything the fidelity checks do not. Importing the
    weight-only quantiser also calls logging.basicConfig(level=INFO); the root logger is put back. The
    dynamic quantiser's general advice to pre-process the graph is dropped: what this export gives
    without it is measured (docs/benchmarks.md)."""
    root, quantiser = logging.getLogger(), logging.getLogger("onnxruntime.quantization")
    root_handlers, root_level, level = list(root.handlers), root.level, quantiser.level
    quantiser.setLevel(logging.WARNING)
    advice = _DropMessages("Please consider to run pre-processing")
    root.addFilter(advice)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"torch\.onnx.*|transformers.*")
            warnings.filterwarnings("ignore", category=UserWarning, message=".*aten::index.*")
            yield
    finally:
        root.removeFilter(advice)
        quantiser.setLevel(level)
        for handler in [h for h in root.handlers if h not in root_handlers]:
            root.removeHandler(handler)
        root.setLevel(root_level)


def _require_onnx() -> None:
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise ImportError("the ONNX fast path needs onnx and onnxruntime: pip install 'cx-nlp[onnx]'") from exc


def _pooling(model_folder: Path) -> None:
    """Refuses a model whose sentence vector is not the mean of its token vectors (the only pooling here)."""
    config = model_folder / "1_Pooling" / "config.json"
    if config.is_file() and not json.loads(config.read_text(encoding="utf-8")).get("pooling_mode_mean_tokens"):
        raise ValueError(f"{model_folder}: only mean pooling is exported to ONNX")


def _export_fp32(model_folder: Path, target: Path, tokenizer) -> None:
    from transformers import AutoModel

    # Eager attention exports as plain MatMul/Softmax, which ONNX Runtime fuses into its Attention op.
    encoder = AutoModel.from_pretrained(str(model_folder), local_files_only=True, attn_implementation="eager").eval()
    _export_graph(encoder, "last_hidden_state", target, tokenizer)


def _export_graph(model, output: str, target: Path, tokenizer) -> None:
    """The model's `output` (last_hidden_state, logits) as an ONNX graph over batch and token axes."""
    import torch

    class Graph(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return getattr(out, output)

    sample = tokenizer(["an example", "a second, longer example sentence"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS} | {output: {0: "batch"}}
    if output == "last_hidden_state":
        axes[output][1] = "tokens"
    with torch.inference_mode():
        torch.onnx.export(
            Graph(model),
            tuple(sample[name] for name in INPUTS),
            str(target),
            input_names=list(INPUTS),
            output_names=[output],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


def _optimise(source: Path, target: Path, config: dict) -> None:
    from onnxruntime.transformers.optimizer import optimize_model

    model = optimize_model(
        str(source),
        model_type="bert",
        num_heads=config["num_attention_heads"],
        hidden_size=config["hidden_size"],
        opt_level=1,
    )
    model.save_model_to_file(str(target))


def quantize_int8(source: Path, target: Path, per_channel: bool = True, exclude: tuple[str, ...] = ()) -> None:
    """Dynamic int8 of an exported encoder; `exclude` names nodes kept in float32."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8,
        per_channel=per_channel,
        nodes_to_exclude=list(exclude),
        # Shapes the optimiser's fused ops leave untyped are float tensors.
        extra_options={"DefaultTensorType": TensorProto.FLOAT},
    )


def quantize_weight_only_int8(source: Path, target: Path, block_size: int = WEIGHT_BLOCK) -> None:
    """Int8 weights per block of `block_size` inputs; accuracy level 4 multiplies in int8 (needs onnx-ir)."""
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer

    options = {"block_size": block_size, "is_symmetric": True, "accuracy_level": 4, "bits": 8}
    quantizer = MatMulNBitsQuantizer(
        onnx.load(str(source)), **options, algo_config=DefaultWeightOnlyQuantConfig(**options)
    )
    quantizer.process()
    quantizer.model.save_model_to_file(str(target), use_external_data_format=False)


@_quiet_export()
def export_embedding_model(model_folder: str | Path, target: Path, scheme: str = "int8") -> Path:
    """Writes `target/model.onnx` and the tokenizer; returns `target`. Deterministic for a given model."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme {scheme!r}: expected one of {', '.join(SCHEMES)}")
    _require_onnx()
    model_folder = Path(model_folder)
    _pooling(model_folder)
    target.mkdir(parents=True, exist_ok=True)
    config = json.loads((model_folder / "config.json").read_text(encoding="utf-8"))
    offline()
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_folder), local_files_only=True)
    tokenizer.save_pretrained(str(target))
    with tempfile.TemporaryDirectory() as work:
        exported = Path(work) / "exported.onnx"
        _export_fp32(model_folder, exported, tokenizer)
        _apply_scheme(exported, target / MODEL_FILE, scheme, config)
    bert = json.loads((model_folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
    meta = {
        "kind": "embedding",
        "scheme": scheme,
        "max_seq_length": bert.get("max_seq_length", 512),
        "dimensions": config["hidden_size"],
    }
    (target / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return target


def _apply_scheme(exported: Path, target: Path, scheme: str, config: dict) -> None:
    if scheme == "fp32":
        _optimise(exported, target, config)
    elif scheme == "int8":
        quantize_weight_only_int8(exported, target)
    else:
        quantize_int8(exported, target)


@_quiet_export()
def export_sentiment_model(entry: ModelEntry, home: Path, target: Path, scheme: str = "int8") -> Path:
    """Writes `target/model.onnx` (input ids -> logits) and the tokenizer of the entry's classifier; a LoRA
    adapter is merged into its base first, so the graph is one plain classifier. Returns `target`."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme {scheme!r}: expected one of {', '.join(SCHEMES)}")
    _require_onnx()
    offline()
    from transformers import AutoTokenizer

    from cx_nlp.sentiment import load_classifier

    model, path = load_classifier(entry, home)
    # Eager attention exports as plain MatMul/Softmax, which ONNX Runtime fuses into its Attention op.
    model.set_attn_implementation("eager")
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    target.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(str(target))
    config = model.config.to_dict()
    with tempfile.TemporaryDirectory() as work:
        exported = Path(work) / "exported.onnx"
        _export_graph(model, "logits", exported, tokenizer)
        _apply_scheme(exported, target / MODEL_FILE, scheme, config)
    meta = {
        "kind": "sentiment",
        "scheme": scheme,
        "id2label": {str(k): v for k, v in model.config.id2label.items()},
        "max_seq_length": int(config.get("max_position_embeddings", 512)),
    }
    (target / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return target


def source_folders(entry: ModelEntry, home: Path) -> list[Path]:
    """The folders an entry's model is read from: its own, and for a LoRA adapter the base it names."""
    folder = Path(resolve_model_path(entry, home))
    folders = [folder]
    if (folder / ADAPTER_CONFIG).is_file():
        from cx_nlp.sentiment import adapter_base_path

        folders.append(Path(adapter_base_path(folder, entry, home)))
    return folders


def export_key(entry: ModelEntry, home: Path, kind: str) -> str:
    """A digest of what an export depends on: the source files' bytes, the kind and scheme, the export
    format and the exporting libraries' versions. Hashing the bytes (not dates) means a reinstalled
    identical model reuses its export, and a retrained one never does."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    digest.update(f"{kind}\0{RUNTIME_SCHEMES[entry.runtime]}\0{EXPORT_FORMAT}\0".encode())
    for library in EXPORT_LIBRARIES:
        try:
            digest.update(f"{library}={version(library)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{library}=-\0".encode())
    for folder in source_folders(entry, home):
        if not folder.is_dir():  # a hub id in the local cache: its name is all there is to key on
            digest.update(f"hub:{folder}\0".encode())
            continue
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = file.relative_to(folder)
            if any(_UNHASHED.match(part) for part in relative.parts) or relative.parts[0] in ("onnx", "openvino"):
                continue
            digest.update(f"{relative.as_posix()}\0".encode())
            with file.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
    return digest.hexdigest()


def prepared_folder(entry: ModelEntry, home: Path, kind: str, cache: Path | None = None) -> Path:
    """The exported folder of the entry's model for its `runtime`, exporting it the first time.

    The export is written beside its final place and renamed into it when complete, so an interrupted
    export never leaves a half model, and two processes exporting at once both end with a whole one."""
    from cx_nlp.packaged_models import model_cache

    if entry.runtime not in RUNTIME_SCHEMES:
        raise ValueError(f"model {entry.ref}: runtime {entry.runtime!r} is not an ONNX runtime")
    if kind not in ("embedding", "sentiment"):
        raise ValueError(f"kind {kind!r}: expected embedding or sentiment")
    scheme = RUNTIME_SCHEMES[entry.runtime]
    root = (cache or model_cache()) / "onnx"
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", entry.name)
    target = root / f"{name}-{kind}-{scheme}-{export_key(entry, home, kind)[:16]}"
    if (target / META_FILE).is_file():
        return target
    _require_onnx()
    root.mkdir(parents=True, exist_ok=True)
    log.info("model %s: exporting to ONNX (%s) once, into %s", entry.ref, scheme, target)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=root, prefix=".export-") as scratch:
        staging = Path(scratch) / "model"
        if kind == "embedding":
            export_embedding_model(resolve_model_path(entry, home), staging, scheme)
        else:
            export_sentiment_model(entry, home, staging, scheme)
        meta = json.loads((staging / META_FILE).read_text(encoding="utf-8"))
        meta |= {"model": entry.name, "sources": [str(f) for f in source_folders(entry, home)]}
        meta["export_seconds"] = round(time.perf_counter() - started, 1)
        (staging / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        try:
            staging.rename(target)
        except OSError:
            # Another process finished the same export first: its folder is as good as ours.
            if not (target / META_FILE).is_file():
                raise
    return target


def session(model_file: Path, threads: int | None = None):
    """An ONNX Runtime CPU session with `threads` intra-op threads (default: the cores this process may use)."""
    _require_onnx()
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or len(os.sched_getaffinity(0))
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """L2-normalised mean of the token vectors under the attention mask, as sentence-transformers pools."""
    weights = mask[..., None].astype(np.float32)
    summed = (hidden * weights).sum(1) / np.clip(weights.sum(1), 1e-9, None)
    return summed / np.clip(np.linalg.norm(summed, axis=1, keepdims=True), 1e-12, None)


class OnnxEmbedder(_ChunkedEmbedder):
    """An exported embedding model (`export_embedding_model`) run by ONNX Runtime on CPU."""

    def __init__(self, entry: ModelEntry, folder: Path, threads: int | None = None):
        offline()
        from transformers import AutoTokenizer

        self.entry = entry
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        self.scheme = meta["scheme"]
        self.dimensions = int(meta["dimensions"])
        self.max_length = min(entry.max_length, int(meta["max_seq_length"]))
        self.max_tokens = self.max_length - 2
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        self._count_many = additive_counter(self.tokenizer)
        self.session = session(folder / MODEL_FILE, threads)
        self.batch_size, self.max_batch_tokens = entry.batch_size, entry.max_batch_tokens
        self.step = entry.batch_size * 4

    def _count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _embed_chunks(self, chunks: list[str], batch_size: int) -> np.ndarray:
        out = np.zeros((len(chunks), self.dimensions), dtype=np.float32)
        # Batches of similar lengths pad less: sort by length, write back in the callers' order.
        order = sorted(range(len(chunks)), key=lambda i: len(chunks[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = self.tokenizer(
                [chunks[i] for i in rows],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="np",
            )
            feed = {name: batch[name].astype(np.int64) for name in INPUTS}
            hidden = self.session.run(None, feed)[0]
            out[rows] = mean_pool(hidden, batch["attention_mask"])
        return out


class OnnxSentimentClassifier(SentimentClassifier):
    """An exported sentiment classifier (`export_sentiment_model`) run by ONNX Runtime on CPU; chunking,
    evidence sentences and labels are `SentimentClassifier`'s."""

    def __init__(self, entry: ModelEntry, folder: Path, threads: int | None = None):
        offline()
        from transformers import AutoTokenizer

        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        if meta.get("kind") != "sentiment":
            raise ValueError(f"{folder}: not an exported sentiment model ({meta.get('kind')!r})")
        self.scheme = meta["scheme"]
        self.session = session(folder / MODEL_FILE, threads)
        self.device = "cpu"  # ONNX Runtime's CPU provider, whatever CX_DEVICE says
        self._configure(entry, AutoTokenizer.from_pretrained(str(folder), local_files_only=True), meta["id2label"])
        self.max_tokens = min(self.max_tokens, int(meta["max_seq_length"]) - 2)

    def _probabilities(self, texts: Sequence[str]) -> np.ndarray:
        out = []
        for offset in range(0, len(texts), self.entry.batch_size):
            encoded = self.tokenizer(
                list(texts[offset : offset + self.entry.batch_size]),
                padding=True,
                truncation=True,
                max_length=self.max_tokens + 2,
                return_tensors="np",
            )
            logits = self.session.run(None, {name: encoded[name].astype(np.int64) for name in INPUTS})[0]
            logits = logits.astype(np.float64)
            # Softmax as torch computes it, shifted by the row maximum so large logits cannot overflow.
            exp = np.exp(logits - logits.max(axis=1, keepdims=True))
            out.append((exp / exp.sum(axis=1, keepdims=True))[:, self.label_order])
        return np.concatenate(out) if out else np.zeros((0, 3))
