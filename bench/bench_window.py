"""Memory of the issue window read back at 100,000 to 1,000,000 documents, without the models.

    .venv/bin/python bench/bench_window.py --documents 100000
    .venv/bin/python bench/bench_window.py --documents 1000000 --folder /tmp/cx-window-1m
    .venv/bin/python bench/bench_window.py --documents 100000 --texts-from REAL/cfpb_complaints.csv

A cold run of a million documents takes the models about nine hours on two cores, so the window's
own cost is measured on a warehouse filled directly: `bench/generate.py`'s documents (seed 13, 28
days) split into segments as the pipeline splits them (`cx_nlp.segments`), each document and segment
given a tone drawn from the generator's own (seeded: a negative document's sentences mostly negative,
a mixed one's half and half) and the generator's touchpoint, and every distinct text a stored vector
(a seeded unit vector: the window read does not look at its values). What is stored has the
columns and sizes the pipeline writes; what it says is not a model's reading. `--texts-from` puts
real texts (a converter's CSV, data/eval/real/) in place of the generated ones, in turn.

The fill is kept in `--folder` and reused by a later run of the same size. Each way of reading runs
in a fresh process: as the pipeline reads a window (no vectors, no texts: `as_mined`) and with every
text (`every_text`). For each, RSS before and after
`window_documents`, after `window_units`, and the peak while reading; as mined, also the units'
vectors read into one float16 matrix as the tracker reads a large group (`--read-chunk` hashes at a
time; a chunk larger than the units reads them all at once, as the reader did before) and every
unit's text read back 500 at a time, as keywords read an issue's closest members. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import bench_env  # sets what numpy and the models read when they load: first
from bench_pipeline import _machine
from bench_vector_read import read_as_float16
from memory_peaks import peak_rss_mib, reset_peak_rss, rss_mib

from cx_nlp.warehouse.windows import VECTOR_READ_CHUNK

ROOT = bench_env.ROOT
START, END = date(2026, 10, 19), date(2026, 11, 16)
MODEL = ("bench-vectors", "1")
DIMENSIONS = 384
# How each generated tone's sentences read, as (negative, neutral) shares; the rest are positive.
SEGMENT_TONES = {"negative": (0.7, 0.2), "mixed": (0.45, 0.15), "neutral": (0.1, 0.8), "positive": (0.05, 0.15)}
DOCUMENT_LABEL = {"negative": "negative", "mixed": "negative", "neutral": "neutral", "positive": "positive"}


def fill(
    url: str,
    documents: int,
    texts: list[str] | None = None,
    batch: int = 5_000,
    model: tuple[str, str] = MODEL,
    vector_of=None,
) -> None:
    """Generated documents with segments, tones, touchpoints and vectors, straight into the warehouse;
    with `texts`, each generated document's text replaced by the next of them (in turn). Vectors are
    stored under `model`, each a seeded random unit vector or what `vector_of(content_hash)` gives."""
    import numpy as np
    from generate import Generator
    from sqlalchemy import insert

    from cx_nlp.normalise import content_hash
    from cx_nlp.segments import split_segments
    from cx_nlp.warehouse import db
    from cx_nlp.warehouse import schema as t

    engine = db.make_engine(url)
    db.upgrade(engine)
    rng = random.Random(13)
    vectors = np.random.default_rng(13)
    stored: set[str] = set()
    rows: dict[str, list[dict]] = {"feedback": [], "sentiment": [], "touchpoint": [], "segment": [], "embedding": []}

    def vector_row(text_hash: str) -> None:
        if text_hash not in stored:
            stored.add(text_hash)
            if vector_of is None:
                vector = vectors.standard_normal(DIMENSIONS).astype("<f4")
                vector /= np.linalg.norm(vector)
            else:
                vector = np.asarray(vector_of(text_hash), dtype="<f4")
            rows["embedding"].append(
                {
                    "content_hash": text_hash,
                    "model_name": model[0],
                    "model_version": model[1],
                    "dimensions": DIMENSIONS,
                    "vector": vector.tobytes(),
                }
            )

    def flush() -> None:
        with engine.begin() as connection:
            for key, table in (
                ("feedback", t.feedback),
                ("sentiment", t.feedback_sentiment),
                ("touchpoint", t.feedback_touchpoint),
                ("segment", t.feedback_segment),
                ("embedding", t.embedding),
            ):
                if rows[key]:
                    connection.execute(insert(table), rows[key])
                rows[key].clear()

    for number, document in enumerate(Generator(seed=13).documents(documents), start=1):
        if texts:
            document = replace(document, text=texts[(number - 1) % len(texts)])
        feedback_id = f"bench-{document.channel}:{document.id}"
        text_hash = content_hash(document.text)
        label = DOCUMENT_LABEL[document.tone]
        rows["feedback"].append(
            {
                "feedback_id": feedback_id,
                "source": f"bench-{document.channel}",
                "external_id": document.id,
                "source_kind": document.channel if document.channel in ("review", "ticket") else "complaint",
                "text": document.text,
                "content_hash": text_hash,
                "language": "en",
                "language_confidence": 0.99,
                "created_at": document.created_at.astimezone(UTC).replace(tzinfo=None),
                "created_day": document.created_at.date(),
                "rating": document.rating,
                "metadata": {},
                "pii_redactions": {},
                "raw_record_key": text_hash,
                "run_id": "bench",
            }
        )
        rows["sentiment"].append(
            {
                "feedback_id": feedback_id,
                "content_hash": text_hash,
                "label": label,
                **_probabilities(label),
                "chunks": 1,
                "model_name": "bench",
                "model_version": "1",
            }
        )
        rows["touchpoint"].append(
            {
                "feedback_id": feedback_id,
                "touchpoint": document.touchpoint,
                "confidence": 0.8,
                "method": "similarity",
                "is_primary": True,
            }
        )
        vector_row(text_hash)
        negative, neutral = SEGMENT_TONES[document.tone]
        for segment in split_segments(document.text):
            draw = rng.random()
            tone = "negative" if draw < negative else "neutral" if draw < negative + neutral else "positive"
            segment_hash = content_hash(segment.text)
            rows["segment"].append(
                {
                    "feedback_id": feedback_id,
                    "position": segment.position,
                    "text": segment.text,
                    "content_hash": segment_hash,
                    "char_start": segment.start,
                    "char_end": segment.end,
                    "label": tone,
                    **_probabilities(tone),
                    "touchpoint": document.touchpoint,
                    "touchpoint_confidence": 0.8,
                    "touchpoint_method": "similarity",
                    "model_name": "bench",
                    "model_version": "1",
                }
            )
            vector_row(segment_hash)
        if number % batch == 0:
            flush()
    flush()


def _probabilities(label: str) -> dict[str, float]:
    p = {"negative": 0.1, "neutral": 0.1, "positive": 0.1}
    p[label] = 0.8
    return {
        "p_negative": p["negative"],
        "p_neutral": p["neutral"],
        "p_positive": p["positive"],
        "score": p["positive"] - p["negative"],
    }


def measure(url: str, as_mined: bool, read_chunk: int) -> dict:
    """In this (fresh) process: RSS around reading the window and building its mining units; as mined,
    then the units' vectors read as the tracker reads a group of 50,000 units or more (float16, one
    matrix), `read_chunk` hashes at a time."""
    import gc

    from cx_nlp.issues.units import window_units
    from cx_nlp.warehouse import db, windows

    engine = db.make_engine(url)
    gc.collect()
    before = rss_mib()
    reset_peak_rss()
    started = time.perf_counter()
    with engine.connect() as connection:
        documents = windows.window_documents(
            connection, START, END, MODEL, vectors_for=windows.no_vectors, as_mined=as_mined
        )
    read_seconds = time.perf_counter() - started
    read_peak = peak_rss_mib()
    gc.collect()
    after_read = rss_mib()
    units = window_units(documents)
    gc.collect()
    after_units = rss_mib()
    count = len(documents)
    segments = sum(len(d.segments) for d in documents)
    vectors = {}
    if as_mined:
        reader = windows.vector_reader(engine, MODEL, chunk=read_chunk)
        read = read_as_float16(reader, [unit.content_hash for unit in units])
        vectors = {
            "vector_read_chunk": read_chunk,
            "vectors_read_seconds": read["seconds"],
            "vectors_matrix_mib": read["matrix_mib"],
            "vectors_read_peak_above_start_mib": read["peak_above_start_mib"],
            **_unit_texts_read(engine, units),
        }
    return {
        "documents": count,
        "segments": segments,
        "units": len(units),
        "read_seconds": round(read_seconds, 1),
        "rss_before_mib": round(before, 1),
        "window_mib": round(after_read - before, 1),
        "read_peak_mib": round(read_peak, 1),
        "units_mib": round(after_units - after_read, 1),
        "window_kib_per_document": round((after_read - before) * 1024 / max(count, 1), 2),
        "units_kib_per_document": round((after_units - after_read) * 1024 / max(count, 1), 2),
        **vectors,
    }


def _unit_texts_read(engine, units) -> dict:
    """Every unit's text read back as keywords read an issue's (KEYWORD_MEMBERS at a time): what a
    night that describes every unit's issue reads, at most, from a window that holds no text."""
    from cx_nlp.issues.keywords import KEYWORD_MEMBERS
    from cx_nlp.issues.units import UnitTexts
    from cx_nlp.warehouse import windows

    texts = UnitTexts(units, windows.unit_text_reader(engine))
    started, characters = time.perf_counter(), 0
    for start in range(0, len(units), KEYWORD_MEMBERS):
        characters += sum(map(len, texts.take(range(start, min(start + KEYWORD_MEMBERS, len(units))))))
    return {
        "unit_texts_read_seconds": round(time.perf_counter() - started, 1),
        "unit_texts_read_in": KEYWORD_MEMBERS,
        "unit_text_characters": characters,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument(
        "--folder", type=Path, default=None, help="keeps the filled warehouse (default /tmp/cx-window-N)"
    )
    parser.add_argument("--texts-from", type=Path, help="a CSV whose `text` column replaces the generated texts")
    parser.add_argument("--measure", choices=["as-mined", "every-text"], help=argparse.SUPPRESS)  # the fresh process
    parser.add_argument("--read-chunk", type=int, default=VECTOR_READ_CHUNK, help="hashes per vector read")
    args = parser.parse_args()
    texts_name = f"-{args.texts_from.stem}" if args.texts_from else ""
    folder = args.folder or Path(f"/tmp/cx-window-{args.documents}{texts_name}")
    url = f"sqlite:///{folder / 'warehouse.db'}"
    if args.measure:
        print(json.dumps(measure(url, args.measure == "as-mined", args.read_chunk)))
        return
    folder.mkdir(parents=True, exist_ok=True)
    fill_seconds = None
    if not (folder / "filled").exists():
        (folder / "warehouse.db").unlink(missing_ok=True)
        started = time.perf_counter()
        texts = None
        if args.texts_from:
            import csv

            with args.texts_from.open(encoding="utf-8", newline="") as handle:
                texts = [row["text"] for row in csv.DictReader(handle) if row["text"].strip()]
        fill(url, args.documents, texts)
        fill_seconds = round(time.perf_counter() - started, 1)
        (folder / "filled").write_text(str(args.documents))
    result = {"fill_seconds": fill_seconds, "machine": _machine(), "measured_at": datetime.now(UTC).isoformat()}
    # Each way in a fresh process: as the pipeline reads a window (long texts left unread), and every text.
    for way in ("as-mined", "every-text"):
        command = [sys.executable, __file__, "--documents", str(args.documents), "--folder", str(folder)]
        child = subprocess.run(
            [*command, "--measure", way, "--read-chunk", str(args.read_chunk)],
            check=True,
            capture_output=True,
            text=True,
        )
        result[way.replace("-", "_")] = json.loads(child.stdout.strip().splitlines()[-1])
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
