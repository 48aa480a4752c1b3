"""Text preparation shared by model training and inference, so both see the same input shape."""

from __future__ import annotations

import re

import numpy as np

_MENTION = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_SPACE = re.compile(r"\s+")
# A link as _URL reads it, or a handle not inside an e-mail address; with the spaces before it.
_HANDLE_OR_LINK = re.compile(rf"[ \t]*(?:{_URL.pattern}|(?<![\w@]){_MENTION.pattern})")


def prepare_for_model(text: str) -> str:
    """Mask handles and links: they carry no sentiment and would make the model memorise accounts."""
    text = _URL.sub("http", text)
    text = _MENTION.sub("@user", text)
    return _SPACE.sub(" ", text).strip()


def prepare_for_embedding(text: str) -> str:
    """Drop handles and links before embedding: a tweet's "@airline" names who is addressed, not what
    went wrong, and kept in, tweets to one account crowd together whatever their problem (airline
    tweets under k-means: NMI 0.25 with the airline addressed, 0.03 without the handles). A text that
    is nothing but handles and links is embedded as it is."""
    return without_handles_and_links(text) or text


def without_handles_and_links(text: str) -> str:
    """The text with @handles and links taken out (issue keywords skip them too: "usairways" and
    "http" say nothing of the problem)."""
    # Each handle or link goes with the spaces before it; line breaks stay, since long texts are chunked
    # on them (a text without handles or links is returned as it is, so its vector does not change).
    return _HANDLE_OR_LINK.sub("", text).strip()


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


def additive_counter(tokenizer):
    """A function that counts the content tokens of many strings in one tokenizer call, for tokenizers
    whose counts add up over pieces joined by a space: WordPiece (BERT, MiniLM, MPNet) splits on spaces
    and punctuation before it looks words up, so "a b" has the tokens of "a" plus those of "b". None for
    any other tokenizer (byte-level BPE, SentencePiece), whose pieces can merge across a join."""
    from tokenizers.models import WordPiece

    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None or not isinstance(backend.model, WordPiece):
        return None

    def count_many(texts: list[str]) -> list[int]:
        if not texts:
            return []
        return [len(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]]

    return count_many


def chunk_many(texts, count_tokens, max_tokens: int, count_many=None) -> tuple[list[list[str]], list[list[int]]]:
    """Each text's chunks as `chunk_by_tokens` makes them, and each chunk's token count.

    With `count_many` (`additive_counter`'s), three tokenizer calls count every text, then the sentences
    of the texts too long, then the words of the sentences too long, and chunks are packed by adding
    counts: the same chunks from three batched calls instead of one call per sentence and per candidate
    chunk (on a GPU, counting one by one took longer than the models' forward passes over long texts).
    Without it, `chunk_by_tokens` text by text."""
    if count_many is None:
        chunked = [chunk_by_tokens(t, count_tokens, max_tokens) for t in texts]
        return chunked, [[count_tokens(c) for c in chunks] for chunks in chunked]
    totals = count_many(texts)
    long = {i: split_sentences(t) for i, t in enumerate(texts) if totals[i] > max_tokens}
    sentence_counts = iter(count_many([s for group in long.values() for s in group]))
    counted = {i: [(s, next(sentence_counts)) for s in group] for i, group in long.items()}
    words = list({w: None for group in counted.values() for s, n in group if n > max_tokens for w in s.split()})
    word_counts = dict(zip(words, count_many(words)))
    chunked, counts = [], []
    for i, text in enumerate(texts):
        if i not in counted:
            chunked.append([text])
            counts.append([totals[i]])
            continue
        pieces: list[tuple[str, int]] = []
        for sentence, n in counted[i]:
            if n <= max_tokens:
                pieces.append((sentence, n))
            else:
                pieces.extend(_pack(((w, word_counts[w]) for w in sentence.split()), max_tokens))
        text_chunks = _pack(pieces, max_tokens)
        chunked.append([c for c, _ in text_chunks])
        counts.append([n for _, n in text_chunks])
    return chunked, counts


def _pack(pieces, max_tokens: int) -> list[tuple[str, int]]:
    """Consecutive pieces joined by spaces while their counts add up to at most `max_tokens`."""
    out, current, size = [], "", 0
    for piece, n in pieces:
        if current and size + n > max_tokens:
            out.append((current, size))
            current, size = piece, n
        else:
            current, size = f"{current} {piece}".strip(), size + n
    if current:
        out.append((current, size))
    return out


def distinct_with_index(items):
    """The distinct strings of `items` in first-seen order, and for each item its row among them: a model
    reads each distinct string once and `result[index]` fans the rows back out."""
    positions: dict[str, int] = {}
    index = np.array([positions.setdefault(item, len(positions)) for item in items], dtype=np.intp)
    return list(positions), index
