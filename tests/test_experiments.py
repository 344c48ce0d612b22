"""The experiment signals of bench/experiments (studied, not shipped) on the real test index: what each computes
is what its docstring says, and each runs end to end through the held-out tuner."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import numpy as np
import pytest

pytest_plugins = ("index_fixture",)

AS_OF = date(2026, 11, 30)


def test_title_share_favours_words_that_name_articles(engine) -> None:  # type: ignore[no-untyped-def]
    from bench.experiments.title_weighting import title_share

    share = title_share(engine.bundle)
    vocab = engine.bundle.bm25.vocab
    assert share.min() >= 0.0 and share.max() <= 1.0
    # 민법's 상계 articles are titled 상계의 요건, 상계의 방법 …; 지급 is in thousands of bodies and few titles.
    assert share[vocab["상계/NNP"]] > 2 * share[vocab["지급/NNG"]]


def test_title_weighting_changes_the_ranking_only_when_on(engine) -> None:  # type: ignore[no-untyped-def]
    from bench.experiments.title_weighting import TitleWeightingConfig, TitleWeightingRetriever

    q = "퇴직금 명목으로 지급한 금원의 부당이득반환채권을 자동채권으로 하여 상계할 수 있는지 여부"
    off = TitleWeightingRetriever(engine.bundle, TitleWeightingConfig(precedent_weight=0.0))
    on = TitleWeightingRetriever(engine.bundle, TitleWeightingConfig(precedent_weight=0.0, title_weighting=4.0))
    plain = engine.retriever.__class__(engine.bundle, engine.retriever.config)
    ids = lambda r: [s.doc_id for s in r.retrieve_scored(q, 20, AS_OF)]  # noqa: E731
    assert ids(off) == ids(plain)
    assert ids(on) != ids(off)


def test_statute_local_bm25_ranks_within_one_statute(engine) -> None:  # type: ignore[no-untyped-def]
    from bench.experiments.statute_local import StatuteLocalConfig, StatuteLocalRetriever

    r = StatuteLocalRetriever(engine.bundle, StatuteLocalConfig(statute_local=1.0))
    minbeop = next(m for m in r.versions(AS_OF).values() if m.statute.title == "민법").statute.mst
    vocab = engine.bundle.bm25.vocab
    cols = np.array([vocab["상계/NNP"]], dtype=np.int64)
    local = r.local_scores(minbeop, cols, np.ones(1, dtype=np.float32))
    assert local and all(d.startswith(f"{minbeop}:") for d in local)
    best = max(local, key=local.__getitem__)
    assert "상계" in engine.bundle.store.article(best).title
    ranked = [s.doc_id for s in r.retrieve_scored("상계의 요건과 방법", 10, AS_OF)]
    assert best in ranked


def test_citation_contexts_cut_the_citation_out(engine) -> None:  # type: ignore[no-untyped-def]
    from bench.experiments.context_embedder import citation_contexts
    from legal_rag.index_format import read_chunk_table

    directory = engine.bundle.directory
    doc_ids, _ = read_chunk_table(directory)
    con = sqlite3.connect(f"file:{directory / 'articles.sqlite'}?mode=ro", uri=True)
    try:
        contexts = citation_contexts(con, engine.bundle.statute_rows, AS_OF, set(doc_ids))
    finally:
        con.close()
    assert contexts
    health = {s.mst for s in engine.bundle.statutes.values() if s.title == "국민건강보험법"}
    cited = [d for d in contexts if d.split(":")[0] in health]
    assert cited, "the 시행령 cites its 법률: contexts of 국민건강보험법 articles expected"
    # The citation itself is cut out; a context keeps it only where the provision cites the article twice.
    pairs = [(d.split(":")[1], text) for d in cited for text in contexts[d]]
    kept = sum(f"{label}" in text for label, text in pairs)
    assert pairs and kept < 0.2 * len(pairs), (kept, len(pairs))


def test_context_embedder_trains_and_runs_through_the_tuner(
        service_index, dev_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    from bench.experiments.context_embedder import EMBEDDER, VECTORS, main

    out = tmp_path / "ctx"
    assert main(["train", "--index", str(service_index.index), "--out", str(out), "--title-pairs", "300",
                 "--context-pairs", "300", "--epochs", "1"]) == 0
    vectors = np.load(out / VECTORS)
    assert vectors.shape[1] > 0 and np.allclose(np.linalg.norm(vectors[np.abs(vectors).sum(1) > 0], axis=1), 1.0,
                                                atol=1e-4)
    assert (out / EMBEDDER).is_dir()
    rc = main(["--trained", str(out), "--index", str(service_index.index), "--dataset", str(dev_set),
               "--as-of", "2026-11-30", "--signals", "dense-weight", "--no-combined", "--folds", "3"])
    assert rc == 0
    report = capsys.readouterr().out
    assert "| dense-weight |" in report and "| base |" in report


def test_question_parts_split_two_questions_and_keep_law_names_whole(engine) -> None:  # type: ignore[no-untyped-def]
    from bench.experiments.question_parts import QuestionPartsConfig, QuestionPartsRetriever, question_parts

    two = ("재판상 자백의 의미 및 상대방의 주장에 단순히 침묵하는 것만으로 자백이 있다고 인정할 수 있는지 여부 / "
           "자백간주의 요건")
    assert question_parts(two, 3) == ["재판상 자백의 의미",
                                      "상대방의 주장에 단순히 침묵하는 것만으로 자백이 있다고 인정할 수 있는지 여부",
                                      "자백간주의 요건"]
    assert question_parts("상속세 및 증여세법에 따른 증여재산의 평가 방법", 3) == []
    q = "임대차 종료 시 임차인의 원상회복의무의 범위 및 임대인의 보증금 반환의무와 동시이행관계에 있는지 여부"
    assert len(question_parts(q, 3)) == 2
    whole = QuestionPartsRetriever(engine.bundle, QuestionPartsConfig())
    fused = QuestionPartsRetriever(engine.bundle, QuestionPartsConfig(question_parts=2.0))
    assert [s.doc_id for s in whole.retrieve_scored(q, 10, AS_OF)] != [s.doc_id for s in fused.retrieve_scored(q, 10, AS_OF)]


def test_proximity_boosts_only_articles_with_the_question_word_pairs(engine) -> None:  # type: ignore[no-untyped-def]
    from bench.experiments.proximity import ProximityConfig, ProximityRetriever, adjacent_pairs
    from legal_rag.tokenizer import tokenize

    pairs = adjacent_pairs(tokenize("퇴직금채권과 상계할 수 있는지 제492조"))
    assert ("퇴직금/NNG", "채권/NNG") in pairs and ("채권/NNG", "상계/NNP") in pairs
    assert not any(t.endswith("/CMP") or t == "제492조" for p in pairs for t in p)

    q = "이혼 후 재산분할청구권의 제척기간"
    before = {s.doc_id: s.score for s in ProximityRetriever(engine.bundle, ProximityConfig()).retrieve_scored(q, 50, AS_OF)}
    prox = ProximityRetriever(engine.bundle, ProximityConfig(proximity=1.0))
    after = {s.doc_id: s.score for s in prox.retrieve_scored(q, 50, AS_OF)}
    raised = [d for d in after if d in before and after[d] > before[d] + 1e-12]
    assert raised
    wanted = adjacent_pairs(tokenize(q))
    for d, got in zip(raised, prox._pairs_of(raised), strict=True):
        assert wanted & got, d


def test_legal_rag_tune_chooses_per_fold_and_reports_held_out_rows(
        service_index, dev_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    """The shipped tuner end to end (`legal-rag tune`): a fusion setting studied on 3 folds of dev."""
    import json

    from legal_rag.cli import main

    out = tmp_path / "rows.json"
    assert main(["tune", "--index", str(service_index.index), "--dataset", str(dev_set), "--as-of", "2026-11-30",
                 "--signals", "rrf-k", "--no-combined", "--folds", "3", "--json-out", str(out)]) == 0
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert [r["name"] for r in rows] == ["rrf-k"]
    row = rows[0]
    assert len(row["chosen"]) == 3 and len(row["fold_scores"]) == 3
    assert set(row["chosen"]) <= {"20", "40", "60", "100"}, row["chosen"]  # each fold's choice, a tried value
    assert 0.0 <= row["recall@10"] <= 1.0 and 0.0 <= row["p_recall"] <= 1.0
    assert "| rrf-k |" in capsys.readouterr().out
