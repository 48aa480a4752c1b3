"""An interval goes through the models in chunks (`chunk_documents`): the same rows as one pass, a text
repeated in several chunks scored and embedded once, and the vectors of finished chunks kept in the
embedding cache when a later chunk fails, so the rerun embeds only the rest."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
from golden_scenarios import float32_models
from sqlalchemy import text

from cx_nlp import enrichment, spooled
from cx_nlp.embeddings import from_bytes
from cx_nlp.normalise import content_hash
from cx_nlp.pipeline import PipelineContext, ingest_interval
from cx_nlp.progress import StageTimer
from cx_nlp.records import Feedback
from cx_nlp.warehouse.db import make_engine, migrate
from cx_nlp.warehouse.spool import ScoredRowSpool

# The sample's last week: 129 feedback in 8 chunks. Any interval of several chunks shows what chunks
# do; the whole sample would only read more texts.
SAMPLE = (date(2026, 11, 9), date(2026, 11, 16))
CHUNK = 17


def stored(engine) -> dict:
    with engine.connect() as connection:
        tones = connection.execute(
            text("SELECT feedback_id, label, p_negative, p_neutral, p_positive, score FROM feedback_sentiment")
        ).all()
        segments = connection.execute(
            text(
                "SELECT feedback_id, position, content_hash, label, p_negative, p_positive, touchpoint, text FROM feedback_segment"
            )
        ).all()
        touchpoints = connection.execute(
            text("SELECT feedback_id, touchpoint, is_primary, method FROM feedback_touchpoint")
        ).all()
        vectors = connection.execute(text("SELECT content_hash, vector FROM embedding")).all()
    return {
        "tones": {row[0]: tuple(row[1:]) for row in tones},
        "segments": {(row[0], row[1]): tuple(row[2:]) for row in segments},
        "touchpoints": sorted(tuple(row) for row in touchpoints),
        "vectors": {h: from_bytes(v) for h, v in vectors},
    }


def ingest(settings_factory, models, url: str, **settings):
    context = PipelineContext.from_settings(settings_factory(warehouse_url=url, **settings), models=models)
    engine = make_engine(url)
    migrate(engine, context.settings.path(context.settings.sql_dir))
    with StageTimer(False) as timer:
        result = ingest_interval(context, engine, *SAMPLE, timer=timer)
    return result, timer, engine


@pytest.fixture(scope="module")
def float32(tmp_path_factory):
    return float32_models(tmp_path_factory.mktemp("float32"))


@pytest.fixture(scope="module")
def one_pass(settings_factory, float32, tmp_path_factory):
    """The sample's interval through the models in one chunk."""
    url = f"sqlite:///{tmp_path_factory.mktemp('one-pass') / 'warehouse.db'}"
    result, _, engine = ingest(settings_factory, float32, url)
    rows = stored(engine)
    engine.dispose()
    return result, rows


def test_chunks_store_what_one_pass_stores(settings_factory, float32, tmp_path, one_pass, monkeypatch):
    # SQLite only: the spooled rows land alike on PostgreSQL (tests/test_spool.py).
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    whole, expected = one_pass
    # The tones of the texts scored so far go to disk past MAPPING_SPILL_FROM texts (a million
    # documents' worth): here at 50, from the first chunk on, and no text may be scored twice for it
    # (one pass keeps them in memory).
    spills: list[int] = []
    spill = spooled.SpooledMapping._spill
    monkeypatch.setattr(spooled, "MAPPING_SPILL_FROM", 50)
    monkeypatch.setattr(spooled.SpooledMapping, "_spill", lambda self: (spills.append(1), spill(self)))
    scored_calls: list[list[str]] = []
    score = float32.sentiment.score

    def recording(texts, progress=None):
        scored_calls.append(list(texts))
        return score(texts, progress)

    monkeypatch.setattr(float32.sentiment, "score", recording)
    # Each chunk's rows are set aside as the chunk is done (`cx_nlp.warehouse.spool`), before the next
    # chunk is scored: the interval's scored records are never held together.
    set_aside: list[tuple[int, int]] = []
    add = ScoredRowSpool.add

    def setting_aside(spool, documents):
        set_aside.append((len(scored_calls), len(documents)))
        add(spool, documents)

    monkeypatch.setattr(ScoredRowSpool, "add", setting_aside)
    result, timer, engine = ingest(settings_factory, float32, warehouse_url, chunk_documents=CHUNK)
    found = stored(engine)
    engine.dispose()
    assert [calls for calls, _ in set_aside] == list(range(1, 9))
    assert spills == [1, 1]  # the tones, and the feedback id each raw record became
    assert sum(size for _, size in set_aside) == result.stats["feedback"]

    assert whole.stats["feedback"] == result.stats["feedback"] > 7 * CHUNK
    assert len(scored_calls) == 8
    every_text = [t for call in scored_calls for t in call]
    assert len(every_text) == len(set(every_text)) == result.stats["scored"] == whole.stats["scored"]
    assert result.stats["embedded"] == whole.stats["embedded"] == len(found["vectors"])

    # Texts that differ only where the content hash does not look ("Code not valid." and "Code not
    # valid??") share one score: that of the spelling scored first, which chunks may change.
    spellings: dict[str, set[str]] = {}
    for text_hash, *_, segment_text in expected["segments"].values():
        spellings.setdefault(text_hash, set()).add(segment_text)
    alike = {key for key, row in expected["segments"].items() if len(spellings[row[0]]) == 1}
    assert found["segments"].keys() == expected["segments"].keys() and len(alike) >= 0.98 * len(found["segments"])
    # float32: a text's scores do not depend on the batch it shares (bfloat16's move by up to 0.02).
    for key, (text_hash, label, p_negative, p_positive, touchpoint, _) in found["segments"].items():
        before = expected["segments"][key]
        assert (text_hash, touchpoint) == (before[0], before[4]), key
        if key in alike:
            assert label == before[1] and (p_negative, p_positive) == pytest.approx(before[2:4], abs=1e-4), key
    assert found["tones"].keys() == expected["tones"].keys()
    documents_alike = {feedback_id for feedback_id, _ in alike} - {f for f, _ in found["segments"].keys() - alike}
    for key in documents_alike:
        label, *probabilities = found["tones"][key]
        assert label == expected["tones"][key][0], key
        assert probabilities == pytest.approx(expected["tones"][key][1:], abs=1e-4), key
    assert found["touchpoints"] == expected["touchpoints"]
    assert found["vectors"].keys() == expected["vectors"].keys()
    several = {h for h, texts in spellings.items() if len(texts) > 1}
    for text_hash, vector in found["vectors"].items():
        assert text_hash in several or np.allclose(vector, expected["vectors"][text_hash], atol=1e-4), text_hash
    # The timer adds the chunks up: every text of the interval under one stage.
    assert timer.documents["sentiment"] == result.stats["scored"]
    assert timer.documents["touchpoints"] == result.stats["feedback"]


