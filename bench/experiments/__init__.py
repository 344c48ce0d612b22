"""Signals studied on held-out folds and not (yet) shipped, kept so that every row of docs/evaluation.md can be
re-run by command. Each module subclasses the retriever (or swaps the embedder) and runs `bench.tune` with its
own signals: `python -m bench.experiments.<name> --index … --dataset … --signals …`. Nothing here is imported
by the product.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_PER_INDEX: dict[tuple[int, str], Any] = {}


def per_index(bundle: Any, name: str, build: Callable[[], T]) -> T:
    """What a study derives from one loaded index, built once: the tuner makes a new retriever for every
    configuration it runs, so a cache on the retriever would be rebuilt each time."""
    key = (id(bundle), name)
    if key not in _PER_INDEX:
        _PER_INDEX[key] = build()
    return _PER_INDEX[key]  # type: ignore[no-any-return]
