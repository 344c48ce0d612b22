"""Where the precedent sample lives (../shared/corpus/precedent-kr-sample, never copied into the repo)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_dir


def sample_dir() -> Path:
    return shared_dir() / "corpus" / "precedent-kr-sample"


def sample_files() -> list[Path]:
    return sorted(p for p in sample_dir().rglob("*.md") if p.name != "README.md")


def sample(relative: str) -> Path:
    return sample_dir() / relative


# Statutes the sample decisions cite most (민법, 형법, 국세기본법, 지방세법 and their 시행령), enough to resolve
# their 참조조문 and small enough to build in seconds.
PRECEDENT_LAWS = {"민법": ("법률.md",), "형법": ("법률.md",), "국세기본법": ("법률.md",), "지방세법": ("법률.md", "시행령.md")}


def make_statute_corpus(shared_kr: Path, out: Path) -> Path:
    for law, names in PRECEDENT_LAWS.items():
        (out / law).mkdir(parents=True, exist_ok=True)
        for name in names:
            (out / law / name).symlink_to(shared_kr / law / name)
    return out


def copy_sample(dst: Path) -> Path:
    import shutil

    shutil.copytree(sample_dir(), dst)
    return dst


@pytest.fixture(scope="session")
def precedent_index(law_dir: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """An index of PRECEDENT_LAWS with all 55 sample decisions (BM25 only), built once per session."""
    from ingest.build import IngestOptions, build_index

    root = tmp_path_factory.mktemp("precedent-index")
    corpus = make_statute_corpus(law_dir, root / "kr")
    pytest_cache = getattr(request.config, "cache", None)  # absent with -p no:cacheprovider
    cache = pytest_cache.mkdir("legal-rag-precedent-ingest") if pytest_cache is not None else None
    out = root / "index" / "default"
    build_index(IngestOptions(corpus=[corpus], out=out, embedder="none", progress=False, precedents=[sample_dir()],
                              cache_dir=cache))
    return out


@pytest.fixture(scope="session")
def precedent_engine(precedent_index: Path) -> Iterator[Any]:
    from legal_rag.search.engine import Engine

    engine = Engine(precedent_index)
    yield engine
    engine.close()
