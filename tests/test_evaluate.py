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
from cx_nlp.evaluate import METRIC_KEYS, evaluate

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


def test_metrics_are_complete_and_in_range(subset_metrics):
    metrics, gold = subset_metrics
    assert tuple(metrics) == METRIC_KEYS
    assert metrics["documents"] == 60
    assert metrics["gold_issues"] == len(ISSUES) == len(set(gold))
    for key in ("sentiment_accuracy", "sentiment_macro_f1", "issue_nmi", "issue_purity", "outlier_share", "stability",
                "kmeans_nmi", "kmeans_all_documents_nmi", "hdbscan_all_documents_nmi", "nearest_description_issue_nmi"):
        assert 0.0 <= metrics[key] <= 1.0, key
    for key in ("issue_ari", "kmeans_ari"):
        assert -1.0 <= metrics[key] <= 1.0, key
    confusion = np.array(metrics["sentiment_confusion"])
    assert confusion.shape == (3, 3) and confusion.sum() == 60
    assert metrics["issues_found"] >= 1


def test_issues_carry_signal_beyond_chance(subset_metrics):
    metrics, gold = subset_metrics
    shuffled = np.random.default_rng(0).permutation(gold)
    assert metrics["issue_nmi"] > normalized_mutual_info_score(gold, shuffled) + 0.1


def test_cli_json_prints_one_object(tmp_path):
    path = _subset(tmp_path, per_issue=5, no_issue=4)
    result = CliRunner().invoke(app, ["evaluate", "--dataset", str(path), "--config", str(TELECOM), "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert set(metrics) == set(METRIC_KEYS) and metrics["documents"] == 24


def test_cli_names_a_missing_dataset(tmp_path):
    result = CliRunner().invoke(app, ["evaluate", "--dataset", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "nope.csv" in result.output
