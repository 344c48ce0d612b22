"""Library queries over ingested decisions (no HTTP): search, cited-by, lookup by case number, and the
precedent signal for statute retrieval.

`PrecedentIndex` is loaded from the `precedents/` folder of a build (legal_rag.index_format.PRECEDENTS_DIR). Its
BM25 has one row per issue (판시사항 [n] + 판결요지 [n]), tokenised with the project's one tokenizer.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from legal_rag.bm25 import BM25Index
from legal_rag.precedents.case_numbers import CaseNumber, CaseNumberError, parse_case_number
from legal_rag.precedents.model import Issue
from legal_rag.precedents.store import DECISIONS_FILE, CitingIssue, DecisionRecord, DecisionStore
from legal_rag.tokenizer import tokenize_query


@dataclass(frozen=True)
class DecisionHit:
    """A decision found by search: its best-matching issue first."""

    rank: int
    score: float
    decision: DecisionRecord
    matched_issues: tuple[Issue, ...]


class UnknownCaseError(LookupError):
    """A well-formed case number that no ingested decision has; `suggestions` are close numbers that exist."""

    def __init__(self, case_number: str, suggestions: list[str]) -> None:
        super().__init__(case_number)
        self.case_number = case_number
        self.suggestions = suggestions


class PrecedentIndex:
    """Decisions of one build: the store, the issue-level BM25, and row -> (decision, issue)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.store = DecisionStore(directory / DECISIONS_FILE)
        self.bm25 = BM25Index.load(directory)
        owners = self.store.row_owner()
        self.row_decision = np.fromiter((d for d, _ in owners), dtype=np.int64, count=len(owners))
        self.row_issue = np.fromiter((n for _, n in owners), dtype=np.int64, count=len(owners))
        self.sources = self.store.sources()
        self._by_source = {s: i for i, s in self.sources.items()}
        self._case_keys: list[str] | None = None
        # decision id -> issue number -> cited current article doc_ids (for the retrieval signal)
        self._cites: dict[int, dict[int, list[str]]] = {}
        for did, issues, doc_id in self.store.cited_articles():
            per = self._cites.setdefault(did, {})
            for n in issues or (0,):
                per.setdefault(n, []).append(doc_id)

    @classmethod
    def open(cls, build: Path) -> PrecedentIndex | None:
        """The precedent part of a build, or None when the build has none."""
        from legal_rag.index_format import PRECEDENTS_DIR

        d = build / PRECEDENTS_DIR
        return cls(d) if (d / DECISIONS_FILE).is_file() else None

    def close(self) -> None:
        self.store.close()

    def __len__(self) -> int:
        return len(self.sources)

    # ------------------------------------------------------------------------------------------ search

    def _excluded_ids(self, exclude_sources: Collection[str]) -> set[int]:
        return {self._by_source[s] for s in exclude_sources if s in self._by_source}

    def issue_scores(self, query: str, exclude_sources: Collection[str] = ()) -> np.ndarray:
        """BM25 score of every issue row for the query; rows of excluded decisions score 0."""
        scores = self.bm25.score(tokenize_query(query))
        excluded = self._excluded_ids(exclude_sources)
        if excluded and len(scores):
            scores = scores.copy()
            scores[np.isin(self.row_decision, list(excluded))] = 0.0
        return scores

    def search(self, query: str, top_k: int = 10, exclude_sources: Collection[str] = ()) -> list[DecisionHit]:
        """Decisions ranked by their best issue (BM25 over 판시사항 + 판결요지)."""
        scores = self.issue_scores(query, exclude_sources)
        if not len(scores):
            return []
        order = np.argsort(-scores, kind="stable")
        best: dict[int, list[int]] = {}
        best_score: dict[int, float] = {}
        for row in order:
            s = float(scores[row])
            if s <= 0:
                break
            did = int(self.row_decision[row])
            if did not in best:
                if len(best) >= top_k:
                    continue
                best[did] = []
                best_score[did] = s
            best[did].append(int(self.row_issue[row]))
        hits = []
        for rank, (did, numbers) in enumerate(best.items(), 1):
            rec = self.store.decision(did)
            assert rec is not None
            by_number = {i.number: i for i in rec.issues}
            hits.append(DecisionHit(rank, round(best_score[did], 4), rec,
                                    tuple(by_number[n] for n in numbers if n in by_number)))
        return hits

    # ------------------------------------------------------------------------------------------ lookup

    def case_keys(self) -> list[str]:
        if self._case_keys is None:
            self._case_keys = self.store.case_keys()
        return self._case_keys

    def lookup(self, text: str) -> list[DecisionRecord]:
        """Decisions with this case number, typed in any common form. Raises CaseNumberError for a malformed
        number and UnknownCaseError (with suggestions) for a well-formed one no decision has."""
        number = parse_case_number(text)
        ids = self.store.ids_for_case(number.key)
        if not ids:
            raise UnknownCaseError(number.key, self.suggest(number))
        return [r for i in ids if (r := self.store.decision(i)) is not None]

    def suggest(self, number: CaseNumber, n: int = 5) -> list[str]:
        """Existing case numbers close to `number`: same code and year first, then same serial, then difflib."""
        keys = self.case_keys()
        out: list[str] = []
        same = []
        for k in keys:
            try:
                other = parse_case_number(k)
            except CaseNumberError:
                continue
            if other.code == number.code and other.year == number.year:
                same.append((abs(other.serial - number.serial), k))
            elif other.serial == number.serial:
                out.append(k)
        ordered = [k for _d, k in sorted(same)] + out
        for k in difflib.get_close_matches(number.key, keys, n=n, cutoff=0.6):
            ordered.append(k)
        return list(dict.fromkeys(ordered))[:n]

    def find(self, case_key: str) -> list[DecisionRecord]:
        """Decisions with this canonical case number (no parsing, no error)."""
        return [r for i in self.store.ids_for_case(case_key) if (r := self.store.decision(i)) is not None]

    # ------------------------------------------------------------------------------------------ cited by

    def cited_by(self, law_id: str, main: int, sub: int = 0, include_former: bool = False,
                 limit: int | None = None) -> list[CitingIssue]:
        """Decisions whose 참조조문 cite this article, newest first, with the citing issues."""
        found = self.store.citing(law_id, main, sub, include_former)
        return found[:limit] if limit is not None else found

    # ------------------------------------------------------------------------------------------ signal

    def article_scores(self, query: str, exclude_sources: Collection[str] = (), top_issues: int = 10,
                       full_score: float = 0.0) -> dict[str, float]:
        """Evidence for statute retrieval: the question's closest issues (BM25), each voting for the current
        articles its 참조조문 cite, weighted by the issue's score relative to the best. doc_id -> score in (0, 1].

        `full_score` > 0: a best issue scoring below it votes proportionally less (best / full_score), so that a
        question no decision is really about (a short practitioner question against a few decisions) does not get
        the nearest decision's articles at full strength."""
        scores = self.issue_scores(query, exclude_sources)
        if not len(scores) or float(scores.max()) <= 0:
            return {}
        top = np.argsort(-scores, kind="stable")[:top_issues]
        best = float(scores[top[0]])
        strength = min(1.0, best / full_score) if full_score > 0 else 1.0
        out: dict[str, float] = {}
        for row in top:
            s = float(scores[row])
            if s <= 0:
                break
            did, number = int(self.row_decision[row]), int(self.row_issue[row])
            cites = self._cites.get(did, {})
            for doc_id in cites.get(number, []) + cites.get(0, []):
                out[doc_id] = max(out.get(doc_id, 0.0), strength * s / best)
        return out
