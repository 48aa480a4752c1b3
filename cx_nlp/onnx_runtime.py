"""A CPU fast path for the embedding model: ONNX Runtime, in float32 or int8.

`export_embedding_model` turns a sentence-transformers folder of a BERT-like encoder with mean pooling
(the packaged all-MiniLM-L6-v2) into a folder `OnnxEmbedder` runs: `model.onnx` and the tokenizer.
`OnnxEmbedder` has the interface and chunking of `embeddings.Embedder` (`encode`, `dimensions`,
`max_tokens`), so either can serve as the pipeline's embedder. Needs `onnx` and `onnxruntime`
(`pip install -c requirements.lock 'cx-nlp[onnx]'`).

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

Quantised vectors differ from torch's, so an entry that uses them needs its own registry version.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from cx_nlp.config import ModelEntry
from cx_nlp.embeddings import _ChunkedEmbedder
from cx_nlp.model_runtime import offline

SCHEMES = ("fp32", "int8", "int8-dynamic")
WEIGHT_BLOCK = 128
MODEL_FILE = "model.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17


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
    import torch
    from transformers import AutoModel

    # Eager attention exports as plain MatMul/Softmax, which ONNX Runtime fuses into its Attention op.
    encoder = AutoModel.from_pretrained(str(model_folder), local_files_only=True, attn_implementation="eager").eval()

    class Encoder(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    sample = tokenizer(["an example", "a second, longer example sentence"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    with torch.inference_mode():
        torch.onnx.export(
            Encoder(encoder),
            tuple(sample[name] for name in INPUTS),
            str(target),
            input_names=list(INPUTS),
            output_names=["last_hidden_state"],
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
        if scheme == "fp32":
            _optimise(exported, target / MODEL_FILE, config)
        elif scheme == "int8":
            quantize_weight_only_int8(exported, target / MODEL_FILE)
        else:
            quantize_int8(exported, target / MODEL_FILE)
    bert = json.loads((model_folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
    meta = {"scheme": scheme, "max_seq_length": bert.get("max_seq_length", 512), "dimensions": config["hidden_size"]}
    (target / "onnx_export.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
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
        meta = json.loads((folder / "onnx_export.json").read_text(encoding="utf-8"))
        self.scheme = meta["scheme"]
        self.dimensions = int(meta["dimensions"])
        self.max_length = min(entry.max_length, int(meta["max_seq_length"]))
        self.max_tokens = self.max_length - 2
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        self.session = session(folder / MODEL_FILE, threads)
        self.step = entry.batch_size * 4

    def _count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _embed_chunks(self, chunks: list[str]) -> np.ndarray:
        out = np.zeros((len(chunks), self.dimensions), dtype=np.float32)
        # Batches of similar lengths pad less: sort by length, write back in the callers' order.
        order = sorted(range(len(chunks)), key=lambda i: len(chunks[i]))
        for start in range(0, len(order), self.entry.batch_size):
            rows = order[start : start + self.entry.batch_size]
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
