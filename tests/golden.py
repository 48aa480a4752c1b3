"""A warehouse as canonical JSON, to hold a run's every row and its report against a recorded copy.

The golden files under tests/golden/FAMILY/ were recorded from the bundled sample;
`tests/test_golden.py` runs the same scenarios and compares. Floats compare within a tolerance;
everything else (ids, texts, labels, memberships, lineage, report) compares exactly. The recording
is kept per CPU family (`cpu_family`): float32 model outputs and numba's compiled UMAP differ in the
last bits between, say, an Intel Xeon with AMX and an AMD EPYC, and the sample's small UMAP layout
turns that into other issues (15 against 22), which no float tolerance absorbs. After a deliberate
change of behaviour, record again on each family at hand (the other families' copies then fail
until recorded on such a machine):

    .venv/bin/python tests/golden.py --record

A recording is made at the shipped mining bars with the shipped sentiment model and names both in its
bars.json; the scenarios mine at the bars of the copy they are compared with (`recorded_bars`) and score
with its model (`recorded_sentiment`), so a family recorded before the defaults moved stays comparable
until it is recorded again (see golden_scenarios).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import platform
import re
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, select, text

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_ROOT = Path(__file__).resolve().parent / "golden"
FLOAT_TOLERANCE = 2e-4

# Columns that say when or where a run happened, not what it computed.
VOLATILE_COLUMNS = {
    "pipeline_run": {"started_at", "finished_at", "report_path", "host", "pid"},
    "source_state": {"updated_at"},
    "issue_label": {"set_at"},
    "issue_merge": {"set_at"},
    "stg_issue_label": {"analyst_label_set_at"},
    # The digest covers the mining code itself: any change to cx_nlp/issues gives another.
    "issue_window": {"mined_at", "inputs_digest"},
    # Digests that cover the normalising code and the PII libraries' versions (cx_nlp.feedback).
    "feedback": {"normalised_key"},
    "raw_record": {"redacted_by"},
}
VOLATILE_STATS = {"seconds", "stage_seconds", "documents_per_second"}


# How SQLite hands back a timestamp read through a view (no column type to convert it).
_SQLITE_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$")


def cpu_family(cpuinfo: str | None = None) -> str:
    """Vendor and widest vector unit of this CPU ("intel-amx", "amd-avx512bf16", "amd-avx2"...): what
    decides which kernels torch and numba run, hence the sample's last bits."""
    if cpuinfo is None:
        path = Path("/proc/cpuinfo")
        cpuinfo = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    vendor = "amd" if "AuthenticAMD" in cpuinfo else "intel" if "GenuineIntel" in cpuinfo else platform.machine()
    flags_line = next((line for line in cpuinfo.splitlines() if line.startswith("flags")), "")
    flags = set(flags_line.partition(":")[2].split())
    for flag, unit in (("amx_tile", "amx"), ("avx512_bf16", "avx512bf16"), ("avx512f", "avx512"), ("avx2", "avx2")):
        if flag in flags:
            return f"{vendor}-{unit}"
    return vendor or "unknown"


# Families whose recording came out byte for byte another's share that copy (and `--record` on either
# writes it): an Intel Xeon with AVX-512 and VNNI but neither AMX nor native bfloat16, and one with
# native bfloat16 but no AMX, each recorded exactly the intel-amx files at the same bars (the scenarios
# run the models in float32, where AMX and bfloat16 units are not used).
SHARED_RECORDINGS = {"intel-avx512": "intel-amx", "intel-avx512bf16": "intel-amx"}


def golden_dir(family: str | None = None) -> Path:
    family = family or cpu_family()
    return GOLDEN_ROOT / SHARED_RECORDINGS.get(family, family)


BARS_FILE = "bars.json"
# The key of bars.json under which a copy names its sentiment model (`golden_scenarios.SENTIMENT_FIELDS`).
SENTIMENT_MODEL = "sentiment_model"


def _recorded_settings(family: str | None) -> dict:
    path = golden_dir(family) / BARS_FILE
    if not path.exists():
        raise NoRecording(f"{path} is missing: the copy does not say which mining bars it was recorded at")
    return json.loads(path.read_text(encoding="utf-8"))


def recorded_bars(family: str | None = None) -> dict[str, float]:
    """The mining bars a family's copy was recorded at (its bars.json; `golden_scenarios.MINING_BARS`)."""
    return {k: v for k, v in _recorded_settings(family).items() if k != SENTIMENT_MODEL}


def recorded_sentiment(family: str | None = None) -> dict[str, str]:
    """The sentiment model a family's copy was recorded with (bars.json's `sentiment_model`: the
    registry entry's `golden_scenarios.SENTIMENT_FIELDS`)."""
    recorded = _recorded_settings(family)
    if SENTIMENT_MODEL not in recorded:
        raise NoRecording(f"{golden_dir(family) / BARS_FILE} does not name the sentiment model it was recorded with")
    return recorded[SENTIMENT_MODEL]


def _canonical(value: object) -> object:
    if isinstance(value, str) and _SQLITE_TIMESTAMP.match(value):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, (bytes, memoryview)):
        # Embeddings and centroids (float32): their size, sum and first components stand for them.
        vector = np.frombuffer(bytes(value), dtype="<f4")
        return {
            "dims": int(vector.size),
            "sum": round(float(vector.sum()), 5),
            "head": [round(float(x), 5) for x in vector[:4]],
        }
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def _row(table: str, row: dict) -> dict:
    row = {k: _canonical(v) for k, v in row.items() if k not in VOLATILE_COLUMNS.get(table, set())}
    if table == "pipeline_run" and isinstance(row.get("stats"), dict):
        row["stats"] = {k: v for k, v in row["stats"].items() if k not in VOLATILE_STATS}
    return row


