"""Issue keywords read what customers say, not whom they address or link to."""

from __future__ import annotations

import numpy as np

from cx_nlp.issues.keywords import class_term_counts


def test_keywords_skip_handles_and_links():
    texts = [
        "@SkyJet my bag never arrived http://t.co/abcd",
        "@SkyJet @HelpDesk bag lost again https://t.co/wxyz",
        "@SkyJet lost bag at the carousel www.skyjet.example",
        "seat was broken @SkyJet",
        "broken seat and no recline",
        "the seat tray was broken",
    ]
    _, vocabulary = class_term_counts(texts, np.array([0, 0, 0, 1, 1, 1]), [0, 1])
    words = {term for phrase in vocabulary for term in phrase.split()}
    assert {"bag", "lost", "seat", "broken"} <= words
    assert not words & {"skyjet", "helpdesk", "http", "https", "abcd", "wxyz", "www", "example"}
