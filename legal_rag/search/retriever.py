"""Hybrid retrieval: kiwi-BM25 and dense (FAISS) fused, filtered by date and law.

`HybridRetriever.retrieve_scored` ranks articles for a query; the Engine adds explicit citations and 위임 links
and makes hits (`to_hits`); `Engine.as_langchain()` wraps the engine as a LangChain BaseRetriever.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import numpy as np

from legal_rag.articles import Article, ArticleNumber, Statute, law_key, split_doc_id
from legal_rag.citation_graph import log_prior
from legal_rag.citations import parent_law_title, parent_references, statute_text_catalog
from legal_rag.search.bundle import IndexBundle
from legal_rag.search.fusion import rrf
from legal_rag.search.results import Hit
from legal_rag.tokenizer import tokenize_query
from legal_rag.versions import VersionChoice, article_state, earlier_versions, select_versions, today_kst

# Scales of the log priors: a count at the scale gets (almost) the full weight. 민법 is cited by about a
# thousand statutes in the whole corpus; an article cited by 50 provisions is among the most central.
STATUTE_PRIOR_SCALE = 1000.0
ARTICLE_PRIOR_SCALE = 50.0


def article_url(statute: Statute, article: str) -> str:
    """law.go.kr deep link to one article (조문 anchor form used by the 국가법령정보센터)."""
    return f"https://www.law.go.kr/법령/{quote(statute.title.replace(' ', ''))}/{quote(article)}"


@dataclass
class RetrievalConfig:
    bm25_candidates: int = 200
    dense_candidates: int = 200
    rrf_k: int = 60
    bm25_weight: float = 1.0
    # The offline dense side costs recall on held-out folds of the whole corpus (-0.016 R@10, docs/evaluation.md):
    # off by default (no query encoding, no FAISS search); set it for an index built with a neural embedder.
    dense_weight: float = 0.0
    law_mention_boost: float = 1.5  # multiplies fused scores of articles of a law named in the query
    # Courts and practitioners cite 법률 first; delegated rules (시행령/시행규칙) rank a little lower unless named.
    subordinate_prior: float = 0.75
    delegation: bool = True  # follow 시행령 "법 제N조" links between retrieved articles
    # Statute-level evidence: statutes ranked as whole documents (BM25 over the sum of their chunks), and an
    # article's fused score gets `statute_weight` x the RRF weight of its statute's rank. 0 = off.
    statute_weight: float = 1.0  # chosen on the whole corpus by `legal-rag tune` (docs/evaluation.md)
    statute_b: float = 0.3  # length normalisation of statute documents (a long code is not buried)
    statute_candidates: int = 50
    # ... and the best `statute_expand` chunks of each of the top `statute_expand_statutes` statutes join the
    # BM25 candidates (0 = off), so the statute a question is about contributes articles on a large corpus.
    statute_expand: int = 0
    statute_expand_statutes: int = 5
    # Citation priors mined from the statutes (legal_rag/citation_graph.py): fused scores are multiplied by
    # (1 + w x log-scaled count) of the statute's distinct citing statutes / the article's citing articles.
    statute_prior: float = 4.0  # chosen with statute_weight; article_prior and statute_expand did not help
    article_prior: float = 0.0
    # Court decisions (an index built with --precedents): the articles the decisions closest to the question cite
    # in their 참조조문, fused with the ranking (fusion.evidence_rrf over the top `precedent_pool`). 0 = off.
    # Chosen on held-out folds of the whole corpus, each question's own decision excluded (docs/evaluation.md).
    precedent_weight: float = 1.0
    precedent_pool: int = 50
    # A best-matching issue must reach this BM25 score (issue index of the decisions) to vote at full strength;
    # weaker matches vote proportionally less (PrecedentIndex.article_scores). Chosen on the same folds; a scale
    # of the decisions' term statistics, so re-tune it (`legal-rag tune`) for a much larger decision collection.
    precedent_full_score: float = 20.0


def config_from_env(environ: Mapping[str, str] | None = None) -> RetrievalConfig:
    """The default configuration, with `LEGAL_RAG_DENSE_WEIGHT` (e.g. 0.25 for an index built with a neural
    embedder; the offline embedder's dense side is off by default) applied when set."""
    env = os.environ if environ is None else environ
    raw = env.get("LEGAL_RAG_DENSE_WEIGHT", "").strip()
    if not raw:
        return RetrievalConfig()
    try:
        weight = float(raw)
    except ValueError:
        raise ValueError(f"LEGAL_RAG_DENSE_WEIGHT must be a number, got {raw!r} / 숫자여야 합니다") from None
    if not 0.0 <= weight <= 10.0:
        raise ValueError(f"LEGAL_RAG_DENSE_WEIGHT must be between 0 and 10, got {weight} / 0~10 사이여야 합니다")
    return RetrievalConfig(dense_weight=weight)


@dataclass
class ScoredArticle:
    doc_id: str
    score: float
    source: str = "retrieval"
    parts: dict[str, float] = field(default_factory=dict)


class HybridRetriever:
    def __init__(self, bundle: IndexBundle, config: RetrievalConfig | None = None) -> None:
        self.bundle = bundle
        self.config = config or RetrievalConfig()
        self._lock = threading.Lock()
        self._catalog: Any = None

    # ------------------------------------------------------------------------------------------ versions

    @lru_cache(maxsize=64)  # noqa: B019 — the retriever lives as long as its index; dates repeat
    def versions(self, as_of: date) -> dict[str, VersionChoice]:
        return select_versions(self.bundle.statute_rows, as_of)

    @lru_cache(maxsize=64)  # noqa: B019
    def _mask(self, as_of: date, laws: tuple[str, ...]) -> np.ndarray:
        """Chunks of the statute versions that apply on `as_of` (and of the filtered laws), one bool each."""
        return self._statute_allowed(as_of, laws)[self.bundle.chunk_mst]

    # ------------------------------------------------------------------------------------------ scoring

    def _per_article(self, rows: np.ndarray, scores: np.ndarray) -> dict[str, float]:
        out: dict[str, float] = {}
        for r, s in zip(rows.tolist(), scores.tolist(), strict=True):
            d = self.bundle.chunk_doc_ids[r]
            if s > out.get(d, -np.inf):
                out[d] = s
        return out

    def bm25_scores(self, query: str, mask: np.ndarray, statutes: Sequence[str] = ()) -> dict[str, float]:
        """Best chunk score per article among the top chunks, plus (`statutes`: 법령MSTs) the best chunks of
        those statutes, so that a statute the question is about contributes articles even when other
        statutes' chunks fill the global top."""
        scores = np.where(mask, self.chunk_scores(query), 0.0)
        n = min(self.config.bm25_candidates, int((scores > 0).sum()))
        if n == 0:
            return {}
        rows = np.argpartition(-scores, n - 1)[:n]
        if statutes and self.config.statute_expand > 0:
            wanted = np.fromiter((self.bundle.mst_pos[m] for m in statutes), dtype=np.int32)
            inside = np.flatnonzero(np.isin(self.bundle.chunk_mst, wanted) & (scores > 0))
            m = min(self.config.statute_expand * len(statutes), inside.size)
            if m:
                extra = inside[np.argpartition(-scores[inside], m - 1)[:m]]
                rows = np.union1d(rows, extra)
        return self._per_article(rows, scores[rows])

    def chunk_scores(self, query: str) -> np.ndarray:
        """BM25 of every chunk for the query (the one place a query meets the chunk index)."""
        return self.bundle.bm25.score(tokenize_query(query))

    def statute_document_scores(self, query: str) -> np.ndarray:
        """BM25 of every statute version as one document (rows follow `bundle.mst_list`)."""
        return self.bundle.statute_bm25(self.config.statute_b).score(tokenize_query(query))

    def dense_scores(self, query: str, mask: np.ndarray, filtered: bool = False) -> dict[str, float]:
        """Best chunk score per article among the nearest chunks. `filtered` (a law filter is set): the search
        runs inside the allowed rows (FAISS IDSelector), since a few laws' chunks are rarely in a global top k;
        otherwise the global search is post-filtered by date (nearly every chunk is allowed)."""
        if self.bundle.dense is None or self.config.dense_weight <= 0:  # off: no query encoding, no FAISS search
            return {}
        vec = self.bundle.embedder.encode([query])
        if filtered:
            scores, rows = self.bundle.dense.search(vec, self.config.dense_candidates, rows_within=np.flatnonzero(mask))
            found = rows[0] >= 0
            return self._per_article(rows[0][found], scores[0][found])
        k = min(self.config.dense_candidates * 4, len(self.bundle.chunk_doc_ids))
        scores, rows = self.bundle.dense.search(vec, k)
        scores, rows = scores[0], rows[0]
        keep = (rows >= 0) & mask[np.clip(rows, 0, None)]
        rows, scores = rows[keep][: self.config.dense_candidates], scores[keep][: self.config.dense_candidates]
        return self._per_article(rows, scores)

    def fuse(self, bm25: dict[str, float], dense: dict[str, float]) -> dict[str, ScoredArticle]:
        c = self.config
        fused: dict[str, ScoredArticle] = {}
        for name, scores, weight in (("bm25", bm25, c.bm25_weight), ("dense", dense, c.dense_weight)):
            if weight <= 0:
                continue
            for d, v in rrf(scores, c.rrf_k).items():
                sa = fused.setdefault(d, ScoredArticle(d, 0.0))
                sa.score += weight * v
                sa.parts[name] = scores[d]
        return fused

    @lru_cache(maxsize=64)  # noqa: B019
    def _statute_allowed(self, as_of: date, laws: tuple[str, ...]) -> np.ndarray:
        """Statute versions (rows of mst_list) that apply on `as_of` (and pass the law filter)."""
        chosen = self.versions(as_of)
        wanted = {law_key(x) for x in laws}
        allowed = np.zeros(len(self.bundle.mst_list), dtype=bool)
        for i, mst in enumerate(self.bundle.mst_list):
            st = self.bundle.statutes[mst]
            vc = chosen.get(st.law_id)
            if vc is None or vc.statute.mst != mst or vc.repeal_stub:
                continue
            if wanted and st.key not in wanted:
                continue
            allowed[i] = True
        return allowed

    def in_force(self, doc_ids: Sequence[str], as_of: date, laws: Sequence[str] = ()) -> dict[str, str]:
        """doc_id -> the doc_id of the same article in the version of its statute that applies on `as_of` (and
        passes the law filter); articles that version lacks are left out. Decisions cite articles as they
        read when the index was built, which need not be the version a question is asked about."""
        allowed = self._statute_allowed(as_of, tuple(sorted(laws)))
        chosen = self.versions(as_of)
        out: dict[str, str] = {}
        for doc_id in doc_ids:
            mst, label = split_doc_id(doc_id)
            st = self.bundle.statutes.get(mst)
            vc = chosen.get(st.law_id) if st is not None else None
            if vc is None or not allowed[self.bundle.mst_pos[vc.statute.mst]]:
                continue
            if vc.statute.mst == mst:
                out[doc_id] = doc_id
                continue
            try:
                found = self.bundle.store.find_article(vc.statute.mst, ArticleNumber.parse(label))
            except ValueError:
                found = None
            if found is not None:
                out[doc_id] = found.doc_id
        return out

    def statute_scores(self, query: str, as_of: date, laws: tuple[str, ...] = ()) -> dict[str, float]:
        """RRF weights of the statute versions that best match the query as whole documents (mst -> weight)."""
        c = self.config
        scores = np.where(self._statute_allowed(as_of, laws), self.statute_document_scores(query), 0.0)
        n = min(c.statute_candidates, int((scores > 0).sum()))
        if n == 0:
            return {}
        rows = np.argpartition(-scores, n - 1)[:n]
        return rrf({self.bundle.mst_list[r]: float(scores[r]) for r in rows.tolist()}, c.rrf_k)

    # ------------------------------------------------------------------------------------------ API

    def retrieve_scored(
        self,
        query: str,
        top_k: int = 10,
        as_of: date | None = None,
        laws: Sequence[str] = (),
        mentioned_laws: Sequence[str] = (),
    ) -> list[ScoredArticle]:
        """Fused ranking. `mentioned_laws` (titles named in the query) boost their own articles."""
        as_of = as_of or today_kst()
        mask = self._mask(as_of, tuple(sorted(laws)))
        c = self.config
        statute_rrf = self.statute_scores(query, as_of, tuple(sorted(laws))) if c.statute_weight > 0 else {}
        top_statutes = sorted(statute_rrf, key=lambda m: -statute_rrf[m])[: c.statute_expand_statutes]
        fused = self.fuse(self.bm25_scores(query, mask, top_statutes), self.dense_scores(query, mask, bool(laws)))
        graph = self.bundle.citation_graph if (c.statute_prior > 0 or c.article_prior > 0) else None
        mentioned = {law_key(t) for t in mentioned_laws}
        for sa in fused.values():
            mst, label = split_doc_id(sa.doc_id)
            st = self.bundle.statutes[mst]
            if statute_rrf:
                sa.score += c.statute_weight * statute_rrf.get(mst, 0.0)
            if graph is not None and c.statute_prior > 0:
                sa.score *= 1.0 + c.statute_prior * log_prior(graph.statute_citers(st.key), STATUTE_PRIOR_SCALE)
            if graph is not None and c.article_prior > 0:
                cites = graph.article_citations(st.key, label) + graph.article_citations(st.key, label, internal=True)
                sa.score *= 1.0 + c.article_prior * log_prior(cites, ARTICLE_PRIOR_SCALE)
            if st.key in mentioned:
                sa.score *= c.law_mention_boost
            elif st.kind != "법률" and st.kind != "":
                sa.score *= c.subordinate_prior
        ranked = sorted(fused.values(), key=lambda s: -s.score)
        return ranked[:top_k]

    def to_hits(self, scored: Sequence[ScoredArticle], as_of: date) -> list[Hit]:
        articles = self.bundle.store.articles([s.doc_id for s in scored])
        chosen = self.versions(as_of)
        hits = []
        for rank, s in enumerate(scored, 1):
            a = articles.get(s.doc_id)
            if a is None:
                continue
            hits.append(self.make_hit(a, s.score, rank, chosen, s.source))
        return hits

    def make_hit(self, a: Article, score: float, rank: int, chosen: dict[str, VersionChoice], source: str) -> Hit:
        st = self.bundle.statutes[a.mst]
        vc = chosen.get(st.law_id)
        state = article_state(vc, a)  # the version's pending flag, refined by the article's own 시행일 (부칙)
        earlier = self._text_in_force(a, vc) if state.pending and state.effective else None
        if earlier is not None:
            # The amended text is not in force yet and the corpus holds the version before it: that text applies.
            shown = self.bundle.statutes[earlier.mst]
            when = shown.effective.isoformat() if shown.effective else "?"
            note = (f"{state.note} / 기준일 현재 시행 중인 종전 조문(시행 {when} 판)을 보여 줍니다 / showing the "
                    f"text in force on the date (version of {when})")
            return self._hit(earlier, shown, score, rank, source, False, note, state.effective)
        return self._hit(a, st, score, rank, source, state.pending, state.note, state.effective)

    def _text_in_force(self, a: Article, vc: VersionChoice | None) -> Article | None:
        """The same article in the newest earlier version of its statute, when the chosen version's own text of
        it is not in force yet (its 시행일 from the 부칙 lies after the as-of date); None when the corpus has none."""
        if vc is None or vc.pending or vc.statute.mst != a.mst:
            return None
        number = ArticleNumber.parse(a.number)
        for st in earlier_versions(self.bundle.statute_rows, vc):
            found = self.bundle.store.find_article(st.mst, number)
            if found is not None:
                return found
        return None

    @staticmethod
    def _hit(a: Article, st: Statute, score: float, rank: int, source: str, pending: bool, note: str,
             article_effective: str) -> Hit:
        return Hit(
            doc_id=a.doc_id, law=a.law_title, law_id=a.law_id, article=a.number, title=a.title, text=a.text,
            score=round(float(score), 6), rank=rank, url=article_url(st, a.number),
            effective=st.effective.isoformat() if st.effective else None, pending=pending,
            note=note, source=source,  # type: ignore[arg-type]
            chapter=" > ".join(a.chapter_path), deleted=a.deleted, article_effective=article_effective,
        )

    def parent_articles(self, article: Article, as_of: date) -> list[str]:
        """doc_ids of the parent law's articles that a 시행령/시행규칙 article cites (`법 제N조`; 위임 관계), as
        legal_rag.citations.parent_references reads them (not `같은 법`/`이 법` meaning another statute)."""
        parent = parent_law_title(article.law_title)
        if parent is None:
            return []
        with self._lock:
            if self._catalog is None:
                self._catalog = statute_text_catalog(self.bundle.statute_rows)  # article text: quoted names
        refs = [r for r in parent_references(article.text, article.law_title, self._catalog) if r.law == parent]
        if not refs:
            return []
        chosen = self.versions(as_of)
        parents = [vc.statute for vc in chosen.values() if vc.statute.title == parent and not vc.repeal_stub]
        out = []
        for st in parents:
            for ref in refs:
                found = self.bundle.store.find_article(st.mst, ref.article)
                if found:
                    out.append(found.doc_id)
        return out
