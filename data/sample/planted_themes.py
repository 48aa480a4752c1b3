"""How well a warehouse's issues recover the sample's planted problems.

Every sample record carries the theme it was written for (`THEMES` in make_samples.py, the survey
rows in make_surveys.py). This rebuilds the records with the generators' own seeds, maps each
external id to its theme, and reads which issues each feedback joined. Per planted problem it prints
how many documents it has, the issue holding most of them, that issue's share of the theme (recall)
and the theme's share of that issue (purity); then the NMI between themes and each document's
closest issue (no issue: one "outlier" label; the documents of `other` count too).

    .venv/bin/cx-nlp run --start 2026-10-19 --end 2026-11-16     # or `make run`
    .venv/bin/python data/sample/planted_themes.py                # --warehouse URL, --json

The ids are those `make_samples.py` and `make_surveys.py` write: a warehouse loaded from edited
sample files would need the generators run again first.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_samples  # noqa: E402
import make_surveys  # noqa: E402

OTHER = "other"
OUTLIER = "(no issue)"


def planted_themes() -> dict[str, str]:
    """Each sample record's external id -> the theme it was written for (ids missing from a row are left out)."""
    rng = random.Random(make_samples.SEED)  # the generators draw in this order from one generator
    reviews = make_samples.build_reviews(rng)
    tickets = make_samples.build_tickets(rng)
    complaints = make_samples.build_complaints(rng)
    themes = {row["review_id"]: row["_rec"]["theme"] for row in reviews}
    themes.update({item["row"].get("ticket_id", ""): item["_rec"]["theme"] for item in tickets})
    themes.update({item["row"]["Complaint ID"]: item["_rec"]["theme"] for item in complaints})
    surveys = make_surveys.build(random.Random(make_surveys.SEED))
    themes.update({rid: theme for rid, theme in zip(surveys["response_id"], surveys["_theme"]) if isinstance(rid, str)})
    themes.pop("", None)
    return themes


def recovery(themes: dict[str, str], memberships: list[tuple[str, str, float]], documents: list[str]) -> dict:
    """Per-theme recall and purity of the best issue, and NMI of themes against closest issues.

    `memberships` are (external id, issue id, similarity) rows; `documents` every feedback's external id."""
    from sklearn.metrics import normalized_mutual_info_score

    members: dict[str, set[str]] = defaultdict(set)
    closest: dict[str, tuple[float, str]] = {}
    for external_id, issue_id, similarity in memberships:
        members[issue_id].add(external_id)
        if external_id not in closest or similarity > closest[external_id][0]:
            closest[external_id] = (similarity, issue_id)
    known = [doc for doc in documents if doc in themes]
    sizes = Counter(themes[doc] for doc in known)
    rows = []
    for theme in make_samples.THEMES:
        if theme == OTHER or not sizes[theme]:
            continue
        held = {issue: sum(themes.get(doc) == theme for doc in docs) for issue, docs in members.items()}
        best = max(held, key=lambda issue: (held[issue], issue), default=None)
        found = held.get(best, 0)
        rows.append(
            {
                "theme": theme,
                "documents": sizes[theme],
                "issue": best if found else None,
                "recall": round(found / sizes[theme], 3),
                "purity": round(found / len(members[best]), 3) if found else 0.0,
            }
        )
    gold = [themes[doc] for doc in known]
    found_labels = [closest[doc][1] if doc in closest else OUTLIER for doc in known]
    return {
        "documents": len(known),
        "issues": len(members),
        "nmi": round(float(normalized_mutual_info_score(gold, found_labels)), 3),
        "themes": rows,
    }


def read_warehouse(engine) -> tuple[list[tuple[str, str, float]], list[str], dict[str, str]]:
    """(external id, issue id, similarity) of every membership, every feedback's external id, issue labels."""
    from sqlalchemy import text

    with engine.connect() as connection:
        memberships = [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT f.external_id, m.issue_id, m.similarity FROM issue_member m "
                    "JOIN feedback f ON f.feedback_id = m.feedback_id"
                )
            )
        ]
        documents = list(connection.execute(text("SELECT external_id FROM feedback")).scalars())
        labels = dict(connection.execute(text("SELECT issue_id, label FROM issue")).all())
    return memberships, documents, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", default=f"sqlite:///{HERE.parent.parent / 'warehouse' / 'cx.db'}")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args()
    from sqlalchemy import create_engine

    engine = create_engine(args.warehouse)
    memberships, documents, labels = read_warehouse(engine)
    engine.dispose()
    figures = recovery(planted_themes(), memberships, documents)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{figures['documents']} sample documents, {figures['issues']} issues, NMI {figures['nmi']:.3f}")
    print(f"{'planted problem':<18} {'docs':>5} {'recall':>7} {'purity':>7}  best issue")
    for row in figures["themes"]:
        label = labels.get(row["issue"], "-") if row["issue"] else "-"
        print(f"{row['theme']:<18} {row['documents']:>5} {row['recall']:>7.2f} {row['purity']:>7.2f}  {label}")


if __name__ == "__main__":
    main()
