"""Taxonomy suggestions from what accumulates in `other`."""

from __future__ import annotations

import re
from pathlib import Path

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
ROOT = Path(__file__).resolve().parent.parent
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


def test_sentences_are_the_unit_and_covers_counts_documents(models):
    from cx_nlp.config import load_taxonomy
    from cx_nlp.taxonomy import statements
    from cx_nlp.touchpoints import TouchpointAssigner

    # Each review says one thing about gift wrapping and one about something else.
    others = ["Delivery came on time", "The sofa itself is lovely", "Staff in the shop were kind", "Good prices"]
    documents = [f"{wrap}. {other} as usual!" for wrap, other in zip(GIFT_WRAP, others * 2)] + ["Too short"]
    sentences, owners = statements(documents)
    assert sentences[:2] == [f"{GIFT_WRAP[0]}.", "Delivery came on time as usual!"] and owners[:2] == [0, 0]
    assert sentences[-1] == "Too short" and owners[-1] == len(documents) - 1  # kept whole: nothing longer to say
    assigner = TouchpointAssigner(load_taxonomy(ROOT / "config" / "touchpoints.yaml")).fit(models.embedder.encode)
    suggestions = suggest_touchpoints(
        sentences, models.embedder.encode(sentences), ["delivery"], owners=owners, assigner=assigner
    )
    top = suggestions[0]
    assert "gift" in top["name"] or "wrapping" in top["name"]
    # Examples are the gift-wrap sentences themselves, not whole reviews; covers counts reviews.
    assert all(any(wrap.startswith(e.rstrip(" ….")) for wrap in GIFT_WRAP) for e in top["examples"])
    assert 5 <= top["covers"] <= len(GIFT_WRAP)
    assert top["closest"] in assigner.names_ and -1.0 <= top["closest_similarity"] <= 1.0
    header = as_yaml(suggestions).splitlines()[0]
    assert f"closest existing touchpoint: {top['closest']}" in header
    assert "closest" not in yaml.safe_load(as_yaml(suggestions))["touchpoints"][0]


def test_a_missing_touchpoint_is_proposed_back_from_the_sample(settings_factory, models, tmp_path, monkeypatch):
    """Take `checkout` out of the retail taxonomy: the sample's coupon complaints pile up in `other`, and
    `cx-nlp taxonomy suggest` proposes a touchpoint for them."""
    from datetime import date

    from cx_nlp.pipeline import PipelineContext, ingest_interval
    from cx_nlp.warehouse.db import make_engine, migrate

    full = yaml.safe_load((ROOT / "config" / "touchpoints.yaml").read_text())
    full["touchpoints"] = [t for t in full["touchpoints"] if t["name"] != "checkout"]
    full["metadata_rules"] = [r for r in full["metadata_rules"] if r["touchpoint"] != "checkout"]
    taxonomy = tmp_path / "no_checkout.yaml"
    taxonomy.write_text(yaml.safe_dump(full))
    url = f"sqlite:///{tmp_path / 'suggest.db'}"
    settings = settings_factory(warehouse_url=url, touchpoints_config=taxonomy)
    engine = make_engine(url)
    migrate(engine, settings.path(settings.sql_dir))
    # Suggestions read the stored feedback, touchpoints and vectors: ingesting is enough, no mining.
    ingest_interval(
        PipelineContext.from_settings(settings, models=models), engine, date(2026, 10, 19), date(2026, 11, 16)
    )
    engine.dispose()

    monkeypatch.setenv("CX_WAREHOUSE_URL", url)
    monkeypatch.setenv("CX_TOUCHPOINTS_CONFIG", str(taxonomy))
    result = CliRunner().invoke(app, ["taxonomy", "suggest"])
    assert result.exit_code == 0, result.output
    proposed = yaml.safe_load(result.output)["touchpoints"]
    coupon_words = {"code", "coupon", "promo", "discount", "voucher", "welcome"}
    assert any(coupon_words & set(" ".join(t["keywords"]).split()) for t in proposed[:3]), result.output
    assert "sentences of" in result.output and "might be a problem" in result.output
    assert "a seeded sample" not in result.output
    # A bounded read of a large `other`: whole documents of a seeded sample, said so.
    sampled = CliRunner().invoke(app, ["taxonomy", "suggest", "--max-sentences", "12", "--min-size", "3"])
    assert sampled.exit_code == 0, sampled.output
    first_line = sampled.output.splitlines()[0]
    read = re.match(r"# (\d+) sentences of (\d+) documents", first_line)
    assert read and int(read.group(1)) <= 12, first_line
    assert "a seeded sample of" in first_line and "--max-sentences 12" in first_line


def test_suggested_names_keep_accented_letters_as_plain_ones():
    from cx_nlp.taxonomy import _slug

    assert _slug(["código", "envío"], set()) == "codigo_envio"
    assert _slug(["código", "envío"], {"codigo_envio"}) == "codigo_envio_2"
    assert _slug(["配送"], set()) == "suggested"


def test_a_sentence_limit_takes_whole_documents_of_a_seeded_sample():
    from cx_nlp.taxonomy import statements

    documents = [f"First point of review {i} here. Second point of review {i} here." for i in range(10)]
    sentences, owners = statements(documents, limit=7, seed=3)
    # Whole documents only (two sentences each), never more than the limit, the same draw each time.
    assert len(sentences) == 6 and all(owners.count(o) == 2 for o in set(owners))
    assert (sentences, owners) == statements(documents, limit=7, seed=3)
    assert statements(documents)[1] == [i for i in range(10) for _ in range(2)]
