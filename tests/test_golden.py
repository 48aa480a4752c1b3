"""The bundled sample's every row, id and report, held against the copy recorded in
tests/golden/FAMILY/ on this machine's CPU family (`golden.cpu_family`).

Any change that alters what a run writes fails here, on SQLite and on PostgreSQL alike: a
restructuring must leave this green, and a deliberate change of behaviour records the files again
(`tests/golden.py --record`) so that the diff shows what changed.
"""

from __future__ import annotations

import pytest
from golden import (
    GOLDEN_ROOT,
    SHARED_RECORDINGS,
    cpu_family,
    differences,
    dump_warehouse,
    golden_dir,
    normalised_report,
    read_golden,
    recorded_bars,
    recorded_sentiment,
)
from golden_scenarios import MINING_BARS, ROOT, SCENARIOS, SENTIMENT_FIELDS, float32_models

from cx_nlp import spooled
from cx_nlp.warehouse.db import make_engine


@pytest.fixture(scope="session")
def float32(tmp_path_factory):
    return float32_models(tmp_path_factory.mktemp("float32"), recorded_sentiment())


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_sample_rows_and_report_match_the_recorded_run(scenario, warehouse_url, float32, tmp_path, monkeypatch):
    # Past `cx_nlp.spooled.SPILL_FROM` rows, what the sources load and the feedback normalised from it
    # wait on disk until the write, and past `MAPPING_SPILL_FROM` texts or feedback, the tones scored and
    # the feedback id each raw record became. On SQLite the sample's one interval runs with both at 16,
    # so every source spills; on PostgreSQL, and for the nights' small intervals, all stays in memory.
    spilled: list[int] = []
    maps_spilled: list[int] = []
    on_disk = scenario is SCENARIOS[0] and warehouse_url.startswith("sqlite")
    if on_disk:
        spill, spill_map = spooled.SpooledList._spill, spooled.SpooledMapping._spill
        monkeypatch.setattr(spooled, "SPILL_FROM", 16)
        monkeypatch.setattr(spooled, "MAPPING_SPILL_FROM", 16)
        monkeypatch.setattr(spooled.SpooledList, "_spill", lambda self: (spilled.append(len(self)), spill(self)))
        monkeypatch.setattr(spooled.SpooledMapping, "_spill", lambda self: (maps_spilled.append(1), spill_map(self)))
    expected_dump, expected_report = read_golden(scenario.__name__)
    report = scenario(warehouse_url, float32, tmp_path, recorded_bars())
    engine = make_engine(warehouse_url)
    dump = dump_warehouse(engine)
    engine.dispose()

    # Raw rows and records of each source, and the feedback: more lists than sources.
    assert (len(spilled) >= 5 and set(spilled) == {17}) if on_disk else not spilled
    assert len(maps_spilled) == (2 if on_disk else 0)
    assert list(dump) == list(expected_dump), "tables and views differ from the recorded run"
    for table in expected_dump:
        found = differences(expected_dump[table], dump[table], table)
        assert not found, "\n".join(found)
    assert normalised_report(report) == expected_report


@pytest.mark.parametrize(
    ("vendor", "flags", "family"),
    [
        ("GenuineIntel", "fpu sse2 avx2 avx512f avx512_bf16 amx_bf16 amx_tile", "intel-amx"),
        ("AuthenticAMD", "fpu sse2 avx2 avx512f avx512_bf16", "amd-avx512bf16"),
        ("AuthenticAMD", "fpu sse2 avx2 avx512f", "amd-avx512"),
        ("GenuineIntel", "fpu sse2 avx2", "intel-avx2"),
        ("GenuineIntel", "fpu sse2 avx2 avx512f avx512_vnni", "intel-avx512"),
        ("GenuineIntel", "fpu sse2 avx2 avx512f avx512_bf16 avx512_fp16", "intel-avx512bf16"),
    ],
)
def test_recordings_are_kept_per_cpu_vendor_and_widest_vector_unit(vendor, flags, family):
    cpuinfo = f"processor\t: 0\nvendor_id\t: {vendor}\nflags\t\t: {flags}\n\nprocessor\t: 1\n"
    assert cpu_family(cpuinfo) == family


def test_a_family_that_recorded_another_familys_files_exactly_reads_that_copy():
    assert golden_dir("intel-avx512") == golden_dir("intel-amx") == GOLDEN_ROOT / "intel-amx"
    assert golden_dir("intel-avx512bf16") == GOLDEN_ROOT / "intel-amx"
    assert golden_dir("amd-avx2") == GOLDEN_ROOT / "amd-avx2"
    # Every shared copy exists, so the family reading it is compared, not told "no recording".
    for family, copy in SHARED_RECORDINGS.items():
        assert (GOLDEN_ROOT / copy / "sample_run.jsonl").exists(), family


def test_every_recording_names_the_mining_bars_and_the_sentiment_model_it_was_made_with():
    families = sorted(p for p in GOLDEN_ROOT.iterdir() if (p / "sample_run.jsonl").exists())
    assert families
    for folder in families:
        bars = recorded_bars(folder.name)
        assert sorted(bars) == sorted(MINING_BARS), folder.name
        assert all(0 < value <= 1 for value in bars.values()), folder.name
        # And the sentiment model it was scored with, whose folder and calibration are still shipped.
        sentiment = recorded_sentiment(folder.name)
        assert sorted(sentiment) == sorted(SENTIMENT_FIELDS), folder.name
        assert (ROOT / sentiment["path"] / "adapter_config.json").exists(), folder.name
        assert sentiment["tone_calibration"] is None or (ROOT / sentiment["tone_calibration"]).exists()
