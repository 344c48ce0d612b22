"""The evaluation harness: metric values on hand-made rankings, dataset parsing, the LangChain baseline's
chunk -> article mapping on real statutes, and `legal-rag eval` end to end on a small real index."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest

from bench.baseline import (
    LangChainBM25Baseline,
    body_segments,
    chunk_articles,
    load_corpus,
    split_statute,
)
from bench.evaluation import (
    EvalItem,
    dedupe_ranking,
    evaluate,
    mrr_at,
    ndcg_at,
    parse_dataset,
    recall_at,
    score_ranking,
)
from bench.latency import percentiles
from legal_rag.cli import main as cli_main

A, B, C, D, E = (("민법", f"제{n}조") for n in (1, 2, 3, 4, 5))

# ---------------------------------------------------------------------------------------------- metrics


def test_metrics_exact_values_on_a_hand_made_ranking() -> None:
    ranked = [A, B, C, D]
    gold = [B, D, E]
    assert recall_at(ranked, gold, 1) == 0.0
    assert recall_at(ranked, gold, 2) == pytest.approx(1 / 3)
    assert recall_at(ranked, gold, 5) == pytest.approx(2 / 3)
    assert recall_at(ranked, gold, 20) == pytest.approx(2 / 3)  # a short ranking is not padded with hits
    assert mrr_at(ranked, gold, 10) == 0.5
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at(ranked, gold, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at(ranked, gold, 10) == pytest.approx(0.498189, abs=1e-6)


def test_metrics_perfect_missing_and_cut_off() -> None:
    assert score_ranking([A, B], [A, B]) == {"recall@1": 0.5, "recall@5": 1.0, "recall@10": 1.0, "recall@20": 1.0,
                                             "mrr@10": 1.0, "ndcg@10": pytest.approx(1.0)}
    assert score_ranking([], [A]) == {m: 0.0 for m in ("recall@1", "recall@5", "recall@10", "recall@20", "mrr@10",
                                                       "ndcg@10")}
    eleven = [("형법", f"제{n}조") for n in range(100, 110)] + [A]
    assert mrr_at(eleven, [A], 10) == 0.0  # rank 11 is outside MRR@10
    assert recall_at(eleven, [A], 10) == 0.0
    assert recall_at(eleven, [A], 20) == 1.0
    # ideal DCG stops at 10 gold articles even when there are more
    many_gold = [("형법", f"제{n}조") for n in range(1, 13)]
    assert ndcg_at(many_gold[:10], many_gold, 10) == pytest.approx(1.0)


def test_dedupe_counts_an_article_once_and_matches_titles_without_spaces() -> None:
    ranking = [("민법", "제54조"), ("민 법", "제 54 조"), ("상가건물 임대차보호법", "제10조의3"),
               ("민법", "부칙 <제471호>"), ("상가건물임대차보호법", "제10조의3"), ("민법", "제55조")]
    assert dedupe_ranking(ranking) == [("민법", "제54조"), ("상가건물임대차보호법", "제10조의3"), ("민법", "제55조")]
    ranked = dedupe_ranking(ranking)
    gold = dedupe_ranking([("상가건물 임대차보호법", "제10조의3")])
    assert mrr_at(ranked, gold) == 0.5
    # two pieces of 제54조 must not push 제55조 down to rank 3
    assert recall_at(ranked, dedupe_ranking([("민법", "제55조")]), 3) == 1.0


def test_latency_percentiles() -> None:
    p = percentiles([float(x) for x in range(1, 101)])
    assert p["n"] == 100 and p["p50"] == 50.5 and p["p95"] == 95.05 and p["p99"] == 99.01
    assert p["min"] == 1.0 and p["max"] == 100.0
    assert percentiles([]) == {"n": 0}


# ---------------------------------------------------------------------------------------------- dataset


def _line(id_: str, query: str, gold: list[dict[str, str]], category: str = "민사") -> str:
    return json.dumps({"id": id_, "category": category, "query": query, "gold": gold}, ensure_ascii=False)


def test_dataset_parsing_reports_malformed_lines_and_keeps_the_rest() -> None:
    lines = [
        _line("a-1", "취업규칙의 불이익 변경", [{"law": "근로기준법", "article": "제94조", "detail": "제1항"},
                                          {"law": "근로기준법", "article": "제94조", "detail": "제2항"},
                                          {"law": "근로기준법 시행령", "article": "제 6 조"}]),
        '{"id": "a-2", "query": "broken',  # 2: invalid JSON
        "",  # blank lines are not items and not problems
        _line("a-3", "gold 없음", []),  # 4: empty gold
        _line("a-4", "bad article", [{"law": "민법", "article": "제조"}]),  # 5
        _line("a-1", "duplicate id", [{"law": "민법", "article": "제1조"}]),  # 6
        json.dumps({"id": "a-5", "query": "분류 없음", "gold": [{"law": "민법", "article": "제839조의2"}]},
                   ensure_ascii=False),  # 7: no category
        "[1, 2]",  # 8
    ]
    items, problems = parse_dataset(lines)
    assert [i.id for i in items] == ["a-1", "a-5"]
    assert [p.line for p in problems] == [2, 4, 5, 6, 8]
    assert "JSON" in problems[0].message and "duplicate" in problems[3].message
    first = items[0]
    assert first.gold == [("근로기준법", "제94조"), ("근로기준법시행령", "제6조")]  # 제1항/제2항: one article
    assert first.gold_labels == ["근로기준법 제94조", "근로기준법 시행령 제6조"]
    assert first.line == 1 and first.category == "민사"
    assert items[1].category == "(none)" and items[1].gold == [("민법", "제839조의2")]


def test_shared_dev_set_parses_cleanly(dev_set: Path) -> None:
    from bench.evaluation import load_dataset

    items, problems = load_dataset(dev_set)
    assert problems == []
    assert len(items) == 60
    assert {i.category for i in items} == {"민사", "세무", "가사", "형사", "일반행정"}


# ---------------------------------------------------------------------------------------------- baseline mapping


def test_body_segments_and_chunk_mapping_on_a_hand_made_body() -> None:
    body = ("# 시험법\n\n## 제1장 총칙\n\n##### 제1조 (목적)\n\n목적 본문.\n\n##### 제2조의2 (정의)\n\n정의 본문.\n\n"
            "## 제2장 보칙\n\n##### 제3조 (벌칙)\n\n벌칙 본문.\n\n"
            "## 부칙\n\n부칙 <제1호,2020.1.1>\n\n제1조 (시행일) 공포한 날부터.\n")
    segs = body_segments(body)
    assert [s.label for s in segs] == [None, None, None, "제1조", "제2조의2", None, "제3조", None]
    p1, p2, p3 = body.index("목적 본문"), body.index("정의 본문"), body.index("## 제2장")
    assert chunk_articles(segs, p1, 5) == ["제1조"]  # inside an article: the heading before the chunk
    assert chunk_articles(segs, p1, p2 - p1 + 3) == ["제1조", "제2조의2"]  # spans a heading
    assert chunk_articles(segs, p3, 30) == ["제3조"]  # starts at a chapter heading
    assert chunk_articles(segs, body.index("부칙 <"), 20) == []  # 부칙 blocks are not articles
    assert chunk_articles(segs, 0, 5) == []


def test_minbeop_article_54_chunk_maps_to_article_54(law_dir: Path) -> None:
    path = law_dir / "민법" / "법률.md"
    docs = split_statute(path.read_text(encoding="utf-8"), str(path))
    assert all(d.metadata["law"] == "민법" for d in docs)
    assert all(len(d.page_content) <= 1000 for d in docs)
    with_heading = [d for d in docs if "##### 제54조 (설립등기 이외의 등기의 효력과 등기사항의 공고)" in d.page_content]
    assert with_heading and all("제54조" in d.metadata["articles"] for d in with_heading)
    # The chunk that holds 제54조's own text, and nothing from a neighbour, is 제54조 alone.
    body_54 = "설립등기 이외의 본절의 등기사항은 그 등기후가 아니면 제삼자에게 대항하지 못한다"
    assert any(body_54 in d.page_content and "제54조" in d.metadata["articles"] for d in docs)
    # 부칙 chunks (they quote 제1조, 제2조 of amending acts) belong to no article of 민법.
    last_main = max(i for i, d in enumerate(docs) if "##### 제1118조" in d.page_content)
    assert docs[-1].metadata["articles"] == [] and last_main < len(docs) - 1
    # A BM25Retriever over these chunks finds 제54조 for its own words, and the mapping names it.
    baseline = LangChainBM25Baseline("ws", load_corpus([path]), "whitespace")
    top = baseline.rank("설립등기 이외의 등기사항은 그 등기후가 아니면 제삼자에게 대항하지 못한다", top_k=10)
    assert ("민법", "제54조") in top


# ---------------------------------------------------------------------------------------------- end to end

E2E_LAWS = (("주택임대차보호법", "법률.md"), ("약관의규제에관한법률", "법률.md"), ("상가건물임대차보호법", "법률.md"))

E2E_ITEMS = [
    _line("t-1", "주택의 인도와 주민등록을 마친 임차인이 제삼자에 대하여 대항력을 취득하는 시기",
          [{"law": "주택임대차보호법", "article": "제3조", "detail": "제1항"}]),
    _line("t-2", "「약관의 규제에 관한 법률」 제6조 제1항에서 정한 신의성실의 원칙에 반하여 공정성을 잃은 "
                 "약관 조항의 의미",
          [{"law": "약관의 규제에 관한 법률", "article": "제6조", "detail": "제1항"}], "일반행정"),
    _line("t-3", "상가건물 임차인의 계약갱신요구권과 임대인이 갱신을 거절할 수 있는 사유",
          [{"law": "상가건물 임대차보호법", "article": "제10조"}]),
    "{not json",
    _line("t-4", "민법상 불법행위로 인한 손해배상", [{"law": "민법", "article": "제750조"}]),  # law not in the index
]


@pytest.fixture(scope="module")
def small_index(law_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ingest.build import IngestOptions, build_index

    root = tmp_path_factory.mktemp("eval-index")
    out = root / "index" / "default"
    build_index(IngestOptions(corpus=[law_dir / d / f for d, f in E2E_LAWS], out=out, embedder="none",
                              cache_dir=root / "cache", progress=False))
    return out


@pytest.fixture(scope="module")
def dataset_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("eval-data") / "small.jsonl"
    path.write_text("\n".join(E2E_ITEMS) + "\n", encoding="utf-8")
    return path


def test_eval_end_to_end_json(small_index: Path, dataset_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = cli_main(["eval", "--index", str(small_index), "--dataset", str(dataset_file), "--json",
                   "--as-of", "2026-06-01", "--ablations"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    doc = json.loads(captured.out)
    assert doc["schema_version"] == 1 and doc["n"] == 4 and doc["top_k"] == 20 and doc["as_of"] == "2026-06-01"
    assert doc["skipped_lines"] == [{"line": 4, "message": doc["skipped_lines"][0]["message"]}]
    assert "small.jsonl:4" in captured.err
    assert set(doc["systems"]) == {"ours", "langchain-bm25-whitespace", "langchain-bm25-kiwi"}
    for name, s in doc["systems"].items():
        assert s["n"] == 4, name
        for m in ("recall@1", "recall@5", "recall@10", "recall@20", "mrr@10", "ndcg@10"):
            assert 0.0 <= s[m] <= 1.0
        assert s["recall@1"] <= s["recall@5"] <= s["recall@10"] <= s["recall@20"]
    ours = doc["systems"]["ours"]
    assert doc["recall@10"] == ours["recall@10"] and doc["mrr@10"] == ours["mrr@10"]
    assert set(doc["per_category"]) == {"민사", "일반행정"} and doc["per_category"]["일반행정"]["n"] == 1
    # The explicit citation is resolved before any similarity search: rank 1.
    assert doc["per_category"]["일반행정"]["mrr@10"] == 1.0
    # 민법 is not in this index: that item is a miss for every system and its recall is 0.
    misses = {m["id"]: m for m in doc["misses"]}
    assert misses["t-4"]["missing"] == ["민법 제750조"]
    assert ours["recall@20"] <= 0.75
    assert set(doc["ratios"]) == {"ours/langchain-bm25-whitespace", "ours/langchain-bm25-kiwi"}
    abl = doc["ablations"]
    assert list(abl) == ["bm25-kiwi", "dense", "hybrid", "hybrid+citations", "bm25+citations", "+statute evidence",
                         "+citation priors", "+위임", "+dense", "neural"]
    assert abl["dense"]["available"] is False and "no dense vectors" in abl["dense"]["note"]
    assert abl["neural"]["available"] is False and "--neural-index" in abl["neural"]["note"]
    # Without dense vectors, hybrid is BM25 alone; Engine.search with delegation is what `ours` served.
    assert abl["hybrid"]["recall@10"] == abl["bm25-kiwi"]["recall@10"]
    assert abl["+위임"]["mrr@10"] == ours["mrr@10"]


def test_eval_text_report_and_determinism(small_index: Path, dataset_file: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from bench.evaluation import EngineSystem, load_dataset
    from legal_rag.search.engine import Engine

    rc = cli_main(["eval", "--index", str(small_index), "--dataset", str(dataset_file), "--no-baseline",
                   "--misses", "--as-of", "2026-06-01"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "| ours | 4 |" in out and "langchain" not in out
    assert "t-4 [민사]: missing 민법 제750조" in out
    items, _ = load_dataset(dataset_file)
    engine = Engine(small_index)
    try:
        runs = [evaluate(EngineSystem(engine), items, 20, date(2026, 6, 1)) for _ in range(2)]
    finally:
        engine.close()
    assert [r.ranking for r in runs[0].items] == [r.ranking for r in runs[1].items]
    assert runs[0].metrics == runs[1].metrics
    t3 = next(r for r in runs[0].items if r.id == "t-3")
    assert ("상가건물임대차보호법", "제10조") in t3.ranking


def test_eval_usage_errors(small_index: Path, dataset_file: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["eval", "--index", str(tmp_path / "nope"), "--dataset", str(dataset_file)]) == 3
    assert cli_main(["eval", "--index", str(small_index), "--dataset", str(tmp_path / "none.jsonl")]) == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n", encoding="utf-8")
    assert cli_main(["eval", "--index", str(small_index), "--dataset", str(bad)]) == 2
    assert cli_main(["eval", "--index", str(small_index), "--dataset", str(dataset_file), "--as-of", "2026-13-01"]) == 2
    assert cli_main(["eval", "--index", str(small_index), "--dataset", str(dataset_file),
                     "--exclude-sources", str(tmp_path / "no-such-list.txt")]) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl:1" in err and "YYYY-MM-DD" in err
    assert "no-such-list.txt" in err and "제외 목록을 읽을 수 없습니다" in err


def test_evaluate_counts_a_failing_query_as_zero() -> None:
    class Flaky:
        name = "flaky"
        description = "raises on one query"

        def rank(self, query: str, top_k: int, as_of: date) -> list[tuple[str, str]]:
            if "boom" in query:
                raise RuntimeError("boom")
            return [("민법", "제1조"), ("민법", "제2조")]

    items = [EvalItem("x", "ok", "c", [("민법", "제2조")], ["민법 제2조"], 1),
             EvalItem("y", "boom", "c", [("민법", "제2조")], ["민법 제2조"], 2)]
    rep = evaluate(Flaky(), items, 20, date(2026, 1, 1))
    assert rep.errors == 1 and rep.metrics["mrr@10"] == 0.25 and rep.metrics["recall@5"] == 0.5
    assert rep.items[1].error == "RuntimeError: boom" and rep.items[1].missing == ["민법 제2조"]


# ---------------------------------------------------------------------------------------------- benchmarks


def test_bench_ingest_measures_a_child_build(law_dir: Path) -> None:
    from bench.ingest_bench import bench_ingest

    res = bench_ingest([law_dir / "약관의규제에관한법률" / "법률.md"], embedder="none")
    cold = res["runs"]["cold"]
    assert res["files"] == 1 and res["source_bytes"] > 10_000 and res["index_bytes"] > 0
    assert cold["summary"]["articles"] >= 30 and cold["summary"]["statutes"] == 1
    assert cold["articles_per_s"] > 0 and cold["peak_rss_bytes"] > 10_000_000  # a Python process with kiwi loaded
    assert cold["wall_s"] >= cold["build_s"] > 0


def test_bench_retrieval_and_ask_on_the_small_index(small_index: Path, dataset_file: Path) -> None:
    from bench.cli import machine, markdown
    from bench.evaluation import load_dataset
    from bench.latency import bench_ask, bench_retrieval

    queries = [i.query for i in load_dataset(dataset_file)[0]]
    ret = bench_retrieval(small_index, queries, top_k=5, as_of=date(2026, 6, 1), synthetic=4, repeats=2)
    assert ret["dev"]["ours"]["n"] == 4 and ret["dev"]["baseline"]["n"] == 4
    assert ret["synthetic"]["ours"]["n"] == 8 and ret["synthetic"]["queries"] == 4
    assert set(ret["dev"]["ratio_ours_over_baseline"]) == {"p50", "p95", "p99"}
    assert ret["baseline"]["chunks"] > 0
    ask = bench_ask(small_index, queries[:2], top_k=3)
    assert "skipped" not in ask, ask
    assert ask["generator"] and ask["latency_ms"]["n"] == 2 and ask["failures"] == 0
    text = markdown({"schema_version": 1, "machine": machine(), "retrieval": ret, "ask": ask})
    assert "| dev | ours | 4 |" in text and "/api/ask" in text
