"""Paired significance of a difference between two systems scored on the same items.

A two-sided paired randomization (permutation) test, the one Smucker, Allan & Carterette (CIKM 2007)
recommend for IR metrics and the default of ranx's `compare`: under the null hypothesis the two systems are
exchangeable on every item, so each item's pair of scores is swapped at random and the mean difference
recomputed. Seeded, so a report is reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def paired_randomization_test(a: Sequence[float], b: Sequence[float], trials: int = 10_000,
                              seed: int = 42) -> float:
    """p-value of mean(a) != mean(b) for paired per-item scores."""
    if len(a) != len(b):
        raise ValueError("paired scores must have the same length")
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if not diff.any():
        return 1.0
    observed = abs(diff.mean())
    rng = np.random.default_rng(seed)
    signs = rng.choice(np.array([-1.0, 1.0]), size=(trials, diff.size))
    permuted = np.abs((signs * diff).mean(axis=1))
    # +1 in numerator and denominator: the observed assignment is one of the permutations.
    return float((np.count_nonzero(permuted >= observed - 1e-12) + 1) / (trials + 1))
