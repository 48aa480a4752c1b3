"""Normalise raw verbatims: clean text for the models, a hash for de-duplication, the language.

Pure functions over strings, so every source connector and every backfill gets identical output.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
import unicodedata

from selectolax.lexbor import LexborHTMLParser

_HTML_TAG = re.compile(
    r"</?(?:!doctype|html|head|body|p|div|span|br|hr|a|b|i|u|em|strong|font|img|ul|ol|li|"
    r"table|thead|tbody|tr|td|th|h[1-6]|blockquote|pre|section|article|center|style|script)\b[^>]*>",
    re.IGNORECASE,
)
_DROPPED_TAGS = ["head", "script", "style", "noscript", "template"]
# Mail clients mark the quoted earlier message with these; removing them here saves relying on
# the "On ... wrote:" line surviving the conversion to text.
_QUOTED_REPLY_SELECTOR = "blockquote[type=cite], .gmail_quote"
_LINE_BREAKING_TAGS = (
    "address, article, blockquote, dd, div, dl, dt, footer, h1, h2, h3, h4, h5, h6, header, hr, "
    "li, ol, p, pre, section, table, tr, ul"
)
_CELL_TAGS = "td, th"
# HTML source whitespace (including hard-wrapped lines) means nothing, so the line breaks that
# tags imply are marked with a private-use character, source whitespace is collapsed, and only
# then do the marks become real line breaks for the reply and signature rules to see.
_BLOCK_BREAK = "\ue000"

_LINE_ENDINGS = re.compile(r"\r\n?|[\v\f\x85\u2028\u2029]")
# Zero-width and bidirectional formatting characters: invisible, but they split words for the
# tokenizers and make identical verbatims hash differently.
_INVISIBLE = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")

_REPLY_HEADER = re.compile(
    r"^[ \t]*(?:"
    r"On\b[^\n]{0,300}?(?:\n[^\n]{0,300}?)?\bwrote:"
    r"|Le\b[^\n]{0,300}?a écrit ?:"
    r"|Am\b[^\n]{0,300}?schrieb[^\n]{0,300}?:"
    r"|El\b[^\n]{0,300}?escribió:"
    r"|-{3,} ?(?i:original message) ?-{3,}"
    r")[ \t]*$",
    re.MULTILINE,
)
_MOBILE_SIGNOFF = re.compile(r"^[ \t]*(?:Sent from my|Get Outlook for) [\w ]{1,40}[ \t]*$")
_WHITESPACE = re.compile(r"\s+")


def _looks_like_html(text: str) -> bool:
    return _HTML_TAG.search(text) is not None


def _html_to_text(markup: str) -> str:
    tree = LexborHTMLParser(markup)
    tree.strip_tags(_DROPPED_TAGS, recursive=True)
    for node in tree.css(_QUOTED_REPLY_SELECTOR):
        node.decompose()
    for node in tree.css(_LINE_BREAKING_TAGS):
        node.insert_before(_BLOCK_BREAK)
        node.insert_after(_BLOCK_BREAK)
    for node in tree.css("br"):
        node.insert_after(_BLOCK_BREAK)
    for node in tree.css(_CELL_TAGS):
        node.insert_after(" ")
    root = tree.body if tree.body is not None else tree.root
    text = root.text() if root is not None else ""
    text = _WHITESPACE.sub(" ", text)
    return re.sub(f" ?{_BLOCK_BREAK} ?", "\n", text)


def _strip_replies_and_signature(text: str) -> str:
    reply_header = _REPLY_HEADER.search(text)
    if reply_header:
        text = text[: reply_header.start()]
    kept = []
    for line in text.split("\n"):
        # "-- " is the signature delimiter of RFC 3676; trailing spaces vary between clients.
        if line.rstrip(" \t") == "--":
            break
        if line.lstrip().startswith(">") or _MOBILE_SIGNOFF.match(line):
            continue
        kept.append(line)
    return "\n".join(kept)


def clean_text(raw: str) -> str:
    """Plain, single-line text of what the customer wrote, without markup, quotes or signature."""
    if _looks_like_html(raw):
        # The parser decodes entities itself; unescaping again would turn "&amp;lt;" into "<".
        text = _html_to_text(raw)
    else:
        text = html.unescape(raw)
    text = _LINE_ENDINGS.sub("\n", text)
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    text = _strip_replies_and_signature(text)
    return _WHITESPACE.sub(" ", text).strip()


def _strip_edge_punctuation(text: str) -> str:
    def is_edge_noise(char: str) -> bool:
        return char.isspace() or unicodedata.category(char).startswith("P")

    start, end = 0, len(text)
    while start < end and is_edge_noise(text[start]):
        start += 1
    while end > start and is_edge_noise(text[end - 1]):
        end -= 1
    return text[start:end]


def content_hash(text: str) -> str:
    """SHA-256 hex digest that is equal for verbatims differing only in case, spacing or end punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _WHITESPACE.sub(" ", folded)
    folded = _strip_edge_punctuation(folded)
    # surrogatepass: a lone surrogate (quarantined before it gets here) must never fail a whole run.
    return hashlib.sha256(folded.encode("utf-8", errors="surrogatepass")).hexdigest()


UNDETERMINED_LANGUAGE = "und"
_MIN_WORDS_FOR_LANGUAGE = 3
# Chinese, Japanese and Thai are written without spaces, so each character counts as a word;
# otherwise a whole Chinese sentence would be one "word" and never get a language.
_WORD = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]|[^\W\d_]+")
# py3langid labels some varieties with ISO 639-3 codes; their probability is added to the
# ISO 639-1 language they belong to, since callers store two-letter codes.
_ISO_639_1_PARENT = {
    "arz": "ar",
    "ary": "ar",
    "yue": "zh",
    "wuu": "zh",
    "uzs": "uz",
    "sdh": "ku",
    "gug": "gn",
    "fuv": "ff",
}


@functools.cache
def _language_identifier():
    # Imported and loaded on first use: the model takes a moment to load and most importers of
    # this module (DAG parsing, tests of clean_text) never detect a language.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float]:
    """ISO 639-1 code and probability in [0, 1]; ("und", 0.0) when there is too little text to tell.

    Also ("und", 0.0) when the best guess is a language without a two-letter code or "no
    linguistic content" (py3langid's "zxx"), rather than a two-letter code the model ranked lower.
    """
    if len(_WORD.findall(text)) < _MIN_WORDS_FOR_LANGUAGE:
        return UNDETERMINED_LANGUAGE, 0.0
    probabilities: dict[str, float] = {}
    for label, probability in _language_identifier().rank(text):
        code = _ISO_639_1_PARENT.get(label, label)
        probabilities[code] = probabilities.get(code, 0.0) + probability
    code, probability = max(probabilities.items(), key=lambda item: item[1])
    if len(code) != 2:
        return UNDETERMINED_LANGUAGE, 0.0
    return code, min(max(float(probability), 0.0), 1.0)
