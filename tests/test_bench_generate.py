"""The benchmark's feedback generator: reproducible, readable by the project's file sources, structured."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from generate import Generator  # noqa: E402
from generate_files import write_files  # noqa: E402

from cx_nlp.config import load_sources  # noqa: E402
from cx_nlp.sources.ingest import ingest  # noqa: E402


def test_a_document_depends_only_on_seed_and_index():
    small = list(Generator(seed=5).documents(200))
    large = list(Generator(seed=5).documents(300))
    assert small == large[:200]
    assert list(Generator(seed=5).documents(50, start_index=100)) == large[100:150]
    assert [d.text for d in Generator(seed=6).documents(200)] != [d.text for d in small]


def test_documents_mix_channels_lengths_and_recurring_problems():
    docs = list(Generator(seed=1).documents(3000))
    channels = Counter(d.channel for d in docs)
    assert set(channels) == {"review", "social", "ticket", "complaint", "survey"}
    words = {c: sorted(len(d.text.split()) for d in docs if d.channel == c) for c in channels}
    median = {c: w[len(w) // 2] for c, w in words.items()}
    assert median["social"] < 25 < median["ticket"] and median["complaint"] >= 120
    topics = Counter(d.topic for d in docs if d.tone == "negative")
    assert len(topics) >= 20 and topics.most_common(1)[0][1] >= 0.05 * sum(topics.values())
    assert not [d.text for d in docs if "{" in d.text and d.channel != "complaint"]
    assert len({d.text for d in docs}) >= 0.9 * len(docs)
    assert len({d.id for d in docs}) == len(docs)


def test_volumes_follow_each_problems_profile():
    docs = list(Generator(seed=2, start=date(2026, 10, 19), days=28).documents(6000))
    crashes = [d for d in docs if d.topic == "app_crash"]
    early = [d for d in crashes if d.created_at.date() < date(2026, 10, 30)]
    assert len(early) < 0.1 * len(crashes)
    queues = [d for d in docs if d.topic == "store_queues"]
    assert sum(d.created_at.weekday() >= 5 for d in queues) > 0.7 * len(queues)


def test_written_files_load_through_the_projects_file_sources(tmp_path):
    generator = Generator(seed=3, start=date(2026, 10, 19), days=28)
    counts = write_files(generator.documents(600), tmp_path)
    assert sum(counts.values()) == 600
    config = load_sources(tmp_path / "sources.yaml")
    loads, failures = ingest(config, ROOT, date(2026, 10, 19), date(2026, 11, 16))
    assert failures == {}
    read = {load.source: len(load.records) for load in loads}
    assert sum(read.values()) == 600, read
    assert not [q for load in loads for q in load.quarantined]
    truth = (tmp_path / "truth.csv").read_text(encoding="utf-8").splitlines()
    assert len(truth) == 601
    complaints = next(load for load in loads if load.source == "cfpb_complaints").records
    assert all(r.text and r.created_at.date() >= date(2026, 10, 19) for r in complaints)
