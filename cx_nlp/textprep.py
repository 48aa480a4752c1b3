"""Text preparation shared by model training and inference, so both see the same input shape."""

from __future__ import annotations

import re

import numpy as np

_MENTION = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_SPACE = re.compile(r"\s+")


def prepare_for_model(text: str) -> str:
    """Mask handles and links: they carry no sentiment and would make the model memorise accounts."""
    text = _URL.sub("http", text)
    text = _MENTION.sub("@user", text)
    return _SPACE.sub(" ", text).strip()


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def chunk_by_tokens(text: str, count_tokens, max_tokens: int) -> list[str]:
    """Pack whole sentences into chunks that fit the model, so long texts are read whole, not truncated.

    `count_tokens(str) -> int` is the model tokenizer's count; a sentence longer than the limit is cut
    on word boundaries.
    """
    if count_tokens(text) <= max_tokens:
        return [text]
    pieces: list[str] = []
    for sentence in split_sentences(text):
        if count_tokens(sentence) <= max_tokens:
            pieces.append(sentence)
            continue
        words, current = sentence.split(), []
        for word in words:
            if current and count_tokens(" ".join([*current, word])) > max_tokens:
                pieces.append(" ".join(current))
                current = []
            current.append(word)
        if current:
            pieces.append(" ".join(current))
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current} {piece}".strip()
        if current and count_tokens(candidate) > max_tokens:
            chunks.append(current)
            current = piece
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def distinct_with_index(items):
    """The distinct strings of `items` in first-seen order, and for each item its row among them: a model
    reads each distinct string once and `result[index]` fans the rows back out."""
    positions: dict[str, int] = {}
    index = np.array([positions.setdefault(item, len(positions)) for item in items], dtype=np.intp)
    return list(positions), index