def _sorted_rows(table: str, rows: list[dict]) -> list[dict]:
    canonical = [_row(table, row) for row in rows]
    return sorted(canonical, key=lambda r: json.dumps(r, sort_keys=True))


def dump_warehouse(engine: Engine, sql_dir: Path = ROOT / "sql") -> dict[str, list[dict]]:
    """Every table of the schema and every view of `sql/`, rows canonical and sorted."""
    from cx_nlp.warehouse.schema import metadata
    from cx_nlp.warehouse.views import view_files

    dump: dict[str, list[dict]] = {}
    with engine.connect() as connection:
        for name, table in sorted(metadata.tables.items()):
            dump[name] = _sorted_rows(name, [dict(r) for r in connection.execute(select(table)).mappings()])
        for path in view_files(sql_dir):
            view = re.search(r"CREATE\s+VIEW\s+(\w+)", path.read_text(encoding="utf-8"), re.IGNORECASE).group(1)
            rows = [dict(r) for r in connection.execute(text(f"SELECT * FROM {view}")).mappings()]
            dump[f"view:{view}"] = _sorted_rows(view, rows)
    return dump


def normalised_report(html: str) -> str:
    """The report without when it was generated and which warehouse file it read."""
    html = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? UTC", "<generated>", html)
    return re.sub(r"(sqlite|postgresql\+psycopg)://[^<\s\"]*", "<warehouse>", html)


def differences(expected: object, actual: object, path: str = "", found: list[str] | None = None) -> list[str]:
    """Where two dumps differ (floats within FLOAT_TOLERANCE), at most 20 places."""
    found = [] if found is None else found
    if len(found) >= 20:
        return found
    if isinstance(expected, float) or isinstance(actual, float):
        if not (
            isinstance(expected, (int, float))
            and isinstance(actual, (int, float))
            and math.isclose(expected, actual, rel_tol=0, abs_tol=FLOAT_TOLERANCE)
        ):
            found.append(f"{path}: expected {expected!r}, got {actual!r}")
    elif isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if key not in actual or key not in expected:
                found.append(f"{path}.{key}: only in {'expected' if key in expected else 'actual'}")
            else:
                differences(expected[key], actual[key], f"{path}.{key}", found)
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            found.append(f"{path}: {len(expected)} items expected, {len(actual)} found")
        for index, (a, b) in enumerate(zip(expected, actual)):
            differences(a, b, f"{path}[{index}]", found)
    elif expected != actual:
        found.append(f"{path}: expected {expected!r}, got {actual!r}")
    return found


def write_bars(bars: dict[str, float], sentiment: dict[str, str]) -> None:
    folder = golden_dir()
    folder.mkdir(parents=True, exist_ok=True)
    recorded = {**bars, SENTIMENT_MODEL: sentiment}
    (folder / BARS_FILE).write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def write_golden(name: str, dump: dict, report: str) -> None:
    """One table row per line, so that a re-recorded file reviews as a readable diff."""
    folder = golden_dir()
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for table, rows in dump.items():
        lines.append(json.dumps({"table": table, "rows": len(rows)}))
        lines.extend(json.dumps(row, sort_keys=True, ensure_ascii=False) for row in rows)
    (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / f"{name}.report.html").write_text(report, encoding="utf-8")


class NoRecording(LookupError):
    """No copy of the sample recorded on this CPU family."""


def read_golden(name: str) -> tuple[dict, str]:
    folder = golden_dir()
    if not (folder / f"{name}.jsonl").exists():
        recorded = sorted(p.name for p in GOLDEN_ROOT.iterdir() if p.is_dir()) if GOLDEN_ROOT.exists() else []
        raise NoRecording(
            f"no recording of {name} for this CPU family ({folder.name}); recorded for: "
            f"{', '.join(recorded) or 'none'}. Record on this machine with `.venv/bin/python "
            f"tests/golden.py --record` and compare it with another family's copy before committing."
        )
    dump: dict[str, list[dict]] = {}
    current: list[dict] = []
    for line in (folder / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if set(item) == {"table", "rows"}:
            current = dump.setdefault(item["table"], [])
        else:
            current.append(item)
    return dump, (folder / f"{name}.report.html").read_text(encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit("usage: tests/golden.py --record")
    import tempfile

    sys.path.insert(0, str(ROOT / "tests"))
    from golden_scenarios import SCENARIOS, float32_models, shipped_bars, shipped_sentiment

    from cx_nlp.warehouse.db import make_engine

    sentiment = shipped_sentiment()
    models = float32_models(Path(tempfile.mkdtemp()), sentiment)
    bars = shipped_bars()
    for scenario in SCENARIOS:
        folder = Path(tempfile.mkdtemp(prefix=f"cx-golden-{scenario.__name__}-"))
        url = f"sqlite:///{folder / 'warehouse.db'}"
        report = scenario(url, models, folder, bars)
        write_golden(scenario.__name__, dump_warehouse(make_engine(url)), normalised_report(report))
        print(f"recorded {scenario.__name__} in {golden_dir()}")
    write_bars(bars, sentiment)
    print(f"at {bars} with {sentiment['name']}@{sentiment['version']}")
