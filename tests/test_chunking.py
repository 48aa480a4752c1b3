"""Long texts are cut into chunks that fit the model. Counting tokens text by text (chunk_by_tokens) and
counting in three batched calls (chunk_many with a WordPiece tokenizer's additive counter) must give the
same chunks and counts, on texts of every shape the pipeline meets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from cx_nlp.textprep import additive_counter, chunk_by_tokens, chunk_many, prepare_for_model

ROOT = Path(__file__).resolve().parent.parent


def _texts() -> list[str]:
    texts = pd.read_csv(ROOT / "data" / "sample" / "complaints.csv")["Consumer complaint narrative"].dropna().tolist()
    texts += pd.read_csv(ROOT / "data" / "sample" / "reviews.csv")["body"].dropna().tolist()
    texts += pd.read_csv(ROOT / "data" / "eval" / "cx_eval.csv")["text"].dropna().tolist()
    texts += [
        "word " * 400,  # one sentence longer than the model: cut on words
        "Ünïcödé ça va, 北京欢迎你! " * 40,  # accents stripped, CJK characters split one by one
        "supercalifragilistic" * 200 + ". Short one.",  # one word longer than the model
        "!!! ??? ... " * 100,
        "@user the parcel http never came.\n\nSecond paragraph here. " * 12,
        "",
    ]
    return [str(t) for t in texts]


@pytest.mark.parametrize("max_tokens", [20, 60, None])
def test_batched_counting_gives_the_chunks_of_counting_one_by_one(models, max_tokens):
    texts = _texts()
    for wrapper, prepared in ((models.sentiment, [prepare_for_model(t) for t in texts]), (models.embedder, texts)):
        limit = max_tokens or wrapper.max_tokens
        assert wrapper._count_many is not None  # both default models tokenise with WordPiece
        expected = [chunk_by_tokens(t, wrapper._count_tokens, limit) for t in prepared]
        chunked, counts = chunk_many(prepared, wrapper._count_tokens, limit, wrapper._count_many)
        assert chunked == expected
        assert counts == [[wrapper._count_tokens(c) for c in chunks] for chunks in expected]
        # texts long enough to cut: many at the small limits, the long ones at the model's own
        assert sum(len(c) > 1 for c in chunked) >= (20 if max_tokens else 3)


def test_tokenizers_whose_counts_need_not_add_up_are_counted_one_by_one():
    vocab = {"[UNK]": 0, "a": 1, "b": 2, "ab": 3}
    bpe = Tokenizer(models.BPE(vocab=vocab, merges=[("a", "b")], unk_token="[UNK]"))
    bpe.pre_tokenizer = pre_tokenizers.Whitespace()
    assert additive_counter(PreTrainedTokenizerFast(tokenizer_object=bpe)) is None

    calls = []

    def count(text: str) -> int:
        calls.append(text)
        return len(text.split())

    chunked, counts = chunk_many(["one two three. four five six seven.", "short"], count, 4)
    assert chunked == [["one two three.", "four five six seven."], ["short"]]
    assert counts == [[3, 4], [1]]
    assert len(calls) > 3  # text by text, candidate by candidate
