"""Where the precedent sample lives (../shared/corpus/precedent-kr-sample, never copied into the repo)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import shared_dir


def sample_dir() -> Path:
    return shared_dir() / "corpus" / "precedent-kr-sample"


def sample_files() -> list[Path]:
    return sorted(p for p in sample_dir().rglob("*.md") if p.name != "README.md")


def sample(relative: str) -> Path:
    return sample_dir() / relative
