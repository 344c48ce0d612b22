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


@pytest.fixture(scope="session")
def corpus_store(law_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """An article store of every shared-corpus file (no retrieval indexes), built once per test session."""
    from ingest.markdown_source import parse_markdown_file
    from legal_rag.store import ArticleStore, write_store

    reports = [parse_markdown_file(p) for p in sorted(law_dir.glob("*/*.md"))]
    assert len(reports) == 74
    assert not [r.error for r in reports if r.error]
    path = tmp_path_factory.mktemp("corpus_store") / "articles.sqlite"
    write_store(path, [(r.statute, r.articles) for r in reports if r.statute])
    store = ArticleStore(path)
    yield store
    store.close()


@pytest.fixture(scope="session")
def corpus_catalog(corpus_store):  # type: ignore[no-untyped-def]
    from legal_rag.citations import LawCatalog

    return LawCatalog.from_statutes(corpus_store.statutes())
