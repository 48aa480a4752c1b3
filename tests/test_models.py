"""Sentiment, embedding and touchpoint stages with the real packaged and trained models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cx_nlp.config import ModelEntry, load_taxonomy
from cx_nlp.textprep import chunk_by_tokens, prepare_for_embedding
from cx_nlp.touchpoints import TouchpointAssigner

ROOT = Path(__file__).resolve().parent.parent


def test_sentiment_labels_clear_cases(models):
    scores = models.sentiment.score(
        [
            "Absolutely furious. The parcel never came and support hung up on me. Worst shop ever.",
            "Lovely staff, quick delivery and the sofa is perfect. Thank you so much!",
        ]
    )
    negative, positive = scores
    assert negative.label == "negative" and positive.label == "positive"
    for score in scores:
        assert score.negative + score.neutral + score.positive == pytest.approx(1.0, abs=1e-4)
        assert score.score == pytest.approx(score.positive - score.negative)
        assert (score.model_name, score.model_version) == ("cx-sentiment-minilm-distilled", "1.0.0")
    assert negative.score < -0.5 < 0.5 < positive.score


def test_long_text_is_chunked_not_truncated(models):
    complaint = " ".join(["The refund for my returned table has still not arrived after five weeks."] * 40)
    praise_tail = " Thank you, the agent on chat was wonderful and kind."
    [score] = models.sentiment.score([complaint + praise_tail])
    assert score.chunks > 1
    assert score.label == "negative"
    sentiment = models.sentiment
    chunks = chunk_by_tokens(complaint + praise_tail, sentiment._count_tokens, sentiment.max_tokens)
    assert "".join(chunks).replace(" ", "") == (complaint + praise_tail).replace(" ", "")
    assert all(sentiment._count_tokens(c) <= sentiment.max_tokens for c in chunks)


def test_any_local_model_with_other_label_names_works_through_label_map(models, tmp_path):
    from cx_nlp.sentiment import SentimentClassifier

    folder = tmp_path / "renamed-model"
    shutil.copytree(ROOT / "models" / "cx-sentiment-minilm", folder)
    config = json.loads((folder / "config.json").read_text())
    config["id2label"] = {"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"}
    config["label2id"] = {"LABEL_0": 0, "LABEL_1": 1, "LABEL_2": 2}
    (folder / "config.json").write_text(json.dumps(config))
    entry = ModelEntry(name="renamed", version="x", path=str(folder))
    with pytest.raises(ValueError, match="label_map"):
        SentimentClassifier(entry, ROOT)
    mapped = entry.model_copy(
        update={"label_map": {"LABEL_0": "negative", "LABEL_1": "neutral", "LABEL_2": "positive"}}
    )
    text = "They charged my card twice and nobody answers."
    [theirs] = SentimentClassifier(mapped, ROOT).score([text])
    original = ModelEntry(name="original", version="x", path="models/cx-sentiment-minilm")
    [ours] = SentimentClassifier(original, ROOT).score([text])
    assert theirs.label == ours.label
    assert theirs.negative == pytest.approx(ours.negative, abs=1e-5)


def test_embeddings_are_normalised_and_meaningful(models):
    vectors = models.embedder.encode(
        ["My parcel arrived a week late", "The delivery came seven days after the promised date", "I love the new sofa"]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    sentence = "The courier left my parcel in the rain."
    long_text, short_text = " ".join([sentence] * 80), " ".join([sentence] * 20)
    assert models.embedder._count_tokens(long_text) > 2 * models.embedder.max_tokens  # several chunks
    assert models.embedder._count_tokens(short_text) <= models.embedder.max_tokens  # one chunk
    long_vector, short_vector = models.embedder.encode([long_text, short_text])
    assert np.isclose(np.linalg.norm(long_vector), 1.0, atol=1e-5)
    # Averaged over its chunks, the long text still embeds like the same content read in one pass.
    assert long_vector @ short_vector > 0.9


def test_handles_and_links_are_not_embedded_so_tweets_group_by_problem_not_account(models):
    tweets = [
        "@SkyJet my bag never arrived in Denver https://t.co/x1",
        "@SkyJet @help_desk my flight was cancelled again",
        "@BlueWings my bag never arrived in Denver",
    ]
    vectors = models.embedder.encode([*tweets, "my bag never arrived in Denver", "@SkyJet"])
    # The same complaint to two airlines embeds alike, and as the complaint alone.
    assert vectors[0] @ vectors[2] > 0.999 and vectors[0] @ vectors[3] > 0.999
    # Two problems to one airline do not: the handle no longer pulls them together.
    assert vectors[0] @ vectors[1] < 0.5
    # A text that is nothing but a handle keeps it, rather than embedding an empty string.
    assert prepare_for_embedding("@SkyJet") == "@SkyJet" and vectors[4] @ vectors[3] < 0.5
    assert prepare_for_embedding("see www.example.com or http://a.b/c now @x").split() == ["see", "or", "now"]
    # An address is not a handle; line breaks, where long texts are chunked, stay.
    assert prepare_for_embedding("write to anna@example.com\nplease") == "write to anna@example.com\nplease"


@pytest.fixture(scope="module")
def assigner(models):
    return TouchpointAssigner(load_taxonomy(ROOT / "config" / "touchpoints.yaml")).fit(models.embedder.encode)


def test_touchpoints_by_similarity_metadata_and_fallback(models, assigner):
    texts = [
        "My parcel arrived five days late and the courier never called",
        "The promo code was rejected at checkout",
        "You charged my card twice for the same order",
        "The app crashes every time I try to log in",
        "qwxz plv blorp",
        "Where is my money?",
    ]
    metadata = [{}, {}, {}, {}, {}, {"category": "payment"}]
    result = assigner.assign(models.embedder.encode(texts), metadata)
    primary = [r[0] for r in result]
    assert [p.touchpoint for p in primary[:4]] == ["delivery", "checkout", "billing", "app"]
    assert all(p.method == "similarity" and 0 < p.confidence <= 1 for p in primary[:4])
    assert (primary[4].touchpoint, primary[4].method) == ("other", "fallback")
    assert (primary[5].touchpoint, primary[5].method, primary[5].confidence) == ("billing", "metadata", 1.0)
    assert all(len(r) <= assigner.max_touchpoints for r in result)


def test_taxonomy_keywords_tip_a_close_call_but_do_not_override_meaning(models):
    from cx_nlp.config import Taxonomy

    taxonomy = Taxonomy.model_validate(
        {
            "taxonomy": "food delivery",
            "touchpoints": [
                {
                    "name": "delivery",
                    "stage": "fulfilment",
                    "description": "Couriers, delivery times and tracking",
                    "examples": ["the rider took over an hour"],
                    "keywords": ["courier", "ETA"],
                },
                {
                    "name": "food",
                    "stage": "restaurant",
                    "description": "The meal: temperature, taste, portions",
                    "examples": ["the food was cold"],
                    "keywords": ["cold"],
                },
            ],
        }
    )
    texts = [
        "Over an hour for food from two streets away",  # reads as food to the embedding
        "Over an hour for food from two streets away, the ETA was a joke",  # names a delivery keyword
        "The pizza was cold and soggy, the courier was polite though",  # a keyword, but clearly about food
    ]
    vectors = models.embedder.encode(texts)
    plain = TouchpointAssigner(taxonomy, keyword_bonus=0.0).fit(models.embedder.encode)
    hinted = TouchpointAssigner(taxonomy).fit(models.embedder.encode)
    without = [r[0].touchpoint for r in plain.assign(vectors, [{}] * 3, texts)]
    withkw = [r[0].touchpoint for r in hinted.assign(vectors, [{}] * 3, texts)]
    assert without[:2] == ["food", "food"]
    assert withkw == ["food", "delivery", "food"]
    # The bonus moves only the touchpoint whose keyword is named, by exactly the bonus.
    gap = hinted.scores(vectors, texts) - hinted.scores(vectors)
    assert np.allclose(gap, [[0, 0], [0.05, 0], [0.05, 0.05]], atol=1e-6)


def test_keyword_patterns_match_whole_words_phrases_and_plurals():
    from cx_nlp.touchpoints import _keyword_pattern

    pattern = _keyword_pattern(["courier", "wrong order", "Wi-Fi", "fee"])
    for text in ("Two COURIERS came", "they sent the wrong  order", "wi-fi drops", "hidden fees again"):
        assert pattern.search(text), text
    for text in ("coffee was fine", "the wrongly ordered item", "wifi drops"):
        assert not pattern.search(text), text
    assert _keyword_pattern([]) is None and _keyword_pattern(["  "]) is None


def test_services_taxonomy_routes_clear_cases(models):
    services = load_taxonomy(ROOT / "config" / "touchpoints_services.yaml")
    assigner = TouchpointAssigner(services).fit(models.embedder.encode)
    texts = [
        "Broadband has been down every evening this week",
        "The technician did not come for the installation appointment",
        "You took the direct debit twice",
        "It took four calls and a fee to cancel my contract",
    ]
    primary = [r[0].touchpoint for r in assigner.assign(models.embedder.encode(texts), [{}] * len(texts))]
    assert primary == ["service_quality", "sales_onboarding", "billing", "contract_change"]


MIXED_TICKET = (
    "Great range of products and the staff in the Leeds store were friendly and helpful. "
    "The sofa looks amazing in our living room. Sadly I was charged twice for it and nobody will fix it."
)


def test_one_clearly_negative_sentence_makes_a_mixed_text_negative_and_is_kept_as_evidence(models):
    [score] = models.sentiment.score([MIXED_TICKET])
    # On average the praise wins; the complaint is what the contact is about.
    assert score.positive > score.negative
    assert score.label == "negative"
    assert score.evidence == "Sadly I was charged twice for it and nobody will fix it."
    assert score.evidence_negative >= models.sentiment.entry.negative_evidence


def test_evidence_override_can_be_switched_off_and_questions_are_not_evidence(models):
    from cx_nlp.sentiment import SentimentClassifier

    entry = models.sentiment.entry.model_copy(update={"negative_evidence": None})
    [kept_mean] = SentimentClassifier(entry, ROOT).score([MIXED_TICKET])
    assert kept_mean.label == "positive" and kept_mean.evidence is not None
    [questions] = models.sentiment.score(
        ["Can you tell me when the sale ends? I would like to order the oak table. Is delivery free over fifty pounds?"]
    )
    # One statement and two questions: not two salient sentences, so no evidence and the mean decides.
    assert questions.evidence is None and questions.label == "neutral"


@pytest.mark.models
def test_cpu_precision_is_validated_and_float32_runs_plain(tmp_path):
    import torch
    import yaml

    from cx_nlp import model_runtime
    from cx_nlp.config import ConfigError, load_registry

    broken = yaml.safe_load((ROOT / "models" / "registry.yaml").read_text())
    broken["embedding"]["cpu_precision"] = "int4"
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(broken))
    with pytest.raises(ConfigError, match=r"embedding\.cpu_precision"):
        load_registry(path)

    plain = ModelEntry(name="m", version="1", path="x")
    asked = plain.model_copy(update={"cpu_precision": "bfloat16"})
    with model_runtime.forward_precision(plain, "cpu"):
        assert not torch.is_autocast_enabled("cpu")
    with model_runtime.forward_precision(asked, "cuda"):
        assert not torch.is_autocast_enabled("cpu")


def test_bfloat16_falls_back_to_float32_with_one_warning_where_the_cpu_lacks_it(monkeypatch, caplog):
    import torch

    from cx_nlp import model_runtime

    monkeypatch.setattr(model_runtime, "native_bfloat16", lambda: False)
    monkeypatch.setattr(model_runtime, "_WARNED_FLOAT32", set())
    entry = ModelEntry(name="m", version="1", path="x", cpu_precision="bfloat16")
    with caplog.at_level("WARNING", logger="cx_nlp.model_runtime"):
        for _ in range(3):
            with model_runtime.forward_precision(entry, "cpu"):
                assert not torch.is_autocast_enabled("cpu")
    assert [r.getMessage() for r in caplog.records] == [
        "model m@1 asks for bfloat16, but this CPU has no native bfloat16: running float32"
    ]
    monkeypatch.setattr(model_runtime, "native_bfloat16", lambda: True)
    with model_runtime.forward_precision(entry, "cpu"):
        assert torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16


def _bfloat16_twin(entry: ModelEntry) -> ModelEntry:
    return entry.model_copy(update={"cpu_precision": "bfloat16" if entry.cpu_precision == "float32" else "float32"})


BF16_TEXTS = [
    "The courier left my parcel in the rain and it was soaked.",
    "Refund still not here after three weeks, nobody answers the phone.",
    "Checkout kept rejecting my card although the bank says it is fine.",
    "Lovely staff in the Leeds store, very patient with my questions.",
    "The app logs me out every time I open the basket.",
    "Can I change the delivery address after ordering?",
    "Great prices and the sofa arrived a day early.",
    "I was charged twice for one order and the invoice is wrong.",
]


@pytest.mark.native_bfloat16
def test_bfloat16_forward_pass_matches_float32_on_the_real_models(models):
    from cx_nlp.embeddings import Embedder
    from cx_nlp.sentiment import SentimentClassifier

    embedder = models.embedder
    twin = Embedder(_bfloat16_twin(embedder.entry), ROOT)
    plain, fast = embedder.encode(BF16_TEXTS), twin.encode(BF16_TEXTS)
    low = fast if twin.entry.cpu_precision == "bfloat16" else plain
    assert low.dtype == np.float32 and np.allclose(np.linalg.norm(low, axis=1), 1.0, atol=1e-5)
    cosines = (plain * fast).sum(axis=1)
    # bfloat16 products change the vectors a little (else this compares float32 with itself), not their meaning.
    assert not np.array_equal(plain, fast)
    assert cosines.min() > 0.995

    sentiment = models.sentiment
    other = SentimentClassifier(_bfloat16_twin(sentiment.entry), ROOT)
    a, b = sentiment.score(BF16_TEXTS), other.score(BF16_TEXTS)
    assert [s.label for s in a] == [s.label for s in b]
    assert max(abs(x.score - y.score) for x, y in zip(a, b)) < 0.05