def test_a_text_in_several_chunks_is_scored_and_embedded_once(settings_factory, models, tmp_path, monkeypatch):
    shared = "The courier left the parcel out in the rain."
    openings = ["I ordered a lamp.", "Bought a rug online.", "Two chairs came today.", "The kettle arrived."]
    feedback = [
        Feedback(f"f{i}", "test", f"e{i}", "review", f"{opening} {shared}", content_hash(f"{opening} {shared}"),
                 "en", 0.99, datetime(2026, 11, 3, tzinfo=UTC), None, {})
        for i, opening in enumerate(openings)
    ]  # fmt: skip
    context = PipelineContext.from_settings(settings_factory(), models=models)
    engine = make_engine(f"sqlite:///{tmp_path / 'warehouse.db'}")
    migrate(engine, context.settings.path(context.settings.sql_dir))
    asked: dict[str, list[str]] = {"score": [], "encode": []}

    def recorder(name, call):
        def recording(texts, progress=None):
            asked[name].extend(texts)
            return call(texts, progress)

        return recording

    monkeypatch.setattr(models.sentiment, "score", recorder("score", models.sentiment.score))
    monkeypatch.setattr(models.embedder, "encode", recorder("encode", models.embedder.encode))
    fitted, read = [], []
    fit, cached_embeddings = enrichment.TouchpointAssigner.fit, enrichment.store.cached_embeddings
    monkeypatch.setattr(
        enrichment.TouchpointAssigner, "fit", lambda self, encode: fitted.append(1) or fit(self, encode)
    )
    monkeypatch.setattr(
        enrichment.store,
        "cached_embeddings",
        lambda c, hashes, *model: read.extend(hashes) or cached_embeddings(c, hashes, *model),
    )
    enriched = enrichment.enrich_interval(
        context.registry, context.taxonomy, models, engine, feedback, StageTimer(False), chunk_documents=1
    )
    engine.dispose()
    # Four chunks each hold the shared sentence: the models see it once.
    assert asked["score"].count(shared) == 1 and asked["encode"].count(shared) == 1
    assert len(asked["score"]) == len(set(asked["score"])) == enriched.scored_texts == 9
    tones = {repr(s.sentiment) for d in enriched.scored for s in d.segments if s.segment.text == shared}
    assert len(tones) == 1 and sum(len(d.segments) for d in enriched.scored) == 8
    # The taxonomy's phrases are looked up and the assigner fitted by the first chunk only.
    phrases = [content_hash(p) for p in enrichment.TouchpointAssigner(context.taxonomy).phrases()]
    assert len(fitted) == 1 and all(read.count(h) == 1 for h in phrases)


def test_a_failed_chunk_leaves_the_vectors_of_those_before_and_the_rerun_embeds_the_rest(
    settings_factory, float32, tmp_path, one_pass, monkeypatch
):
    models = float32
    whole, _ = one_pass
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    encode = models.embedder.encode
    calls = []

    def failing_third(texts, progress=None):
        calls.append(len(texts))
        if len(calls) == 3:
            raise RuntimeError("out of memory in the third chunk")
        return encode(texts, progress)

    monkeypatch.setattr(models.embedder, "encode", failing_third)
    with pytest.raises(RuntimeError, match="third chunk"):
        ingest(settings_factory, models, url, chunk_documents=CHUNK)
    engine = make_engine(url)
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT COUNT(*) FROM embedding")).scalar_one()
        feedback = connection.execute(text("SELECT COUNT(*) FROM feedback")).scalar_one()
    engine.dispose()
    # Two chunks' texts (and the taxonomy's phrases) are cached; the interval itself is not written.
    assert kept == sum(calls[:2]) and feedback == 0

    monkeypatch.setattr(models.embedder, "encode", encode)
    rerun, _, engine = ingest(settings_factory, models, url, chunk_documents=CHUNK)
    engine.dispose()
    assert rerun.stats["embedded"] == whole.stats["embedded"] - kept
    assert rerun.stats["feedback"] == whole.stats["feedback"]


def test_a_stage_entered_again_adds_its_seconds_and_documents():
    timer = StageTimer(False)
    for total in (3, 4):
        with timer.stage("embed", total) as advance:
            advance(total)
    assert timer.documents == {"embed": 7}
    assert timer.seconds["embed"] >= 0 and set(timer.rates()) <= {"embed"}


def test_chunk_documents_must_be_positive(settings_factory):
    with pytest.raises(ValueError, match="chunk_documents"):
        settings_factory(chunk_documents=0)
