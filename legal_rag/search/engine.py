"""The query engine: one loaded index, its citation resolver and its hybrid retriever.

Routes and the CLI call these plain methods; nothing here knows about HTTP.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from legal_rag.articles import ArticleNumber, law_key
from legal_rag.citations import (
    LawCatalog,
    ResolvedCitation,
    find_law_mentions,
    normalize_article_forms,
    resolve_citations,
)
from legal_rag.precedents.service import precedent_article_scores
from legal_rag.search.bundle import IndexBundle
from legal_rag.search.fusion import evidence_rrf
from legal_rag.search.results import Citation, Hit, SearchResponse
from legal_rag.search.retriever import HybridRetriever, RetrievalConfig, ScoredArticle, config_from_env
from legal_rag.tokenizer import tokenize
from legal_rag.versions import today_kst

# Words that only frame a citation list ("… 참조 판단 해설 답변:") and carry no question of their own.
_FRAME_WORDS = {"참조", "판단", "해설", "답변", "설명", "내용", "관련", "조문", "규정", "근거", "법령", "알려", "주"}


def stem_mentions(query: str, stems: dict[str, str]) -> list[str]:
    """Titles whose stem (부가가치세 for 부가가치세법) begins a word of the query: `부가가치세 신고` and
    `부가가치세의` name 부가가치세법, while a stem inside a longer word (`보상계획` for 상계...) does not. Words
    may be written with or without the title's spaces (`상속세 및 증여세` / `상속세및증여세`)."""
    out: list[str] = []
    longest = max(map(len, stems), default=0)
    for m in re.finditer(r"(?<![가-힣A-Za-z0-9])[가-힣A-Za-z0-9]", query):
        squashed = law_key(query[m.start():m.start() + 2 * longest])
        # Longest stem first at each word: 상속세및증여세 before a shorter stem it starts with.
        for n in range(min(longest, len(squashed)), 2, -1):
            title = stems.get(squashed[:n])
            if title is not None:
                if title not in out:
                    out.append(title)
                break
    return out


class UnknownLawError(LookupError):
    def __init__(self, law: str, suggestions: list[str]) -> None:
        super().__init__(law)
        self.law = law
        self.suggestions = suggestions


@dataclass
class EngineInfo:
    index_dir: str
    build_id: str
    corpus_snapshot: str
    articles: int
    chunks: int
    embedder: str
    dense_device: str


