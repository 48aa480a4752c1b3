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
from cx_nlp.sentiment_training import label_from_stars, write_star_corpus
from cx_nlp.warehouse.db import make_engine, migrate

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("stars", "label"), [(1, "negative"), (2, "negative"), (3, "neutral"), (4, "positive"), (5, "positive")])
def test_label_from_stars(stars, label):
    assert label_from_stars(stars) == label


def test_star_corpus_refuses_too_few_reviews(tmp_path):
    with pytest.raises(ValueError, match="only 2 star-rated reviews"):
        write_star_corpus([("late", 1), ("great", 5)], tmp_path / "c.csv")
    assert write_star_corpus([("x", 1)] * 30, tmp_path / "c.csv") == 30
    assert set(pd.read_csv(tmp_path / "c.csv").columns) == {"text", "sentiment"}


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
        ["models", "train-sentiment", "--from-warehouse", "--base-model", "models/cx-sentiment-minilm",
         "--output-dir", str(out), "--epochs", "0.1", "--max-examples", "64", "--seed", "3"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "training_report.json").read_text())
    assert report["base_model"] == "models/cx-sentiment-minilm"
    assert 0.0 <= report["macro_f1"] <= 1.0 and report["test_size"] > 0
    card = (out / "README.md").read_text()
    assert "star-rated English reviews from the warehouse" in card and "4-5 positive" in card
    # The result is a model the pipeline can load like any other.
    from cx_nlp.config import ModelEntry
    from cx_nlp.sentiment import SentimentClassifier

    [score] = SentimentClassifier(ModelEntry(name="domain", version="test", path=str(out)), ROOT).score(["Parcel never came."])
    assert score.label in {"negative", "neutral", "positive"}


def test_lora_adapter_trains_small_and_loads_on_its_base(tmp_path):
    corpus = tmp_path / "corpus.csv"
    rows = ["text,sentiment"]
    for i in range(40):
        rows += [
            f"The refund for order {i} never arrived and nobody answers,negative",
            f"Order {i} arrived on time and the sofa is lovely,positive",
            f"I placed order {i} on Monday,neutral",
        ]
    corpus.write_text("\n".join(rows) + "\n")
    out = tmp_path / "adapter"
    result = CliRunner().invoke(
        app,
        ["models", "train-sentiment", "--corpus", str(corpus), "--base-model", "models/cx-sentiment-minilm",
         "--output-dir", str(out), "--epochs", "0.5", "--lora-rank", "4", "--seed", "3"],
    )
    assert result.exit_code == 0, result.output
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
