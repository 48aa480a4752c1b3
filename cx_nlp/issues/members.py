"""An issue's members as mining found them, held as references to the window's units.

An issue counts each feedback once, through its unit closest to the issue's centre, and remembers
every segment of the feedback it holds. Held as objects, a million-document window's 2.4 million
memberships would be two records each (an `IssueMember` and a copy of the feedback with its
segment's tone, `MiningUnit.as_member`), about 300 bytes a membership until the issues are written.
Here an issue keeps its units (references to the window's own records), the index of each
feedback's closest unit, its cosine and how it joined: 13 bytes a membership beside 8 a unit. The
records are made as they are read (`IssueMembers`, `MemberFeedback`), an issue at a time when the
issues are written (docs/benchmarks.md, "The issue stage at a million documents").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

import numpy as np

from cx_nlp.issues.records import IssueMember
from cx_nlp.issues.units import MiningUnit
from cx_nlp.records import MadeWhenRead, WindowDocument

# How a unit joined its issue (`IssueMember.method`), as the codes the members keep.
METHODS = ("known", "cluster", "nearest")
_METHOD_CODE = {name: code for code, name in enumerate(METHODS)}
T = TypeVar("T")


def closest_per_feedback(items: Iterable, feedback_id: Callable, similarity: Callable) -> list:
    """One item per feedback, the most similar one (the earlier on a tie), in the order the feedback
    first appears."""
    chosen: dict = {}
    for item in items:
        held = chosen.get(feedback_id(item))
        if held is None or similarity(item) > similarity(held):
            chosen[feedback_id(item)] = item
    return list(chosen.values())


class ClosestUnits:
    """The units a cluster holds, and for each of its feedback the unit closest to the centre: the
    first feedback first, the earlier unit on a tie."""

    def __init__(self, units: Sequence[MiningUnit], similarities: Sequence[float], methods: Sequence[str]):
        values = np.asarray(similarities, dtype=np.float64)
        cosines = values.tolist()
        chosen = closest_per_feedback(
            range(len(units)), feedback_id=lambda i: units[i].document.feedback_id, similarity=cosines.__getitem__
        )
        indices = np.array(chosen, dtype=np.int64)
        self.units = units if isinstance(units, list) else list(units)
        self.chosen = indices.astype(np.int32)
        self.similarities = values[indices]
        self.methods = np.array([_METHOD_CODE[methods[i]] for i in indices], dtype=np.uint8)

    def __len__(self) -> int:
        return len(self.chosen)

    def unit(self, index: int) -> MiningUnit:
        return self.units[self.chosen[index]]


class _MadeAsRead(MadeWhenRead[T]):
    """Records made from `ClosestUnits`, one per feedback, as each is read (`_item`)."""

    def __init__(self, closest: ClosestUnits):
        self.closest = closest

    def __len__(self) -> int:
        return len(self.closest)


class IssueMembers(_MadeAsRead[IssueMember]):
    """An issue's memberships, one per feedback, made from its `ClosestUnits` as they are read."""

    def __init__(self, issue_id: str, closest: ClosestUnits):
        super().__init__(closest)
        self.issue_id = issue_id

    def __iter__(self) -> Iterator[IssueMember]:
        held = self._held(None)  # every feedback's, in one pass over the units
        for index in range(len(self)):
            yield self._member(index, held)

    def _item(self, index: int) -> IssueMember:
        return self._member(index, self._held([self.closest.unit(index).document.feedback_id]))

    def _held(self, feedback_ids: Sequence[str] | None) -> dict[str, list[int]]:
        """The segment positions the issue holds, per feedback (of `feedback_ids`, or every one)."""
        held: dict[str, list[int]] = {}
        for unit in self.closest.units:
            if unit.position is not None and (feedback_ids is None or unit.document.feedback_id in feedback_ids):
                held.setdefault(unit.document.feedback_id, []).append(unit.position)
        return held

    def _member(self, index: int, held: dict[str, list[int]]) -> IssueMember:
        unit = self.closest.unit(index)
        feedback_id = unit.document.feedback_id
        return IssueMember(
            self.issue_id,
            feedback_id,
            round(float(self.closest.similarities[index]), 4),
            METHODS[self.closest.methods[index]],
            unit.position,
            tuple(sorted(held[feedback_id])) if unit.position is not None else None,
        )


class MemberFeedback(_MadeAsRead[WindowDocument]):
    """An issue's feedback as its figures count it, one per feedback with the tone of its closest unit
    (`MiningUnit.as_member`), made from its `ClosestUnits` as they are read."""

    def _item(self, index: int) -> WindowDocument:
        return self.closest.unit(index).as_member()
