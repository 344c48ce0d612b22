"""Folds of an evaluation set split by decision, so that tuning never sees the held-out items' decisions.

Several items come from one court decision (its numbered issues share facts and cited articles); a fold is
therefore a set of whole decisions. The assignment hashes the decision id, so it is the same on every run,
on every machine, and for an item whatever file it sits in.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


def decision_of(item_id: str) -> str:
    """`2018다301527-3` -> `2018다301527`: the case number an eval item's issue belongs to."""
    head, sep, tail = item_id.rpartition("-")
    return head if sep and tail.isdigit() else item_id


def fold_of(decision: str, k: int) -> int:
    digest = hashlib.sha256(decision.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % k


def split_folds(ids: Sequence[str], k: int = 5) -> list[list[int]]:
    """Item positions per fold (k lists); all items of one decision land in the same fold."""
    if k < 2:
        raise ValueError("need at least 2 folds / 폴드는 2개 이상이어야 합니다")
    folds: list[list[int]] = [[] for _ in range(k)]
    for i, item_id in enumerate(ids):
        folds[fold_of(decision_of(item_id), k)].append(i)
    return folds


@dataclass
class CrossValidated:
    """Held-out scores of a choice made on the other folds: one choice and one score per fold."""

    chosen: list[str]  # the option chosen on the training folds of each fold
    fold_scores: list[float]  # the chosen option's mean metric on the held-out fold
    held_out: list[float]  # per-item metric of the chosen option, every item scored once (held out)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.fold_scores)

    @property
    def spread(self) -> float:
        return statistics.pstdev(self.fold_scores) if len(self.fold_scores) > 1 else 0.0


def cross_validate(per_item: Mapping[str, Sequence[float]], folds: Sequence[Sequence[int]],
                   prefer: Callable[[str], float] | None = None) -> CrossValidated:
    """Choose, for each fold, the option with the best mean over the OTHER folds; score it on that fold.

    `per_item[option]` holds the metric of every item under that option. Ties go to the option that
    `prefer` ranks highest (e.g. the simplest), then to the first listed.
    """
    options = list(per_item)
    n = len(next(iter(per_item.values())))
    held_out = [0.0] * n
    chosen: list[str] = []
    fold_scores: list[float] = []
    for f, test in enumerate(folds):
        train = [i for g, fold in enumerate(folds) if g != f for i in fold]
        if not test or not train:
            continue

        def train_mean(opt: str, train: list[int] = train) -> float:
            return statistics.fmean(per_item[opt][i] for i in train)

        best = max(options, key=lambda o: (round(train_mean(o), 9), prefer(o) if prefer else 0.0,
                                           -options.index(o)))
        chosen.append(best)
        fold_scores.append(statistics.fmean(per_item[best][i] for i in test))
        for i in test:
            held_out[i] = per_item[best][i]
    return CrossValidated(chosen, fold_scores, held_out)
