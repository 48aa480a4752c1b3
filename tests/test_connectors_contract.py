"""Web connectors: the contract every connector in CONNECTORS must pass, run over one case per connector.

All HTTP goes to a loopback fixture server; retries and rate limits run on a fake clock, so nothing here
sleeps for real.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from connector_cases import CASES
from connector_helpers import FakeTime, commit, export_path, run

from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.connectors import CONNECTORS, ZendeskTicketsStream, build_stream
from cx_nlp.sources.fields import payload_key
from cx_nlp.sources.streams import HttpStream, MemoryStateStore, SourceError, StreamState


def test_every_registered_connector_has_a_contract_case():
    assert set(CASES) == set(CONNECTORS)


@pytest.fixture(params=sorted(CONNECTORS))
def case(request, server):
    chosen = CASES[request.param](server)
    chosen.install()
    return chosen


@pytest.fixture(params=sorted(kind for kind, cls in CONNECTORS.items() if issubclass(cls, HttpStream)))
def http_case(request, server):
    """The connectors that read over HTTP: the ones the retry and Retry-After contract applies to."""
    chosen = CASES[request.param](server)
    chosen.install()
    return chosen


# -- the contract -----------------------------------------------------------------------------------


def test_contract_declares_stream_shape(case):
    cls = CONNECTORS[case.kind]
    assert cls.name == case.kind
    assert cls.primary_keys and cls.replication_key
    for column in (*cls.primary_keys, cls.replication_key):
        assert column.split(".")[0] in cls.schema["properties"]


def test_contract_full_load(case):
    store = MemoryStateStore()
    result = run(case, store)

    ids = [r.external_id for r in result.records]
    assert len(ids) == case.expected_count == len(set(ids))
    assert case.expected_ids <= set(ids)
    assert result.quarantined == []
    for raw in result.raw:
        assert raw.source == case.kind and raw.record_key == payload_key(raw.payload)
    assert [r.position for r in result.raw] == list(range(1, len(result.raw) + 1))
    assert {r.raw_record_key for r in result.records} == {r.record_key for r in result.raw}
    assert all(isinstance(r, SourceRecord) and r.text and r.created_at.tzinfo for r in result.records)
    assert StreamState.from_dict(result.state).bookmark == case.expected_bookmark
    # sync hands the bookmark back; saving it is the caller's move, after the commit.
    assert store.get(case.kind) is None


def test_contract_incremental_rerun_fetches_nothing_new_twice(case, server):
    store = MemoryStateStore()
    first = run(case, store)
    commit(first, store)
    full_requests = len(case.data_requests())

    logs, results = [], []
    for _ in range(2):
        server.clear_log()
        result = run(case, store)
        commit(result, store)
        logs.append([(r.path, r.query) for r in server.requests])
        results.append(result)
    assert all(r.raw == [] for r in results)
    assert logs[0] == logs[1]
    assert len(logs[0]) == case.rerun_requests
    # A file is read whole every run; only a networked source can ask for less.
    if export_path(case) is None:
        assert len(case.data_requests()) < full_requests

    case.add_new_item()
    newer = run(case, store)
    commit(newer, store)
    assert {r.external_id for r in newer.records} == case.new_ids

    keys = [r.record_key for res in (first, *results, newer) for r in res.raw]
    assert len(keys) == len(set(keys)), "a record was delivered twice"
    ids = [r.external_id for res in (first, *results, newer) for r in res.records]
    assert len(ids) == len(set(ids))


def test_contract_recovers_from_429_and_5xx_without_losing_records(http_case, server):
    case = http_case
    clean = run(case, MemoryStateStore())
    server.clear_log()
    case.install()
    case.inject_transient_faults()

    fake = FakeTime()
    result = run(case, MemoryStateStore(), fake)

    assert sorted(r.external_id for r in result.records) == sorted(r.external_id for r in clean.records)
    assert case.retry_after in fake.sleeps  # Retry-After honoured, not replaced by backoff
    targets = [r.target for r in case.data_requests()]
    assert len(targets) == len(set(targets)) + 2  # exactly the two failed requests were repeated


def test_contract_failure_midway_raises_source_error_and_keeps_state(case):
    store = MemoryStateStore()
    expected = case.break_second_page()

    with pytest.raises(SourceError) as failure:
        run(case, store)
    assert failure.value.stream == case.kind
    assert expected in str(failure.value) and str(export_path(case) or "127.0.0.1") in str(failure.value)
    assert store.get(case.kind) is None

    case.install()
    recovered = run(case, store)
    assert len(recovered.records) == case.expected_count


def test_contract_bad_records_are_quarantined_with_field_and_reason(case):
    good_ids, problems = case.install_bad_records()
    result = run(case, MemoryStateStore())

    assert {r.external_id for r in result.records} == good_ids
    found = [(q.field, q.reason) for q in result.quarantined]
    assert len(found) == len(problems)
    for (field, reason), (want_field, want_reason) in zip(found, problems):
        assert field == want_field and want_reason in reason
    assert all(isinstance(q, QuarantinedRecord) and q.source == case.kind and q.payload for q in result.quarantined)
    # Quarantined rows are still raw rows: nothing the source sent is dropped.
    assert len(result.raw) == len(result.records) + len(result.quarantined)


def test_build_stream_validates_config_by_kind(server):
    stream = build_stream("zendesk_tickets", {"base_url": server.url()})
    assert isinstance(stream, ZendeskTicketsStream)
    stream.close()
    with pytest.raises(ValueError, match="unknown connector kind 'trustpilot'"):
        build_stream("trustpilot", {})


def test_memory_state_store_round_trips_json_only():
    store = MemoryStateStore()
    state = StreamState("2026-10-22T16:00:00+00:00", "c2", ["k1"]).to_dict()
    store.set("s", state)
    assert store.get("s") == state and store.get("other") is None
    with pytest.raises(TypeError):
        store.set("s", {"when": datetime(2026, 1, 1)})
    assert json.loads(json.dumps(store.get("s"))) == state
