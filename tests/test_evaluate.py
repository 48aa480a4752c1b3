"""`cx-nlp evaluate`: the real pipeline on a small slice of the labelled set, scored against its labels."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score
from typer.testing import CliRunner

from cx_nlp.cli import app
from cx_nlp.evaluate import METRIC_KEYS, evaluate, evaluate_seeds
from cx_nlp.settings import Settings

pytestmark = pytest.mark.models

EVAL_SET = Path(__file__).resolve().parent.parent / "data" / "eval" / "cx_eval.csv"
# Two issues in each of two touchpoints of the telecom taxonomy: HDBSCAN (as configured) finds no
# cluster in a touchpoint whose feedback is one single issue, so a slice needs a pair per touchpoint.
ISSUES = ("outage evenings", "router faulty", "double billing", "cancellation fees")
TELECOM = EVAL_SET.parent / "telecom_touchpoints.yaml"


def _subset(tmp_path: Path, per_issue: int, no_issue: int) -> Path:
    with EVAL_SET.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    picked = [r for issue in ISSUES for r in [r for r in rows if r["issue"] == issue][:per_issue]]
    picked += [r for r in rows if not r["issue"]][:no_issue]
    path = tmp_path / "subset.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(picked)
    return path


@pytest.fixture(scope="module")
def subset_metrics(tmp_path_factory, models, settings_factory):
    path = _subset(tmp_path_factory.mktemp("eval"), per_issue=12, no_issue=12)
    with path.open(encoding="utf-8", newline="") as handle:
        gold = [r["issue"] for r in csv.DictReader(handle) if r["issue"]]
    return evaluate(path, settings_factory(touchpoints_config=TELECOM), models, seed=13), gold


def test_metrics_are_complete_and_in_range(subset_metrics, settings_factory):
    metrics, gold = subset_metrics
    assert tuple(metrics) == METRIC_KEYS
    assert metrics["documents"] == 60
    assert metrics["gold_issues"] == len(ISSUES) == len(set(gold))
    for key in (
        "sentiment_accuracy",
        "sentiment_macro_f1",
        "issue_nmi",
        "issue_purity",
        "outlier_share",
        "stability",
        "membership_stability",
        "kmeans_nmi",
        "kmeans_all_documents_nmi",
        "hdbscan_all_documents_nmi",
        "nearest_description_issue_nmi",
        "kmeans_silhouette_nmi",
        "bertopic_nmi",
        "bertopic_raw_nmi",
        "bertopic_outlier_share",
        "vader_macro_f1",
    ):
        assert 0.0 <= metrics[key] <= 1.0, key
    # Still in its issue whenever that issue is still its closest one.
    assert metrics["membership_stability"] >= metrics["stability"]
    # k-means not told k: k from 2 .. 60 // 5 by silhouette.
    assert 2 <= metrics["kmeans_silhouette_k"] <= 12
    for key in ("issue_ari", "kmeans_ari"):
        assert -1.0 <= metrics[key] <= 1.0, key
    best_baseline = max(metrics["bertopic_nmi"], metrics["kmeans_silhouette_nmi"])
    assert metrics["issue_nmi_over_best_baseline"] == pytest.approx(metrics["issue_nmi"] - best_baseline, abs=1e-4)
    confusion = np.array(metrics["sentiment_confusion"])
    assert confusion.shape == (3, 3) and confusion.sum() == 60
    assert metrics["issues_found"] >= 1
    conditions = metrics["conditions"]
    assert conditions["taxonomy"] == str(TELECOM)
    assert (
        conditions["sentiment"]["model"].startswith("cx-sentiment-minilm") and "@" in conditions["sentiment"]["model"]
    )
    assert conditions["embedding"]["cpu_precision"] in (
        "float32",
        "bfloat16",
        "float32 (bfloat16 asked, not native here)",
    )
    settings = settings_factory()
    assert conditions["mining"]["issue_join_similarity"] == settings.issue_join_similarity
    assert conditions["mining"]["issue_merge_similarity"] == settings.issue_merge_similarity
    assert conditions["mining"]["issue_half_precision_from"] == settings.issue_half_precision_from


def test_issues_carry_signal_beyond_chance(subset_metrics):
    metrics, gold = subset_metrics
    shuffled = np.random.default_rng(0).permutation(gold)
    assert metrics["issue_nmi"] > normalized_mutual_info_score(gold, shuffled) + 0.1


class _CountingSentiment:
    """The session's models, recording every text their sentiment model is asked to score."""

    def __init__(self, models):
        self.models = models
        self.scored: list[str] = []

    @property
    def sentiment(self):
        counting, classifier = self, self.models.sentiment

        class Recording:
            def score(self, texts, progress=None):
                counting.scored.extend(texts)
                return classifier.score(texts, progress=progress)

            def __getattr__(self, name):
                return getattr(classifier, name)

        return Recording()

    def __getattr__(self, name):
        return getattr(self.models, name)


