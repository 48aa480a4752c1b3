"""The digest of what a night's issue mining reads: it changes with every input but the night's own
memberships, so an unchanged rerun can keep its issues and any change mines afresh."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np

from cx_nlp.issues import IssueWindow, PriorIssue
from cx_nlp.issues.inputs import mining_code_digest, window_digest
from cx_nlp.records import WindowDocument, WindowSegment

SETTINGS = {"issue_reducer": "auto", "embedding": {"name": "all-MiniLM-L6-v2", "version": "1"}}


def _window(**changes) -> IssueWindow:
    rng = np.random.default_rng(3)
    segment = WindowSegment(0, "the parcel came late", "s0", "negative", -0.7, "delivery", rng.normal(size=8))
    documents = [
        WindowDocument(f"f{i}", f"text {i}", f"h{i}", date(2026, 11, 10), 2.0, "review", "negative", -0.6,
                       "delivery", rng.normal(size=8).astype(np.float32), None, "en", (segment,) if i == 0 else ())
        for i in range(5)
    ]  # fmt: skip
    prior = [
        PriorIssue("delivery-0001", "delivery", "en", "late parcel", rng.normal(size=8), 4, "active",
                   date(2026, 11, 1), date(2026, 11, 9))
    ]  # fmt: skip
    window = IssueWindow(documents, prior, date(2026, 10, 13), date(2026, 11, 10), "run", frozenset({"app-0001"}))
    return replace(window, **changes)


def test_the_same_inputs_give_the_same_digest_and_a_night_s_own_memberships_do_not_count():
    window = _window()
    assert window_digest(window, SETTINGS) == window_digest(_window(), SETTINGS)
    own = replace(window, memberships={("f1", None): "delivery-0001"}, run_id="another run")
    assert window_digest(own, SETTINGS) == window_digest(window, SETTINGS)


def test_every_input_of_the_mining_changes_the_digest():
    window = _window()
    base = window_digest(window, SETTINGS)
    documents = list(window.documents)
    moved = documents[2].embedding.copy()
    moved[0] += 1e-6
    segment = replace(documents[0].segments[0], touchpoint="returns")
    changed = {
        "a vector": replace(window, documents=[*documents[:2], replace(documents[2], embedding=moved), *documents[3:]]),
        "a touchpoint": replace(window, documents=[replace(documents[0], touchpoint="returns"), *documents[1:]]),
        "a segment": replace(window, documents=[replace(documents[0], segments=(segment,)), *documents[1:]]),
        "one feedback fewer": replace(window, documents=documents[:-1]),
        "a prior issue": replace(window, prior=[replace(window.prior[0], label="late parcels")]),
        "an analyst merge": replace(window, aliases={"delivery-0002": "delivery-0001"}),
        "the ids other windows own": replace(window, taken_ids=frozenset()),
        "where the last mining ended": replace(window, mined_through=date(2026, 11, 9)),
        "the window's start": replace(window, start=date(2026, 10, 14)),
    }
    for what, other in changed.items():
        assert window_digest(other, SETTINGS) != base, what
    assert window_digest(window, SETTINGS | {"issue_reducer": "pca"}) != base


def test_the_mining_code_is_part_of_the_digest(tmp_path):
    module = tmp_path / "miner.py"
    module.write_text("THRESHOLD = 0.8\n", encoding="utf-8")
    before = mining_code_digest([module])
    module.write_text("THRESHOLD = 0.7\n", encoding="utf-8")
    assert mining_code_digest([module]) != before
