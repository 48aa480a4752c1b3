"""Models shipped on PyPI: the default MiniLM folder, and archives cut into parts (all-mpnet-base-v2).

The joining, hash check and unpacking run on a small archive cut into parts here. The real mpnet
parts (400 MB) are installed by `make install-mpnet`, which `make test` runs first; a bare pytest run
without them skips the two tests that need them, and says why.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cx_nlp import packaged_models
from cx_nlp.cli import app
from cx_nlp.config import ModelEntry, load_registry
from cx_nlp.model_runtime import resolve_model_path
from cx_nlp.packaged_models import (
    PACKAGED_MINILM,
    PACKAGED_MPNET,
    SPLIT_ARCHIVES,
    PackagedModelError,
    SplitArchive,
    packaged_model_path,
    part_files,
    unpack,
)

ROOT = Path(__file__).resolve().parent.parent


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, content in members.items():
            zipped.writestr(name, content)
    return buffer.getvalue()


def _cut(blob: bytes, folder: Path, parts: int) -> list[Path]:
    size = -(-len(blob) // parts)
    paths = []
    for i in range(parts):
        path = folder / f"tiny.zip.{i + 1:03d}"
        path.write_bytes(blob[i * size : (i + 1) * size])
        paths.append(path)
    return paths


def _archive(blob: bytes) -> SplitArchive:
    return SplitArchive(
        reference="packaged:tiny",
        distributions=("tiny-part-001", "tiny-part-002", "tiny-part-003"),
        sha256=hashlib.sha256(blob).hexdigest(),
        folder="tiny-model",
        install_hint="`make install-tiny`",
        description="a test archive",
    )


MEMBERS = {
    "tiny-model/config.json": b'{"model_type": "bert"}',
    "tiny-model/1_Pooling/config.json": b'{"pooling_mode_mean_tokens": true}',
    "tiny-model/desktop.ini": b"[.ShellClassInfo]",
    "tiny-model/1_Pooling/desktop.ini": b"[.ShellClassInfo]",
    "tiny-model/model.safetensors": bytes(range(256)) * 300,
}


def test_parts_are_joined_checked_and_unpacked_once(tmp_path):
    blob = _zip(MEMBERS)
    parts = _cut(blob, tmp_path, 3)
    archive = _archive(blob)
    cache = tmp_path / "cache"

    folder = unpack(archive, parts, cache)

    assert folder == cache / f"tiny-model-{archive.sha256[:12]}"
    assert (folder / "model.safetensors").read_bytes() == MEMBERS["tiny-model/model.safetensors"]
    assert (folder / "1_Pooling" / "config.json").read_bytes() == MEMBERS["tiny-model/1_Pooling/config.json"]
    # The uploader's folder settings are no part of the model.
    assert not list(folder.rglob("desktop.ini"))
    # No scratch left beside the model.
    assert [p.name for p in cache.iterdir()] == [folder.name]
    # The second load reuses the folder: the parts are not read again.
    for part in parts:
        part.unlink()
    assert unpack(archive, parts, cache) == folder


def test_a_load_after_the_unpack_does_not_look_for_the_part_packages(tmp_path, monkeypatch):
    blob = _zip(MEMBERS)
    archive = _archive(blob)  # its part packages are not installed
    monkeypatch.setitem(SPLIT_ARCHIVES, archive.reference, archive)
    cache = tmp_path / "cache"
    with pytest.raises(PackagedModelError, match="tiny-part-001, tiny-part-002, tiny-part-003"):
        packaged_model_path(archive.reference, cache=cache)
    folder = unpack(archive, _cut(blob, tmp_path, 3), cache)
    assert packaged_model_path(archive.reference, cache=cache) == folder


def test_parts_out_of_order_or_changed_are_refused(tmp_path):
    blob = _zip(MEMBERS)
    parts = _cut(blob, tmp_path, 3)
    archive = _archive(blob)
    cache = tmp_path / "cache"

    with pytest.raises(PackagedModelError, match=f"expected {archive.sha256}.*make install-tiny"):
        unpack(archive, [parts[1], parts[0], parts[2]], cache)
    parts[2].write_bytes(parts[2].read_bytes()[:-10])
    with pytest.raises(PackagedModelError, match="SHA-256"):
        unpack(archive, parts, cache)
    # Nothing half-made is left for a later load to pick up.
    assert list(cache.iterdir()) == []


def test_archive_paths_that_climb_out_are_refused(tmp_path):
    blob = _zip({"tiny-model/config.json": b"{}", "tiny-model/../../escape.txt": b"x"})
    archive = _archive(blob)
    with pytest.raises(PackagedModelError, match="unsafe path"):
        unpack(archive, _cut(blob, tmp_path, 2), tmp_path / "cache")
    assert not (tmp_path / "escape.txt").exists()


def test_archive_without_a_model_config_is_refused(tmp_path):
    blob = _zip({"other-folder/config.json": b"{}", "tiny-model/vocab.txt": b"a"})
    with pytest.raises(PackagedModelError, match=r"no tiny-model/config.json"):
        unpack(_archive(blob), _cut(blob, tmp_path, 2), tmp_path / "cache")


def test_missing_part_packages_are_named_with_the_install_command():
    archive = replace(SPLIT_ARCHIVES[PACKAGED_MPNET], distributions=("cx-no-such-part-001", "cx-no-such-part-002"))
    with pytest.raises(PackagedModelError) as caught:
        part_files(archive)
    assert "cx-no-such-part-001, cx-no-such-part-002" in str(caught.value)
    assert "make install-mpnet" in str(caught.value)


def test_unknown_packaged_model_lists_the_known_ones():
    with pytest.raises(PackagedModelError, match="packaged:all-MiniLM-L6-v2, packaged:all-mpnet-base-v2"):
        packaged_model_path("packaged:no-such-model")


def test_default_minilm_resolves_to_its_package_folder():
    folder = packaged_model_path(PACKAGED_MINILM)
    assert (folder / "config.json").is_file()
    entry = ModelEntry(name="all-MiniLM-L6-v2", version="x", path=PACKAGED_MINILM)
    assert resolve_model_path(entry, ROOT) == str(folder)


def test_model_cache_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CX_MODEL_CACHE", str(tmp_path / "models"))
    assert packaged_models.model_cache() == tmp_path / "models"
    monkeypatch.delenv("CX_MODEL_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert packaged_models.model_cache() == tmp_path / "xdg" / "cx-nlp" / "models"


def test_prepare_command(tmp_path):
    runner = CliRunner()
    default = runner.invoke(app, ["models", "prepare"])
    assert default.exit_code == 0, default.output
    assert f"{PACKAGED_MINILM}: {packaged_model_path(PACKAGED_MINILM)}" in default.output
    wrong = runner.invoke(app, ["models", "prepare", "models/cx-sentiment-minilm"])
    assert wrong.exit_code == 2
    assert "not a packaged:NAME model" in wrong.output


def test_mpnet_registry_uses_mpnet_for_both_stages():
    root = Path(__file__).resolve().parents[1]
    default = load_registry(root / "models" / "registry.yaml")
    mpnet = load_registry(root / "models" / "registry_mpnet.yaml")
    assert mpnet.embedding.path == PACKAGED_MPNET
    assert mpnet.embedding.ref != default.embedding.ref
    adapter = json.loads((root / mpnet.sentiment.path / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"] == PACKAGED_MPNET
    assert mpnet.sentiment.ref != default.sentiment.ref


def _mpnet_parts_installed() -> bool:
    try:
        metadata.distribution(SPLIT_ARCHIVES[PACKAGED_MPNET].distributions[0])
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(not _mpnet_parts_installed(), reason="mpnet parts not installed (make install-mpnet)")
@pytest.mark.models
def test_real_mpnet_parts_unpack_and_embed(tmp_path):
    from sentence_transformers import SentenceTransformer

    folder = packaged_model_path(PACKAGED_MPNET, cache=tmp_path)
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    vectors = model.encode(
        ["The courier never turned up", "My parcel was not delivered", "The app crashes at checkout"],
        normalize_embeddings=True,
    )
    assert vectors.shape == (3, 768)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


@pytest.mark.skipif(not _mpnet_parts_installed(), reason="mpnet parts not installed (make install-mpnet)")
@pytest.mark.models
def test_mpnet_sentiment_adapter_reads_clear_cases():
    from cx_nlp.sentiment import SentimentClassifier

    root = Path(__file__).resolve().parents[1]
    entry = load_registry(root / "models" / "registry_mpnet.yaml").sentiment
    scores = SentimentClassifier(entry, root).score(
        [
            "The refund never arrived and support stopped answering my emails.",
            "My order number is 4471 and it was placed on Tuesday.",
            "Lovely staff, the sofa arrived early and looks great.",
        ]
    )
    assert [s.label for s in scores] == ["negative", "neutral", "positive"]
