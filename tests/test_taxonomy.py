"""Taxonomy suggestions from what accumulates in `other`."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from cx_nlp.cli import app
from cx_nlp.config import Taxonomy
from cx_nlp.taxonomy import as_yaml, suggest_touchpoints

GIFT_WRAP = [
    "The gift wrapping was torn and the ribbon missing",
    "Paid for gift wrapping and it came in a plain box",
    "Gift wrap option charged but the present was not wrapped",
    "Why does gift wrapping cost extra if it arrives crumpled",
    "Ordered gift wrapping for a birthday, no wrapping at all",
    "The gift message and wrapping were left out of my order",
]
NOISE = ["I moved house last week", "What are your opening hours on bank holidays?", "Do you sell pet beds?"]


def test_suggestion_names_the_new_topic_and_is_valid_taxonomy(models):
    texts = GIFT_WRAP + NOISE
    suggestions = suggest_touchpoints(texts, models.embedder.encode(texts), existing=["delivery", "checkout"])
    assert suggestions, "no suggestion for six gift-wrapping complaints"
    top = suggestions[0]
    assert "gift" in top["name"] or "wrapping" in top["name"]
    assert top["covers"] >= 5
    assert all(e.split()[0] in " ".join(GIFT_WRAP) for e in top["examples"])
    # The YAML is a taxonomy fragment: it validates once a stage is chosen.
    fragment = yaml.safe_load(as_yaml(suggestions))
    Taxonomy.model_validate({"taxonomy": "t", "touchpoints": fragment["touchpoints"]})


def test_cli_says_when_there_is_nothing_to_suggest(tmp_path, monkeypatch):
    monkeypatch.setenv("CX_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    assert CliRunner().invoke(app, ["init-db"]).exit_code == 0
    result = CliRunner().invoke(app, ["taxonomy", "suggest"])
    assert result.exit_code == 2 and "no feedback yet" in result.output
