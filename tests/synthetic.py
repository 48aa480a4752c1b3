"""Synthetic sentence embeddings with a planted geometry, for issue-mining tests without a model.

`planted_embeddings` gives every document a unit vector in 384 dimensions (all-MiniLM-L6-v2's size)
built from orthogonal parts, so the cosines the miner compares are set by construction:

    x = a * P[problem] + b * S[problem, wording] + c * T[problem, template] + d * noise

- P[problem], the problem's own direction. Two problems' P share a common direction U:
  P = sqrt(rho) * U + sqrt(1 - rho) * V[problem], so P[0] . P[1] = rho.
- S[problem, wording], a direction shared by the templates a problem's customers word alike (the coupon
  texts say "coupon/discount code" in templates 0-1 and something else in 2-4). One wording per
  problem unless `wordings` says otherwise.
- T[problem, template], each template's own direction: texts from one template sit close together.
- noise, a random direction per document (nearly orthogonal to everything else in 384 dimensions),
  so that no two distances tie and one template's texts are close but not identical.

a^2 + b^2 + c^2 + d^2 = 1, so the rows are unit length before the final normalisation (which only
removes the noise's tiny overlaps). With the defaults (a^2 0.66, b^2 0.04, c^2 0.20, d^2 0.10,
rho 0.34) and the tests' corpus of two problems x 5 templates x 4 documents:

- a problem alone hangs together: the mean cosine of its documents to its centre is the length of
  their mean vector, sqrt(a^2 + b^2 + c^2/5 + d^2/20) = 0.86 for one wording (late deliveries), 0.85
  for the coupon problem's two (b^2 counts (0.4^2 + 0.6^2) times); both above the 0.75 `min_cohesion`
  of the recluster test (and the 0.6 default), as for all-MiniLM-L6-v2 (0.82 and 0.83).
- both problems together do not: their centres are only a^2 * rho / (0.86 * 0.85) = 0.31 alike (0.40
  on the model), so the 40 documents' mean cosine to their common centre is 0.69 (as on the model),
  below 0.75. The 0.31 is also below the 0.6 split bar and the 0.85 merge bar (a blur of both
  problems splits, the two are never merged), and a document's cosine to the other problem's centre
  (a^2 * rho / 0.85 = 0.27, at most 0.30) is below the 0.4 known-issue and outlier-pull-in bars.
- the coupon problem told two ways: the centres of wording 0-1 (8 documents, cohesion 0.90) and 2-4
  (12 documents, 0.88) share only a^2, cosine 0.66 / (0.90 * 0.88) = 0.83 (0.86 on the model): above
  a merge bar of 0.8 (below the default 0.85) and a 0.8 bar for merging two known issues (below the default 0.90), while each document is nearer its
  own wording's centre (its own template and wording directions count there) than the other's. b^2
  is kept small because it comes off that 0.83 (b^2 0.12, c^2 0.12 put it at 0.79).
- pairs of documents: of one template 0.90 alike (a^2 + b^2 + c^2), of one wording 0.70 (a^2 + b^2),
  of the coupon problem's two wordings 0.66 (a^2), of different problems 0.22 (a^2 * rho, at most
  0.29): density clustering (PCA to 10, HDBSCAN at a minimum cluster size of 5) finds the two
  problems, all their documents included, and no template (4 documents) is an issue of its own.

`tests/test_issues.py::test_the_synthetic_corpus_has_the_planted_geometry` holds these numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

DIMENSIONS = 384
# The planted templates of one problem: their centres sit about 0.76-0.77 apart ((a^2 + b^2) over a
# template's centre's length), below the miner's default merge bar (0.85), so a test that expects a
# problem found from several template clusters as one issue mines with this bar.
TEMPLATES_MERGE_SIMILARITY = 0.75


def planted_embeddings(
    problems: Sequence[int],
    templates: Sequence[int],
    wordings: Mapping[tuple[int, int], int] | None = None,
    *,
    a2: float = 0.66,
    b2: float = 0.04,
    c2: float = 0.20,
    rho: float = 0.34,
    seed: int = 0,
    dimensions: int = DIMENSIONS,
) -> np.ndarray:
    """One unit-length float32 row per document, from its problem and template (see the module docstring).

    `wordings` maps (problem, template) to a wording group; templates it does not name share wording 0.
    """
    problems, templates = np.asarray(problems), np.asarray(templates)
    wordings = wordings or {}
    d2 = 1.0 - a2 - b2 - c2
    if d2 < 0:
        raise ValueError("a2 + b2 + c2 must not exceed 1")
    rng = np.random.default_rng(seed)
    problem_ids = sorted(set(problems.tolist()))
    wording_ids = sorted({(p, wordings.get((p, t), 0)) for p, t in zip(problems.tolist(), templates.tolist())})
    template_ids = sorted(set(zip(problems.tolist(), templates.tolist())))
    # Exactly orthonormal directions for the planted parts: U, one V per problem, one S per wording, one T per template.
    count = 1 + len(problem_ids) + len(wording_ids) + len(template_ids)
    basis, _ = np.linalg.qr(rng.standard_normal((dimensions, count)))
    basis = basis.T
    shared, rest = basis[0], iter(basis[1:])
    own = {p: np.sqrt(rho) * shared + np.sqrt(1 - rho) * next(rest) for p in problem_ids}
    wording_direction = {w: next(rest) for w in wording_ids}
    template_direction = {t: next(rest) for t in template_ids}
    noise = rng.standard_normal((len(problems), dimensions))
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    rows = np.array(
        [
            np.sqrt(a2) * own[p]
            + np.sqrt(b2) * wording_direction[p, wordings.get((p, t), 0)]
            + np.sqrt(c2) * template_direction[p, t]
            + np.sqrt(d2) * noise[i]
            for i, (p, t) in enumerate(zip(problems.tolist(), templates.tolist()))
        ]
    )
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
