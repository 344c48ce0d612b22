"""Decisions in the ingest job: same build, manifest checksums, bad files skipped, updates, exclusion."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from precedent_fixtures import copy_sample, make_statute_corpus

from ingest.build import IngestOptions, build_index
from legal_rag.articles import ArticleNumber
from legal_rag.index_format import PRECEDENTS_DIR, IndexIntegrityError, read_json, resolve_index, verify_index
from legal_rag.precedents.search import PrecedentIndex
from legal_rag.store import ArticleStore

KR = "민사/대법원/대법원_2001-05-08_99다38699.md"


@pytest.fixture()
def setup(tmp_path: Path, law_dir: Path, request: pytest.FixtureRequest) -> tuple[Path, Path, Path]:
    corpus = make_statute_corpus(law_dir, tmp_path / "kr")
    prec = copy_sample(tmp_path / "precedents")
    pytest_cache = getattr(request.config, "cache", None)  # absent with -p no:cacheprovider
    cache = pytest_cache.mkdir("legal-rag-precedent-ingest") if pytest_cache else tmp_path / "cache"
    return corpus, prec, cache


def _opts(corpus: Path, prec: Path, out: Path, cache: Path, **kw) -> IngestOptions:  # type: ignore[no-untyped-def]
    return IngestOptions(corpus=[corpus], out=out, embedder="none", progress=False, precedents=[prec],
                         cache_dir=cache, **kw)


def test_decisions_are_built_into_the_checksummed_index(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus, prec, cache = setup
    out = tmp_path / "index" / "default"
    summary = build_index(_opts(corpus, prec, out, cache))
    assert summary.precedents["decisions"] == 55 and summary.precedents["issues"] == 126
    manifest = verify_index(out)
    assert {f"{PRECEDENTS_DIR}/decisions.sqlite", f"{PRECEDENTS_DIR}/bm25_counts.npz",
            f"{PRECEDENTS_DIR}/bm25_vocab.json", f"{PRECEDENTS_DIR}/files.json"} <= set(manifest.checksums)
    assert manifest.options["precedents"]["decisions"] == 55
    index = PrecedentIndex.open(resolve_index(out))
    assert index is not None and len(index) == 55
    # tampering with the decision store fails verification like any statute artifact
    store = resolve_index(out) / PRECEDENTS_DIR / "decisions.sqlite"
    store.chmod(0o644)
    con = sqlite3.connect(store)
    con.execute("UPDATE decisions SET court='가짜법원'")
    con.commit()
    con.close()
    with pytest.raises(IndexIntegrityError):
        verify_index(out)


def test_bad_files_are_reported_and_the_rest_ingested(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus, prec, cache = setup
    bad = prec / "민사" / "대법원"
    (bad / "no_front.md").write_text("# 제목\n\n## 판시사항\n\n[1] 무엇\n", encoding="utf-8")
    header = ("---\n판례일련번호: '1'\n사건번호: {n}\n사건명: 시험\n법원명: 대법원\n법원등급: 대법원\n사건종류: 민사\n"
              "선고일자: 2020-01-01\n---\n")
    (bad / "no_sections.md").write_text(header.format(n="2019다1") + "# 시험\n\n본문\n", encoding="utf-8")
    (bad / "bad_number.md").write_text(header.format(n="2019가1") + "## 판시사항\n\n무엇\n", encoding="utf-8")
    (bad / "bad_refs.md").write_text(header.format(n="2019다2") + "## 판시사항\n\n[1] 무엇\n\n## 참조조문\n\n[1] 조문 없음\n",
                                     encoding="utf-8")
    out = tmp_path / "index" / "default"
    summary = build_index(_opts(corpus, prec, out, cache))
    reasons = {Path(s["file"]).name: s["reason"] for s in summary.precedents["skipped"]}
    assert set(reasons) == {"no_front.md", "no_sections.md", "bad_number.md", "bad_refs.md"}
    assert "frontmatter" in reasons["no_front.md"] and "판시사항" in reasons["no_sections.md"]
    assert "사건번호" in reasons["bad_number.md"] and "참조조문" in reasons["bad_refs.md"]
    assert summary.precedents["decisions"] == 55
    table = {r["source"]: r for r in read_json(resolve_index(out) / PRECEDENTS_DIR / "files.json")}
    assert table["민사/대법원/bad_refs.md"]["status"] == "skipped" and table[KR]["status"] == "indexed"


def test_a_changed_decision_rebuilds_only_the_precedent_part(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus, prec, cache = setup
    out = tmp_path / "index" / "default"
    build_index(_opts(corpus, prec, out, cache))
    first = resolve_index(out)
    again = build_index(_opts(corpus, prec, out, cache))
    assert again.mode == "unchanged" and resolve_index(out) == first and again.precedents["decisions"] == 55
    path = prec / KR
    path.write_text(path.read_text(encoding="utf-8").replace("채권자대위권의 행사요건", "채권자대위권 행사의 요건"),
                    encoding="utf-8")
    updated = build_index(_opts(corpus, prec, out, cache))
    assert updated.mode == "precedents" and "changed" in updated.fallback_reason
    build = resolve_index(out)
    assert build != first
    verify_index(out)
    # statute artifacts are the previous build's files (hard links), not rebuilt
    assert (build / "articles.sqlite").stat().st_ino == (first / "articles.sqlite").stat().st_ino
    index = PrecedentIndex.open(build)
    assert index is not None
    assert index.search("채권자대위권 행사의 요건", 1)[0].decision.case_number == "99다38699"


def test_exclude_list_by_source_leaves_decisions_out(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus, prec, cache = setup
    items = tmp_path / "eval.jsonl"
    items.write_text(json.dumps({"id": "x", "source": KR, "query": "q", "gold": []}, ensure_ascii=False) + "\n",
                     encoding="utf-8")
    out = tmp_path / "index" / "default"
    summary = build_index(_opts(corpus, prec, out, cache, exclude_sources=items))
    assert summary.precedents["excluded"] == 1 and summary.precedents["decisions"] == 54
    index = PrecedentIndex.open(resolve_index(out))
    assert index is not None and index.find("99다38699") == []


def test_statute_update_rebuilds_the_precedent_part_against_the_new_store(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus, prec, cache = setup
    out = tmp_path / "index" / "default"
    build_index(_opts(corpus, prec, out, cache))
    # 민법 changes (a real edit of its text): the statutes are updated incrementally, the decisions re-resolved
    law = corpus / "민법" / "법률.md"
    text = law.read_text(encoding="utf-8")
    law.unlink()
    law.write_text(text.replace("고의 또는 과실로 인한 위법행위로", "고의 또는 과실로 인한 위법한 행위로", 1), encoding="utf-8")
    summary = build_index(_opts(corpus, prec, out, cache))
    assert summary.mode == "incremental" and summary.precedents["decisions"] == 55
    verify_index(out)
    index = PrecedentIndex.open(resolve_index(out))
    assert index is not None
    store = ArticleStore(resolve_index(out) / "articles.sqlite")
    mst = next(s.mst for s, _ in store.statutes() if s.title == "민법")
    article = store.find_article(mst, ArticleNumber(750))
    assert article is not None and "위법한 행위로" in article.text
    [c] = index.cited_by(article.law_id, 750, 0)
    assert c.case_number == "99다38699" and c.citation.doc_id == article.doc_id
