"""Sentiment training: star labels, and a short real fine-tune on star-rated reviews from a warehouse."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cx_nlp.cli import app
from cx_nlp.pipeline import PipelineContext, ingest_interval
from cx_nlp.records import label_from_stars
from cx_nlp.sentiment_corpora import write_star_corpus
from cx_nlp.warehouse.db import make_engine, migrate

pytestmark = pytest.mark.models

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("stars", "label"), [(1, "negative"), (2, "negative"), (3, "neutral"), (4, "positive"), (5, "positive")]
)
def test_label_from_stars(stars, label):
    assert label_from_stars(stars) == label


def test_star_corpus_refuses_too_few_reviews(tmp_path):
    with pytest.raises(ValueError, match="only 2 star-rated reviews"):
        write_star_corpus([("late", 1), ("great", 5)], tmp_path / "c.csv")
    assert write_star_corpus([("x", 1)] * 30, tmp_path / "c.csv") == 30
    assert set(pd.read_csv(tmp_path / "c.csv").columns) == {"text", "sentiment"}
    # 100 reviews, but only 10 below four stars: 15 once the praise is capped.
    mostly_praise = [(f"great {i}", 5) for i in range(90)] + [(f"late {i}", 1) for i in range(10)]
    with pytest.raises(
        ValueError, match="only 100 star-rated reviews in the warehouse, 15 once 4-5 star ones are capped"
    ):
        write_star_corpus(mostly_praise, tmp_path / "c.csv")
    assert write_star_corpus(mostly_praise, tmp_path / "c.csv", balance=False) == 100


def test_star_corpus_caps_praise_at_half_the_rest(tmp_path):
    reviews = [(f"love it {i}", 5) for i in range(200)] + [(f"broke {i}", 1) for i in range(30)]
    reviews += [(f"it is fine {i}", 3) for i in range(40)]
    assert write_star_corpus(reviews, tmp_path / "c.csv", seed=4) == 30 + 40 + 35
    written = pd.read_csv(tmp_path / "c.csv")
    assert written["sentiment"].value_counts().to_dict() == {"neutral": 40, "positive": 35, "negative": 30}
    # Every 1-3 star review is kept; the 4-5 star ones are a seeded sample, shuffled in.
    assert {t for t in written["text"] if not t.startswith("love")} == {t for t, s in reviews if s < 4}
    write_star_corpus(reviews, tmp_path / "same.csv", seed=4)
    assert pd.read_csv(tmp_path / "same.csv")["text"].tolist() == written["text"].tolist()
    write_star_corpus(reviews, tmp_path / "other.csv", seed=5)
    assert set(pd.read_csv(tmp_path / "other.csv")["text"]) != set(written["text"])


def test_fine_tune_on_the_warehouse_star_ratings(settings_factory, models, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'stars.db'}"
    context = PipelineContext.from_settings(settings_factory(warehouse_url=url), models=models)
    engine = make_engine(url)
    migrate(engine, ROOT / "sql")
    ingest_interval(context, engine, date(2026, 10, 19), date(2026, 11, 16), sources=["portal_reviews"])
    monkeypatch.setenv("CX_WAREHOUSE_URL", url)
    out = tmp_path / "domain-model"
    result = CliRunner().invoke(
        app,
        [
            "models",
            "train-sentiment",
            "--from-warehouse",
            "--base-model",
            "models/cx-sentiment-minilm",
            "--output-dir",
            str(out),
            "--epochs",
            "0.1",
            "--max-examples",
            "64",
            "--seed",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "training_report.json").read_text())
    assert report["base_model"] == "models/cx-sentiment-minilm"
    assert 0.0 <= report["macro_f1"] <= 1.0 and report["test_size"] > 0
    card = (out / "README.md").read_text()
    assert "star-rated English reviews from the warehouse" in card and "4-5 positive" in card
    assert "4-5 star ones capped at half the 1-3 star ones" in card
    # The result is a model the pipeline can load like any other.
    from cx_nlp.config import ModelEntry
    from cx_nlp.sentiment import SentimentClassifier

    [score] = SentimentClassifier(ModelEntry(name="domain", version="test", path=str(out)), ROOT).score(
        ["Parcel never came."]
    )
    assert score.label in {"negative", "neutral", "positive"}


def _train_small_adapter(tmp_path, base_model: str, rank: int, copies: int, *extra: str) -> Path:
    """A LoRA adapter trained for half an epoch on `copies` x 3 templated order texts."""
    corpus = tmp_path / "corpus.csv"
    rows = ["text,sentiment"]
    for i in range(copies):
        rows += [
            f"The refund for order {i} never arrived and nobody answers,negative",
            f"Order {i} arrived on time and the sofa is lovely,positive",
            f"I placed order {i} on Monday,neutral",
        ]
    corpus.write_text("\n".join(rows) + "\n")
    return _train_adapter(corpus, tmp_path / "adapter", base_model, rank, "--epochs", "0.5", *extra)


def _train_adapter(corpus: Path, out: Path, base_model: str, rank: int, *extra: str) -> Path:
    """`cx-nlp models train-sentiment` of a LoRA adapter of `rank` on `corpus`, seed 3, into `out`."""
    arguments = ["--corpus", str(corpus), "--base-model", base_model, "--output-dir", str(out)]
    result = CliRunner().invoke(
        app, ["models", "train-sentiment", *arguments, "--lora-rank", str(rank), "--seed", "3", *extra]
    )
    assert result.exit_code == 0, result.output
    return out


def test_lora_adapter_trains_small_and_loads_on_its_base(tmp_path):
    out = _train_small_adapter(tmp_path, "models/cx-sentiment-minilm", rank=4, copies=40)
    adapter_config = json.loads((out / "adapter_config.json").read_text())
    # Portable: the base is named as given, not by this machine's absolute path.
    assert adapter_config["base_model_name_or_path"] == "models/cx-sentiment-minilm"
    assert not (out / "model.safetensors").exists()
    assert (out / "adapter_model.safetensors").stat().st_size < 2_000_000
    assert "LoRA adapter (rank 4" in (out / "README.md").read_text()
    from cx_nlp.config import ModelEntry
    from cx_nlp.sentiment import SentimentClassifier

    entry = ModelEntry(name="adapted", version="test", path=str(out))
    [score] = SentimentClassifier(entry, ROOT).score(["The refund never arrived and nobody answers."])
    assert score.label == "negative"


def test_lora_adapter_on_a_plain_encoder_loads_with_its_sentiment_head(tmp_path):
    # all-MiniLM-L6-v2 as packaged is a bare BertModel: no classifier, no sentiment labels. The
    # adapter carries the head, and loading must rebuild it with train-sentiment's three outputs.
    out = _train_small_adapter(tmp_path, "packaged:all-MiniLM-L6-v2", rank=2, copies=20)
    from cx_nlp.config import ModelEntry
    from cx_nlp.sentiment import SentimentClassifier

    classifier = SentimentClassifier(ModelEntry(name="plain-base", version="test", path=str(out)), ROOT)
    assert classifier.model.config.id2label == {0: "negative", 1: "neutral", 2: "positive"}
    assert classifier.model.classifier.out_features == 3
    [score] = classifier.score(["Refund 3 never came"])
    assert score.label in {"negative", "neutral", "positive"}


@pytest.mark.native_bfloat16
def test_bfloat16_training_learns_and_records_its_precision(tmp_path):
    out = _train_small_adapter(tmp_path, "models/cx-sentiment-minilm", 4, 40, "--cpu-precision", "bfloat16")
    report = json.loads((out / "training_report.json").read_text())
    assert report["config"]["cpu_precision"] == "bfloat16"
    assert '"cpu_precision": "bfloat16"' in (out / "README.md").read_text()
    from cx_nlp.config import ModelEntry
    from cx_nlp.sentiment import SentimentClassifier

    [score] = SentimentClassifier(ModelEntry(name="bf16", version="test", path=str(out)), ROOT).score(
        ["The refund never arrived and nobody answers."]
    )
    assert score.label == "negative"


def test_unknown_training_precision_is_refused_before_any_work():
    from cx_nlp.sentiment_training import TrainingConfig, train_sentiment

    with pytest.raises(ValueError, match=r"cpu_precision 'int8'.*float32 or bfloat16"):
        train_sentiment(TrainingConfig(corpus="does-not-matter.csv", cpu_precision="int8"))


def _soft_corpus(tmp_path, copies: int = 80) -> Path:
    """Rows labelled neutral whose teacher probabilities say otherwise: refunds negative, arrivals positive."""
    corpus = tmp_path / "teacher.csv"
    rows = ["text,sentiment,confidence,p_negative,p_neutral,p_positive"]
    for i in range(copies):
        rows += [
            f"The refund for order {i} never arrived and nobody answers,neutral,0.9,0.9,0.05,0.05",
            f"Order {i} arrived on time and the sofa is lovely,neutral,0.9,0.05,0.05,0.9",
        ]
    corpus.write_text("\n".join(rows) + "\n")
    return corpus


def test_a_teacher_corpus_loads_its_probabilities_as_soft_targets(tmp_path):
    from cx_nlp.sentiment_corpora import load_corpus
    from cx_nlp.sentiment_training import _targets

    examples = load_corpus(str(_soft_corpus(tmp_path, copies=1)))
    assert [e.label for e in examples] == [1, 1]
    assert examples[0].targets == pytest.approx((0.9, 0.05, 0.05))
    plain = tmp_path / "plain.csv"
    plain.write_text("text,sentiment\nThe refund never came,negative\n")
    mixed = examples + load_corpus(str(plain))
    assert mixed[-1].targets is None

    labels, weights = _targets(mixed, soft=False)
    assert labels.tolist() == [1, 1, 0] and weights.tolist() == pytest.approx([0.9, 0.9, 1.0])
    targets, weights = _targets(mixed, soft=True)
    expected = [0.9, 0.05, 0.05, 0.05, 0.05, 0.9, 1.0, 0.0, 0.0]  # one row each, flattened
    assert targets.shape == (3, 3) and targets.flatten().tolist() == pytest.approx(expected)
    assert weights.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("header", "row", "message"),
    [
        ("text,sentiment,p_negative,p_positive", "Late again,negative,0.8,0.1", r"lacks \['p_neutral'\]"),
        ("text,sentiment,p_negative,p_neutral,p_positive", "Late again,negative,-0.2,0.6,0.6", r"row 0 has probab"),
        ("text,sentiment,p_negative,p_neutral,p_positive", "Late again,negative,0,0,0", r"row 0 has probab"),
    ],
)
def test_a_teacher_corpus_with_broken_probabilities_is_refused_by_name(tmp_path, header, row, message):
    from cx_nlp.sentiment_corpora import load_corpus

    corpus = tmp_path / "broken.csv"
    corpus.write_text(f"{header}\n{row}\n")
    with pytest.raises(ValueError, match=rf"broken\.csv.*{message}"):
        load_corpus(str(corpus))


def test_soft_targets_teach_the_teachers_reading_rather_than_its_label(tmp_path):
    from cx_nlp.config import ModelEntry
    from cx_nlp.sentiment import SentimentClassifier

    probabilities = {}
    for name, extra in (("hard", ()), ("soft", ("--soft-targets",))):
        out = _train_adapter(
            _soft_corpus(tmp_path),
            tmp_path / name,
            "models/cx-sentiment-minilm",
            4,
            "--epochs",
            "2",
            "--learning-rate",
            "1e-3",
            *extra,
        )
        classifier = SentimentClassifier(ModelEntry(name=name, version="test", path=str(out)), ROOT)
        probabilities[name] = classifier.batched_probabilities(["The refund for order 77 never arrived"])[0]
    assert json.loads((tmp_path / "soft" / "training_report.json").read_text())["config"]["soft_targets"] is True
    # The labels say neutral; the teacher's probabilities never do. The hard run learns the label, the
    # soft one the teacher's reading.
    hard, soft = probabilities["hard"], probabilities["soft"]
    assert hard.argmax() == 1 and soft.argmax() == 0 and soft[1] < 0.2, probabilities
