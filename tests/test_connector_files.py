"""Export-file specifics: CFPB complaints (JSON and CSV) and survey responses."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from connector_helpers import FIXTURES
from pydantic import ValidationError

from cx_nlp.sources.connectors import (
    CfpbComplaintsStream,
    CfpbConfig,
    MboxStream,
    SurveyConfig,
    SurveyResponsesStream,
    build_stream,
)
from cx_nlp.sources.streams import MemoryStateStore, sync


def test_cfpb_json_export_unwraps_hits_and_quarantines_empty_narratives():
    stream = CfpbComplaintsStream(CfpbConfig(path=FIXTURES / "cfpb_complaints.json"))
    result = sync(stream, MemoryStateStore())

    (record,) = result.records
    assert record.external_id == "9100201" and record.source_kind == "complaint"
    assert record.created_at == datetime(2026, 10, 3, tzinfo=UTC)
    assert record.metadata["product"] == "Debt collection"
    assert record.metadata["issue"] == "Attempts to collect debt not owed"
    (empty,) = result.quarantined
    assert (empty.field, empty.reason) == ("complaint_what_happened", "record '9100202': empty text")


def test_cfpb_csv_rows_use_the_json_field_names_and_the_company_filter():
    stream = CfpbComplaintsStream(CfpbConfig(path=FIXTURES / "cfpb_complaints.csv", companies=["other lender llc"]))
    result = sync(stream, MemoryStateStore())

    (raw,) = result.raw
    assert raw.payload["complaint_id"] == "9100199" and "Consumer complaint narrative" not in raw.payload
    assert result.records[0].created_at == datetime(2026, 10, 7, tzinfo=UTC)
    assert result.records[0].metadata["company"] == "OTHER LENDER LLC"


def test_survey_scores_off_the_scale_are_quarantined_per_score_type(tmp_path):
    export = tmp_path / "csat.jsonl"
    lines = [
        {"id": "s1", "when": "02/10/2026", "stars": 5, "verbatim": "Lovely staff.", "store": "Leeds"},
        {"id": "s2", "when": "02/10/2026", "stars": 6, "verbatim": "Six of five?", "store": "Leeds"},
        {"id": "s3", "when": "02/10/2026", "stars": 0, "verbatim": "Zero is not a CSAT answer.", "store": "York"},
    ]
    export.write_text("\n".join(json.dumps(line) for line in lines) + "\n{not json\n")
    config = SurveyConfig(
        path=export,
        score_type="csat",
        fields={"id": "id", "score": "stars", "text": "verbatim", "created_at": "when"},
        date_format="%d/%m/%Y",
        metadata=["store"],
    )
    result = sync(SurveyResponsesStream(config), MemoryStateStore())

    (record,) = result.records
    assert (record.rating, record.metadata) == (5.0, {"score_type": "csat", "store": "Leeds"})
    assert record.source_kind == "survey" and record.created_at == datetime(2026, 10, 2, tzinfo=UTC)
    assert [(q.field, q.reason) for q in result.quarantined] == [
        ("stars", "record 's2': rating 6 outside 1..5"),
        ("stars", "record 's3': rating 0 outside 1..5"),
        ("(row)", "line 4: invalid JSON: Expecting property name enclosed in double quotes"),
    ]


def test_build_stream_builds_file_and_imap_streams_from_dicts():
    stream = build_stream("survey_responses", {"path": str(FIXTURES / "survey_nps.csv"), "score_type": "ces"})
    assert isinstance(stream, SurveyResponsesStream) and stream.config.score_type == "ces"
    assert isinstance(build_stream("email_mbox", {"path": "x.mbox"}), MboxStream)
    with pytest.raises(ValidationError, match="score_type"):
        build_stream("survey_responses", {"path": "s.csv", "score_type": "stars"})
    with pytest.raises(TypeError, match="reads no HTTP"):
        build_stream("cfpb_complaints", {"path": "c.csv"}, clock=lambda: 0.0)