class Engine:
    """Load once, answer many: search, article lookup, law list."""

    def __init__(self, index_dir: Path, config: RetrievalConfig | None = None, verify: bool = True,
                 use_gpu: bool | None = None) -> None:
        self.bundle = IndexBundle(index_dir, verify=verify, use_gpu=use_gpu)
        self.retriever = HybridRetriever(self.bundle, config or config_from_env())
        self.catalog = LawCatalog.from_statutes(self.bundle.statute_rows)
        # "부가가치세" names 부가가치세법 the way people ask ("부가가치세 신고는 언제까지"): a title's stem without
        # the final 법, three syllables or more (so 민법/형법 are not matched by 민/형).
        self._law_stems = {
            law_key(t)[:-1]: t for t in self.catalog.titles() if t.endswith("법") and len(law_key(t)) >= 4
        }

    def close(self) -> None:
        self.bundle.close()

    def with_config(self, config: RetrievalConfig) -> Engine:
        """This engine with another retrieval configuration over the same loaded index (evaluation, tuning); the
        retriever stays of the same class (a study's subclass keeps its signal)."""
        other = copy.copy(self)
        other.retriever = type(self.retriever)(self.bundle, config)
        return other

    @property
    def manifest(self) -> Any:
        return self.bundle.manifest

    def info(self) -> EngineInfo:
        m = self.bundle.manifest
        dense = self.bundle.dense
        return EngineInfo(
            index_dir=str(self.bundle.directory), build_id=m.build_id, corpus_snapshot=m.corpus_snapshot,
            articles=m.articles, chunks=m.chunks, embedder=str(m.embedder.get("id")),
            dense_device=getattr(dense, "device", "none") if dense is not None else "none",
        )

    def as_langchain(self, top_k: int = 8, as_of: date | None = None, laws: Sequence[str] = ()) -> Any:
        """This engine as a LangChain BaseRetriever (Documents with the article as metadata)."""
        from legal_rag.search.langchain import StatuteRetriever

        return StatuteRetriever(engine=self, top_k=top_k, as_of=as_of, laws=list(laws))

    # ------------------------------------------------------------------------------------------ laws

    def resolve_law_filter(self, laws: Sequence[str]) -> list[str]:
        """Typed law names -> catalog titles; an unknown name raises UnknownLawError with suggestions."""
        out = []
        for name in laws:
            if not name.strip():
                continue
            title = self.catalog.match_title(name)
            if title is None:
                raise UnknownLawError(name, self.catalog.suggest(name))
            out.append(title)
        return out

    def laws(self, as_of: date | None = None) -> list[dict[str, Any]]:
        """One row per statute: the version that applies on `as_of`. `status` is that version's standing on the
        date (시행, 시행 예정 when only a later version is in the corpus, 폐지); `source_status` is the file's
        raw 상태, which legalize-kr writes as 시행 even for a version not yet in force."""
        chosen = self.retriever.versions(as_of or today_kst())
        rows = []
        for vc in chosen.values():
            st = vc.statute
            if vc.repeal_stub:
                continue
            status = "시행 예정" if vc.pending else (st.status or "시행")
            rows.append({
                "law": st.title, "law_id": st.law_id, "kind": st.kind,
                "effective": st.effective.isoformat() if st.effective else None,
                "pending": vc.pending, "status": status, "source_status": st.status, "note": vc.note,
                "url": st.source_url,
            })
        return sorted(rows, key=lambda r: (r["law"], r["law_id"]))

    def get_article(self, law: str, article: str, as_of: date | None = None) -> Hit | None:
        """One article of a statute in the version that applies on `as_of` (None when it does not exist)."""
        as_of = as_of or today_kst()
        title = self.catalog.match_title(law)
        if title is None:
            raise UnknownLawError(law, self.catalog.suggest(law))
        number = ArticleNumber.parse(article)
        chosen = self.retriever.versions(as_of)
        candidates = [vc for vc in chosen.values() if vc.statute.title == title]
        candidates.sort(key=lambda vc: vc.repeal_stub)
        for vc in candidates:
            found = self.bundle.store.find_article(vc.statute.mst, number)
            if found:
                return self.retriever.make_hit(found, 1.0, 1, chosen, "citation")
        return None

    # ------------------------------------------------------------------------------------------ search

    def _citation(self, rc: ResolvedCitation, hit: Hit | None) -> Citation:
        ref = rc.ref
        status: Literal["resolved", "not_found"] = "resolved" if rc.status == "found" else "not_found"
        return Citation(
            raw=ref.raw, law=ref.law, article=ref.article.label if ref.article else None, detail=ref.detail,
            status=status, doc_id=rc.doc_id, message=rc.message, suggestions=list(rc.suggestions), hit=hit,
        )

    @staticmethod
    def _only_citations(query: str, resolved: Sequence[ResolvedCitation]) -> bool:
        """True when the query is nothing but a list of citations framed by words like 참조/해설."""
        rest = query
        for rc in sorted(resolved, key=lambda r: -r.ref.start):
            rest = rest[: rc.ref.start] + " " + rest[rc.ref.end :]
        rest = re.sub(r"[「」『』,.:;·ㆍ및와과()\[\]\s]+", " ", rest)
        content = [t for t in tokenize(rest) if t.split("/")[0] not in _FRAME_WORDS and not t.endswith("/SN")]
        return len(content) <= 1

    def search(
        self, query: str, top_k: int = 10, as_of: date | None = None, laws: Sequence[str] = (),
        exclude_sources: Collection[str] = (),
    ) -> SearchResponse:
        """Explicit citations first (resolved before any similarity search), then fused retrieval (with the
        decisions' evidence when the index has decisions; `exclude_sources` leaves decisions out of it, so that
        an evaluation question taken from a decision does not find that decision)."""
        as_of = as_of or today_kst()
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        typed, query = query, normalize_article_forms(query, self.catalog)
        law_titles = self.resolve_law_filter(laws)
        default_law = law_titles[0] if len(law_titles) == 1 else None
        resolved = resolve_citations(query, self.catalog, self.bundle.store, as_of, default_law=default_law)
        chosen = self.retriever.versions(as_of)
        cited_ids = [rc.doc_id for rc in resolved if rc.status == "found" and rc.doc_id]
        cited_articles = self.bundle.store.articles(cited_ids)
        hits: list[Hit] = []
        citations: list[Citation] = []
        seen: set[str] = set()
        for rc in resolved:
            hit = None
            if rc.doc_id and rc.doc_id in cited_articles:
                hit = self.retriever.make_hit(cited_articles[rc.doc_id], 1.0, 0, chosen, "citation")
                if rc.doc_id not in seen:
                    seen.add(rc.doc_id)
                    hits.append(hit)
            citations.append(self._citation(rc, hit))
        timings["citations_ms"] = (time.perf_counter() - t0) * 1000
        if not (resolved and self._only_citations(query, resolved)):
            t1 = time.perf_counter()
            mentioned = self.mentioned_laws(query)
            wanted = top_k + len(seen)
            config = self.retriever.config
            pool = max(wanted, config.precedent_pool) if config.precedent_weight > 0 else wanted
            scored = self.retriever.retrieve_scored(query, pool, as_of, law_titles, mentioned)
            scored = self._with_precedents(query, scored, as_of, law_titles, exclude_sources)[:wanted]
            scored = self._expand_delegation(scored, as_of, top_k)
            for h in self.retriever.to_hits([s for s in scored if s.doc_id not in seen], as_of):
                if len(hits) >= top_k:
                    break
                seen.add(h.doc_id)
                hits.append(h)
            timings["retrieval_ms"] = (time.perf_counter() - t1) * 1000
        for rank, h in enumerate(hits, 1):
            h.rank = rank
        timings["total_ms"] = (time.perf_counter() - t0) * 1000
        return SearchResponse(query=typed, as_of=as_of.isoformat(), hits=hits[: max(top_k, len(cited_ids))],
                              citations=citations, timings_ms={k: round(v, 2) for k, v in timings.items()})

    def mentioned_laws(self, query: str) -> list[str]:
        """Statutes named in the query: full titles and abbreviations, or a title's stem (부가가치세)."""
        found = find_law_mentions(query, self.catalog)
        found += [t for t in stem_mentions(query, self._law_stems) if t not in found]
        return found

    def _with_precedents(self, query: str, scored: list[ScoredArticle], as_of: date, laws: Sequence[str],
                         exclude_sources: Collection[str]) -> list[ScoredArticle]:
        """The ranking fused with the articles that the decisions closest to the question cite (참조조문), in the
        versions that apply on `as_of`; articles only the decisions name join with source "precedent"."""
        config = self.retriever.config
        if config.precedent_weight <= 0:
            return scored
        evidence = precedent_article_scores(self, query, exclude_sources, config.precedent_full_score)
        if not evidence:
            return scored
        current = self.retriever.in_force(list(evidence), as_of, laws)
        votes: dict[str, float] = {}
        for doc_id, s in evidence.items():
            if doc_id in current:
                votes[current[doc_id]] = max(votes.get(current[doc_id], 0.0), s)
        fused = evidence_rrf([s.doc_id for s in scored], votes, config.precedent_weight, config.rrf_k)
        by_id = {s.doc_id: s for s in scored}
        out = []
        for doc_id in sorted(fused, key=lambda d: -fused[d]):
            sa = by_id.get(doc_id) or ScoredArticle(doc_id, 0.0, "precedent")
            sa.score = fused[doc_id]
            if doc_id in votes:
                sa.parts["precedent"] = votes[doc_id]
            out.append(sa)
        return out

    def _expand_delegation(self, scored: list[ScoredArticle], as_of: date, top_k: int) -> list[ScoredArticle]:
        """위임 expansion: a retrieved 시행령/시행규칙 article brings the 법 article it implements along."""
        if not self.retriever.config.delegation:
            return scored
        present = {s.doc_id for s in scored}
        out: list[ScoredArticle] = []
        head = scored[:top_k]
        articles = self.bundle.store.articles([s.doc_id for s in head])
        for s in scored:
            out.append(s)
            a = articles.get(s.doc_id)
            if a is None:
                continue
            for parent in self.retriever.parent_articles(a, as_of):
                if parent not in present:
                    present.add(parent)
                    out.append(ScoredArticle(parent, s.score * 0.99, "delegation"))
        return out