def test_several_seeds_score_each_text_once_and_summarise_every_figure(
    subset_metrics, models, settings_factory, tmp_path
):
    path = _subset(tmp_path, per_issue=12, no_issue=12)
    counting = _CountingSentiment(models)
    results = evaluate_seeds(path, settings_factory(touchpoints_config=TELECOM), [13, 1], counting)

    assert results["seeds"] == [13, 1] and len(results["per_seed"]) == 2
    # The first seed is what evaluate gives at that seed alone; the second reads the same texts again,
    # from what the first computed: no text reaches the model twice.
    assert results["per_seed"][0] == subset_metrics[0]
    assert counting.scored and len(counting.scored) == len(set(counting.scored))
    # Another held-out tenth: the second night (and so stability) rests on other rows.
    for key, spread in results["summary"].items():
        values = [m[key] for m in results["per_seed"]]
        assert spread["min"] == min(values) and spread["max"] == max(values), key
        assert spread["mean"] == pytest.approx(sum(values) / 2, abs=1e-4), key
    assert {"issue_nmi", "bertopic_nmi", "issue_nmi_over_best_baseline", "stability"} <= set(results["summary"])
    assert "issue_breakdown" not in results["summary"] and "sentiment_confusion" not in results["summary"]


def test_no_seed_is_refused(settings_factory, tmp_path):
    with pytest.raises(ValueError, match="at least one"):
        evaluate_seeds(_subset(tmp_path, per_issue=1, no_issue=1), settings_factory(), [])


def test_cli_json_prints_one_object_for_a_sample(tmp_path):
    path = _subset(tmp_path, per_issue=5, no_issue=4)
    command = ["evaluate", "--dataset", str(path), "--config", str(TELECOM), "--json", "--sample", "15"]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    two_seeds = CliRunner().invoke(app, [*command, "--seed", "13", "--seed", "2"])
    assert two_seeds.exit_code == 0, two_seeds.output
    both = json.loads(two_seeds.stdout)
    # Each seed draws its own 15 rows; the first is the single run's.
    assert both["seeds"] == [13, 2] and both["per_seed"][0] == metrics
    assert set(both["per_seed"][1]) == set(METRIC_KEYS) and both["summary"]["documents"]["mean"] == 15
    table = CliRunner().invoke(app, [c for c in command if c != "--json"] + ["--seed", "13", "--seed", "2"])
    assert table.exit_code == 0, table.output
    rows = {line.split()[1]: line for line in table.stdout.splitlines() if line.startswith("│ ")}
    assert "2 seeds" in table.stdout and "seed 13" in table.stdout
    # The caption says what the figures were measured under, the mining bars among it.
    assert f"join bar {Settings().issue_join_similarity}," in " ".join(table.stdout.split())
    assert f"{both['summary']['issue_nmi']['mean']}" in rows["issue_nmi"]
    # 15 of the 24 rows, drawn with the seed.
    assert set(metrics) == set(METRIC_KEYS) and metrics["documents"] == 15
    assert np.array(metrics["sentiment_confusion"]).sum() == 15
    # Too few documents for BERTopic (two topics of 10): its keys stay None, as keys do where nothing ran.
    assert metrics["bertopic_nmi"] is None and metrics["bertopic_outlier_share"] is None
    assert metrics["vader_macro_f1"] is not None and metrics["kmeans_silhouette_k"] in (2, 3)


def test_a_sample_must_hold_a_row(tmp_path, settings_factory):
    path = _subset(tmp_path, per_issue=1, no_issue=1)
    with pytest.raises(ValueError, match="sample 0: expected a number of rows"):
        evaluate(path, settings_factory(), sample=0)
    result = CliRunner().invoke(app, ["evaluate", "--dataset", str(path), "--sample", "0"])
    assert result.exit_code == 2 and "--sample" in result.output


def test_cli_names_a_missing_dataset(tmp_path):
    result = CliRunner().invoke(app, ["evaluate", "--dataset", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "nope.csv" in result.output


@pytest.mark.parametrize(
    "script, csv_name", [("make_eval.py", "cx_eval.csv"), ("make_eval_skewed.py", "cx_eval_skewed.csv")]
)
def test_shipped_evaluation_sets_are_what_their_generators_write(script, csv_name, tmp_path, monkeypatch):
    """The committed CSVs are regenerated byte for byte: nobody edited a label by hand."""
    import importlib.util

    folder = Path(__file__).resolve().parent.parent / "data" / "eval"
    monkeypatch.syspath_prepend(str(folder))
    spec = importlib.util.spec_from_file_location(f"generator_{script[:-3]}", folder / script)
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    monkeypatch.setattr(generator, "HERE", tmp_path)
    generator.main()
    assert (tmp_path / csv_name).read_bytes() == (folder / csv_name).read_bytes()


def test_a_feedback_whose_closest_issue_changes_but_stays_in_it_counts_for_membership_only():
    import pandas as pd

    from cx_nlp.evaluate import _Nights, _stability

    frame = pd.DataFrame({"id": ["a", "b", "c", "d"]})
    labelled = [(row, {"feedback_id": f"f-{row.id}"}) for row in frame.itertuples()]
    nights = _Nights(
        first_night={"f-a": "I1", "f-b": "I2", "f-c": "I3", "f-d": "I1"},
        # a: same closest issue; b: another issue is closer now, still in I2; c: left I3; d: held out.
        second_night={"f-a": "I1", "f-b": "I4", "f-c": "I5", "f-d": "I9"},
        second_night_pairs={("f-a", "I1"), ("f-b", "I4"), ("f-b", "I2"), ("f-c", "I5"), ("f-d", "I9")},
        issues_found=4,
        stored={},
        descriptions=np.zeros((0, 2)),
        embedder=None,
        conditions={},
    )
    held_out = np.array([False, False, False, True])
    assert _stability(frame, held_out, labelled, nights) == {"stability": 0.3333, "membership_stability": 0.6667}
