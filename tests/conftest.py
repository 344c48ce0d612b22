"""Shared fixtures: where the statute corpus lives (never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    env = os.environ.get("LEGAL_RAG_SHARED")
    return Path(env) if env else REPO.parent / "shared"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    path = shared_dir() / "corpus" / "legalize-kr"
    if not path.is_dir():
        pytest.fail(f"statute corpus not found at {path}; set LEGAL_RAG_SHARED")
    return path


@pytest.fixture(scope="session")
def law_dir(corpus_dir: Path) -> Path:
    return corpus_dir / "kr"


@pytest.fixture(scope="session")
def dev_set() -> Path:
    return shared_dir() / "eval" / "dev.jsonl"
