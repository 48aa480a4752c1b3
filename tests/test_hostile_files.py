"""Hostile files and runs: each bad record, line or value is quarantined (or shown replaced), never fatal.

One rule for bad data everywhere: the record is quarantined with source, position and reason, and the
source and the run go on; what a warehouse cannot store (NUL, lone surrogates) is shown as U+FFFD in
the stored copy, with a note, so SQLite and PostgreSQL hold the same thing.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from cx_nlp.config import FileSourceConfig
from cx_nlp.feedback import normalise
from cx_nlp.records import ScoredDocument, SentimentScore, SourceRecord, TouchpointAssignment
from cx_nlp.sources.ingest import LoadResult, load_source
from cx_nlp.warehouse import rows, store
from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse.db import make_engine, upgrade

START, END = date(2026, 10, 1), date(2026, 11, 1)
FIELDS = {"id": "id", "text": "body", "created_at": "when"}


def load(tmp_path: Path, filename: str, content: bytes, **overrides) -> LoadResult:
    """`content` as a file source, loaded for October as ingest loads every source."""
    path = tmp_path / filename
    path.write_bytes(content)
    config = {"name": "hostile", "path": str(path), "source_kind": "review", "fields": FIELDS} | overrides
    return load_source(FileSourceConfig.model_validate(config), tmp_path, START, END)


def jsonl(*rows: object) -> bytes:
    return "\n".join(row if isinstance(row, str) else json.dumps(row) for row in rows).encode() + b"\n"


def ticket(external_id: object, body: object = "Parcel was late", **extra) -> dict:
    return {"id": external_id, "body": body, "when": "2026-10-20T09:00:00Z"} | extra


def reasons(result: LoadResult) -> list[str]:
    return [q.reason for q in result.quarantined]


# -- 9: a CSV field longer than the csv module's 131,072 characters ------------------------------------


def test_a_csv_field_over_the_csv_default_limit_loads_and_the_source_goes_on(tmp_path):
    long_text = "The sofa arrived broken. " * 8_000  # 200,000 characters
    content = f"id,body,when\nr1,{long_text},2026-10-20\nr2,Lovely,2026-10-21\n".encode()
    result = load(tmp_path, "reviews.csv", content)
    assert [r.external_id for r in result.records] == ["r1", "r2"]
    # Loaded whole, or cut to the longest text a record carries where a rule says so: never fatal.
    assert result.records[0].text.startswith("The sofa arrived broken.") and not result.quarantined
    assert len(result.records[0].text) >= 100_000 and len(result.raw[0].payload["body"]) == len(long_text)


# -- 10: JSON lines nested too deeply or with a number too long for Python ------------------------------


def test_a_deeply_nested_line_and_a_5000_digit_integer_are_quarantined_lines(tmp_path):
    deep = '{"id": "t2", "body": "x", "when": "2026-10-20", "extra": ' + "[" * 2_000 + "]" * 2_000 + "}"
    medium = '{"id": "t3", "body": "x", "when": "2026-10-20", "extra": ' + "[" * 100 + "]" * 100 + "}"
    huge = '{"id": "t4", "body": "x", "when": "2026-10-20", "n": ' + "7" * 5_000 + "}"
    content = jsonl(ticket("t1"), deep, medium, huge, '{"id": "t5", "body": "x", "when": NaN}', ticket("t6"))
    result = load(tmp_path, "tickets.jsonl", content)
    assert [r.external_id for r in result.records] == ["t1", "t6"]
    assert reasons(result) == [
        "line 2: invalid JSON: nested more than 64 levels deep",
        "line 3: invalid JSON: nested more than 64 levels deep",
        "line 4: invalid JSON: an integer of 5000 digits (at most 4300)",
        "line 5: invalid JSON: NaN is not a JSON value",
    ]
    assert result.quarantined[0].payload["__unparsed__"] == deep  # the line is kept as it was


# -- 11: a lone surrogate escaped in JSON ---------------------------------------------------------------


def test_a_lone_surrogate_is_quarantined_at_load_not_a_crash_of_the_run(tmp_path):
    lines = ['{"id": "t1", "body": "Great service \\ud83d", "when": "2026-10-20"}', ticket("t2"), ticket("t3", "ok")]
    result = load(tmp_path, "tickets.jsonl", jsonl(*lines))
    assert [r.external_id for r in result.records] == ["t2", "t3"]
    [bad] = result.quarantined
    assert (bad.field, bad.reason) == ("body", "record 't1': text with a lone surrogate (U+D83D), not valid Unicode")
    normalised = normalise(result.records, {})
    assert [f.external_id for f in normalised.feedback] == ["t2", "t3"]


def test_normalise_quarantines_what_it_cannot_hash_or_store_whatever_the_source():
    def record(external_id: str, text: str, rating: float | None = None) -> SourceRecord:
        when = datetime(2026, 10, 20, tzinfo=UTC)
        return SourceRecord("api", external_id, "review", text, when, rating, raw_record_key=f"k-{external_id[:3]}")

    records = [
        record("a", "Great \ud83d"),
        record("b\x00", "fine text"),
        record("c" * 201, "long id"),
        record("d", "not a number", float("nan")),
        record("e", "ok\x00 then"),
    ]
    result = normalise(records, {})
    assert [f.feedback_id for f in result.feedback] == ["api:e"] and result.feedback[0].text == "ok then"
    assert [(q.field, q.reason) for q in result.quarantined] == [
        ("text", "record 'a': text with a lone surrogate (U+D83D), not valid Unicode"),
        ("id", "record 'b\\x00': id with a NUL character, which no warehouse stores"),
        ("id", "record with key k-ccc: id of 201 characters, longer than the 200 the warehouse keeps"),
        ("rating", "record 'd': rating nan is not a number"),
    ]


# -- 12: NUL bytes and lone surrogates stored alike on SQLite and PostgreSQL ----------------------------


def fake_scored(feedback) -> list[ScoredDocument]:
    """What the model stages would add, without a model."""
    sentiment = SentimentScore("neutral", 0.2, 0.6, 0.2, 0.0, 1, "fake-sentiment", "0")
    touchpoint = [TouchpointAssignment("other", 1.0, "fallback")]
    return [ScoredDocument(f, sentiment, touchpoint) for f in feedback]


def land(url: str, loads: list[LoadResult]) -> None:
    """Loads normalised and written as `ingest_interval` writes them, with fake scores."""
    normalised = normalise([r for load in loads for r in load.records], {})
    write = rows.ingest_write("run", START, END, loads, normalised, fake_scored(normalised.feedback))
    engine = make_engine(url)
    with engine.begin() as connection:
        store.write_ingest(connection, write)
    engine.dispose()


def test_nul_and_lone_surrogates_are_stored_replaced_and_noted_alike_on_both_warehouses(tmp_path, warehouse_url):
    engine = make_engine(warehouse_url)
    upgrade(engine)
    engine.dispose()
    csv_file = b"id,body,when,platform\nr1,Parcel\x00 late,2026-10-20,go\x00ogle\nr\x002,Nul id,2026-10-20,web\n"
    lines = ['{"id": "t1", "body": "ok", "when": "2026-10-20", "tag": "\\ud83d\\u0000", "k\\u0000": 1}']
    loads = [
        load(tmp_path, "reviews.csv", csv_file, metadata=["platform"]),
        load(tmp_path, "tickets.jsonl", jsonl(*lines), name="tickets"),
    ]
    land(warehouse_url, loads)

    engine = make_engine(warehouse_url)
    with engine.connect() as connection:
        raw = {r.external_id: r for r in connection.execute(select(t.raw_record))}
        feedback = {r.external_id: r for r in connection.execute(select(t.feedback))}
        quarantine = {r.external_id: r for r in connection.execute(select(t.quarantine))}
    engine.dispose()
    assert raw["r1"].payload == {
        "id": "r1",
        "body": "Parcel\ufffd late",
        "when": "2026-10-20",
        "platform": "go\ufffdogle",
        "__replaced__": ["body", "platform"],
    }
    assert raw["t1"].payload == {
        "id": "t1",
        "body": "ok",
        "when": "2026-10-20",
        "tag": "\ufffd\ufffd",
        "k\ufffd": 1,
        "__replaced__": ["tag", "k\ufffd"],
    }
    assert feedback["r1"].text == "Parcel late"
    assert feedback["r1"].metadata == {"platform": "go\ufffdogle", "__replaced__": ["platform"]}
    assert sorted(feedback) == ["r1", "t1"] and raw["r\ufffd2"].status == "quarantined"
    assert quarantine["r\ufffd2"].reason == "record 'r\\x002': id with a NUL character, which no warehouse stores"
    assert quarantine["r\ufffd2"].payload["__replaced__"] == ["id"]


def test_storable_keeps_ordinary_payloads_as_they_are():
    payload = {"id": "r1", "when": date(2026, 10, 20), "tags": ["a", 1, 2.5, None, True], "nested": {"k": "é"}}
    assert rows.storable(payload) == {
        "id": "r1",
        "when": "2026-10-20",
        "tags": ["a", 1, 2.5, None, True],
        "nested": {"k": "é"},
    }
    assert rows.storable({"x": [float("inf"), {"y": "\udce9"}]}) == {
        "x": [None, {"y": "\ufffd"}],
        "__replaced__": ["x[0]", "x[1].y"],
    }


# -- 13: an unterminated quote in a CSV -----------------------------------------------------------------


def hundred_rows(row_11: str, **special: str) -> bytes:
    lines = ["id,title,body,when,stars,platform"]
    for n in range(1, 101):
        lines.append(
            special.get(f"r{n}") or f"r{n},,Parcel {n} arrived on day {n % 28 + 1},2026-10-{n % 28 + 1:02},4,web"
        )
    lines[11] = row_11
    return ("\n".join(lines) + "\n").encode()


def test_a_quote_never_closed_quarantines_its_row_and_keeps_every_row_after_it(tmp_path):
    row_11 = 'r11,,"Never again. Parcel 11 lost,2026-10-12,1,web'
    content = hundred_rows(row_11, r40='r40,,"Fine, thanks",2026-10-13,4,web')
    result = load(tmp_path, "reviews.csv", content, fields=FIELDS | {"rating": "stars"})
    assert len(result.records) == 99 and "r11" not in {r.external_id for r in result.records}
    assert next(r for r in result.records if r.external_id == "r40").text == "Fine, thanks"
    [bad] = result.quarantined
    assert bad.field == "(row)" and bad.reason.startswith("line 12: a quoted field never closed")
    assert bad.payload["__unparsed__"] == row_11
    assert [raw.position for raw in result.raw if raw.record_key == bad.record_key] == [11]


def test_a_quote_closed_rows_later_where_a_field_ends_is_a_runaway_too(tmp_path):
    # The stray quote of row 11 closes in row 50 ('no",'), where a field ends and the fields add up to
    # the header's six: only the 38 whole rows inside the quoted field give it away.
    content = hundred_rows('r11,,"Broken,2026-10-12,1,web', r50='r50,,He said no",2026-10-13,4,web')
    result = load(tmp_path, "reviews.csv", content)
    assert len(result.records) == 99
    assert next(r for r in result.records if r.external_id == "r50").text == 'He said no"'
    [bad] = result.quarantined
    assert bad.reason == "line 12: a quoted field never closed (38 rows of their own follow in it)"


def test_quoted_fields_over_several_lines_still_load_as_one_row(tmp_path):
    content = b'id,body,when\nr1,"Dear team,\nthe sofa, the table, the lamp: all late.\nThanks",2026-10-20\nr2,ok,2026-10-20\n'
    result = load(tmp_path, "reviews.csv", content)
    assert [r.external_id for r in result.records] == ["r1", "r2"] and not result.quarantined
    assert result.records[0].text == "Dear team,\nthe sofa, the table, the lamp: all late.\nThanks"
    # A stray quote within one line reads as it always did.
    lenient = load(tmp_path, "stray.csv", b'id,body,when\nr1,"Great" service,2026-10-20\nr2,ok,2026-10-20\n')
    assert [(r.external_id, r.text) for r in lenient.records] == [("r1", "Great service"), ("r2", "ok")]
    # Two lines of a comment that happen to split into the header's three fields are not yet rows.
    content = b'id,body,when\nr1,"Order:\nsofa, table, lamp\nbed, rug, mirror\n(all late)",2026-10-20\n'
    assert [r.external_id for r in load(tmp_path, "more.csv", content).records] == ["r1"]


# -- 14: ids of the wrong type, and CSV rows with more fields than the header ---------------------------


def test_ids_are_strings_or_numbers_and_zero_is_an_id(tmp_path):
    tickets = [ticket(0), ticket(7), ticket(True), ticket(False), ticket({"n": 1}), ticket([1, 2]), ticket(2.5)]
    tickets += [ticket(True, f"Ticket {n}") for n in range(50)]
    result = load(tmp_path, "tickets.jsonl", jsonl(*tickets))
    assert [r.external_id for r in result.records] == ["0", "7", "2.5"]
    assert reasons(result)[:4] == [
        "row 3: id true is a boolean, not an id",
        "row 4: id false is a boolean, not an id",
        'row 5: id {"n": 1} is a JSON object, not an id',
        "row 6: id [1, 2] is a JSON array, not an id",
    ]
    assert len(result.quarantined) == 54  # the 50 tickets with id true stay 50 rows, none loaded


def test_text_that_is_an_object_is_quarantined_not_loaded_as_its_python_repr(tmp_path):
    result = load(tmp_path, "tickets.jsonl", jsonl(ticket("t1", {"a": 1}), ticket("t2", ["x"]), ticket("t3", 42)))
    assert [(r.external_id, r.text) for r in result.records] == [("t3", "42")]
    assert reasons(result) == [
        "record 't1': text is a JSON object, not text",
        "record 't2': text is a JSON array, not text",
    ]


def test_a_csv_row_with_more_fields_than_the_header_is_quarantined_with_them(tmp_path):
    content = b"id,body,when\nr1,Late, again,2026-10-20\nr2,ok,2026-10-20\nr3,short\n"
    result = load(tmp_path, "reviews.csv", content)
    assert [r.external_id for r in result.records] == ["r2"]
    first, short = result.quarantined
    assert first.reason == "line 2: 4 fields where the header has 3"
    assert first.payload == {
        "id": "r1",
        "body": "Late",
        "when": " again",
        "__extra__": ["2026-10-20"],
        "__error__": first.reason,
    }
    assert "None" not in first.payload
    assert short.reason == "record 'r3': unparseable date None"  # a short row keeps its missing fields empty
