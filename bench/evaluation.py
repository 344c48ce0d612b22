"""`legal-rag eval`: article-level recall@k, MRR@10 and nDCG@10 of our retriever on a question set, side by side
with the stock LangChain BM25 baseline and, on request, an ablation of our retriever's parts.

Scoring (see ../shared/eval/README.md): a retrieved article matches a gold entry when law_key(title) and the
article label are equal. A ranking is first reduced to distinct articles in rank order (pieces of one
article, or two versions of one statute, count once), then:
  recall@k  share of the item's distinct gold articles among the first k articles;
  MRR@10    1 / rank of the first gold article within the first 10, else 0;
  nDCG@10   binary relevance, DCG = sum 1/log2(rank+1) over gold articles in the first 10, divided by the DCG
            of an ideal ranking (all gold articles first, at most 10 of them).
Each is averaged over items, overall and per `category`. Everything is deterministic for one index, dataset
and as-of date.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from legal_rag.articles import ArticleNumber, law_key, split_doc_id
from legal_rag.versions import today_kst

SCHEMA_VERSION = 1
RECALL_KS = (1, 5, 10, 20)
METRICS = tuple(f"recall@{k}" for k in RECALL_KS) + ("mrr@10", "ndcg@10")
HYBRID_DENSE_WEIGHT = 0.25  # the dense weight of the hybrid ablation rows when the engine's own weight is 0
MISS_K = 10  # an item "misses" a gold article that is not among its first 10 articles (the headline cut-off)
DEFAULT_DATASET = Path("../shared/eval/dev.jsonl")

ArticleKey = tuple[str, str]  # (law_key(title), "제N조" / "제N조의M")


# ---------------------------------------------------------------------------------------------- dataset


def article_key(law: str, article: str) -> ArticleKey:
    """Normalised match key; raises ValueError for an article label that is not 제N조(의M)."""
    return law_key(law), ArticleNumber.parse(article).label


@dataclass
class EvalItem:
    id: str
    query: str
    category: str
    gold: list[ArticleKey]  # distinct, in the order the dataset lists them
    gold_labels: list[str]  # "민법 제54조", for reports
    line: int
    date: str | None = None
    source: str | None = None  # the decision the item comes from (excluded from precedent signals)


@dataclass(frozen=True)
class DatasetProblem:
    line: int
    message: str


def parse_item(obj: Any, line: int) -> EvalItem:
    """One dataset object -> EvalItem; ValueError with a bilingual reason when it is not usable."""
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object / JSON 객체가 아닙니다")
    item_id = obj.get("id")
    query = obj.get("query")
    gold = obj.get("gold")
    if not isinstance(item_id, str) or not item_id.strip():
        raise ValueError("missing or empty 'id' / 'id'가 없습니다")
    if not isinstance(query, str) or not query.strip():
        raise ValueError("missing or empty 'query' / 'query'가 없습니다")
    if not isinstance(gold, list) or not gold:
        raise ValueError("'gold' must be a non-empty list / 'gold'는 비어 있지 않은 목록이어야 합니다")
    keys: dict[ArticleKey, str] = {}
    for g in gold:
        if not isinstance(g, dict) or not isinstance(g.get("law"), str) or not isinstance(g.get("article"), str):
            raise ValueError("each gold entry needs string 'law' and 'article' / gold 항목에 law, article이 필요합니다")
        if not law_key(g["law"]):
            raise ValueError("empty gold law title / gold 법령명이 비어 있습니다")
        try:
            key = article_key(g["law"], g["article"])
        except ValueError as exc:
            raise ValueError(f"bad gold article {g['article']!r} / 조문 번호 오류") from exc
        keys.setdefault(key, f"{g['law'].strip()} {key[1]}")  # 제1항 and 제2항 of one article: one gold article
    category = obj.get("category")
    return EvalItem(
        id=item_id.strip(), query=query, category=category.strip() if isinstance(category, str) and category.strip()
        else "(none)", gold=list(keys), gold_labels=list(keys.values()), line=line,
        date=obj.get("date") if isinstance(obj.get("date"), str) else None,
        source=obj.get("source") if isinstance(obj.get("source"), str) else None,
    )


def parse_dataset(lines: Iterable[str]) -> tuple[list[EvalItem], list[DatasetProblem]]:
    """JSON Lines -> items; malformed lines are returned as problems with their 1-based line numbers."""
    items: list[EvalItem] = []
    problems: list[DatasetProblem] = []
    seen: set[str] = set()
    for n, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text:
            continue
        try:
            obj = json.loads(text)
        except ValueError as exc:
            problems.append(DatasetProblem(n, f"invalid JSON / JSON 오류: {exc}"))
            continue
        try:
            item = parse_item(obj, n)
        except ValueError as exc:
            problems.append(DatasetProblem(n, str(exc)))
            continue
        if item.id in seen:
            problems.append(DatasetProblem(n, f"duplicate id {item.id!r} / 중복된 id"))
            continue
        seen.add(item.id)
        items.append(item)
    return items, problems


def load_dataset(path: Path) -> tuple[list[EvalItem], list[DatasetProblem]]:
    with path.open(encoding="utf-8-sig", errors="strict") as f:
        return parse_dataset(f)


# ---------------------------------------------------------------------------------------------- metrics


def dedupe_ranking(ranking: Iterable[tuple[str, str]]) -> list[ArticleKey]:
    """(law title, article label) pairs -> distinct article keys in rank order; unparseable labels dropped."""
    out: dict[ArticleKey, None] = {}
    for law, article in ranking:
        try:
            out.setdefault(article_key(law, article))
        except ValueError:
            continue
    return list(out)


def recall_at(ranked: Sequence[ArticleKey], gold: Sequence[ArticleKey], k: int) -> float:
    wanted = set(gold)
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranked[:k])) / len(wanted)


def mrr_at(ranked: Sequence[ArticleKey], gold: Sequence[ArticleKey], k: int = 10) -> float:
    wanted = set(gold)
    for i, key in enumerate(ranked[:k], 1):
        if key in wanted:
            return 1.0 / i
    return 0.0


def ndcg_at(ranked: Sequence[ArticleKey], gold: Sequence[ArticleKey], k: int = 10) -> float:
    wanted = set(gold)
    if not wanted:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 1) for i, key in enumerate(ranked[:k], 1) if key in wanted)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(wanted), k) + 1))
    return dcg / ideal


def score_ranking(ranked: Sequence[ArticleKey], gold: Sequence[ArticleKey]) -> dict[str, float]:
    out = {f"recall@{k}": recall_at(ranked, gold, k) for k in RECALL_KS}
    out["mrr@10"] = mrr_at(ranked, gold, 10)
    out["ndcg@10"] = ndcg_at(ranked, gold, 10)
    return out


def mean_metrics(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {m: 0.0 for m in METRICS}
    return {m: sum(r[m] for r in rows) / len(rows) for m in METRICS}


# ---------------------------------------------------------------------------------------------- systems


class System(Protocol):
    name: str
    description: str

    def rank(self, query: str, top_k: int, as_of: date) -> list[tuple[str, str]]:
        """(law title, article label) in rank order."""
        ...


class EngineSystem:
    """Engine.search: explicit citations first, then fused retrieval (what the product serves). On an index with
    decisions, each item's own decision (its `source`) and `exclude_sources` are left out of the precedent
    signal, so that no question finds the decision it was taken from."""

    def __init__(self, engine: Any, name: str = "ours", description: str = "Engine.search (hybrid + citations)",
                 exclude_sources: Collection[str] = ()) -> None:
        self.engine = engine
        self.name = name
        self.description = description
        self.exclude = frozenset(exclude_sources)

    def rank(self, query: str, top_k: int, as_of: date, exclude: Collection[str] = ()) -> list[tuple[str, str]]:
        hits = self.engine.search(query, top_k=top_k, as_of=as_of, exclude_sources=self.exclude | set(exclude)).hits
        return [(h.law, h.article) for h in hits]

    def rank_item(self, item: EvalItem, top_k: int, as_of: date) -> list[tuple[str, str]]:
        return self.rank(item.query, top_k, as_of, [item.source] if item.source else [])


def precedent_system(engine: Any, weight: float, exclude_sources: Collection[str] = ()) -> EngineSystem:
    """Engine.search with the decisions' 참조조문 at `weight` (the engine fuses them when its index has decisions;
    0 = statutes only), each item's own decision excluded as for "ours"."""
    from legal_rag.precedents.service import precedents_for

    if precedents_for(engine) is None:
        raise ValueError("this index has no decisions (ingest --precedents DIR) / 판례가 없는 색인입니다")
    config = replace(engine.retriever.config, precedent_weight=weight)
    return EngineSystem(engine.with_config(config), f"ours+precedents(w={weight:g})",
                        f"Engine.search with decisions' 참조조문 at weight {weight:g}; each item's own decision excluded",
                        exclude_sources)


class RetrieverSystem:
    """HybridRetriever.retrieve_scored alone: no citation resolver, no law-mention boost, no 위임 expansion."""

    def __init__(self, retriever: Any, name: str, description: str) -> None:
        self.retriever = retriever
        self.name = name
        self.description = description

    def rank(self, query: str, top_k: int, as_of: date) -> list[tuple[str, str]]:
        statutes = self.retriever.bundle.statutes
        out = []
        for s in self.retriever.retrieve_scored(query, top_k, as_of):
            mst, number = split_doc_id(s.doc_id)
            out.append((statutes[mst].title, number))
        return out


class BaselineSystem:
    """The LangChain baseline; it has no notion of dates (every file in the corpus is searched)."""

    def __init__(self, baseline: Any, description: str) -> None:
        self.baseline = baseline
        self.name = baseline.name
        self.description = description

    def rank(self, query: str, top_k: int, as_of: date) -> list[tuple[str, str]]:
        return self.baseline.rank(query, top_k)


@dataclass
class ItemResult:
    id: str
    category: str
    gold: list[str]
    ranking: list[ArticleKey]
    top: list[str]  # first articles as "민법 제54조"
    metrics: dict[str, float]
    missing: list[str]  # gold articles not among the first MISS_K
    error: str | None = None


@dataclass
class SystemReport:
    name: str
    description: str
    metrics: dict[str, float]
    per_category: dict[str, dict[str, float]]
    items: list[ItemResult] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0
    available: bool = True
    note: str = ""

    @property
    def n(self) -> int:
        return len(self.items)

    def to_json(self, with_items: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {"description": self.description, "available": self.available}
        if not self.available:
            d["note"] = self.note
            return d
        d.update({"n": self.n, **_rounded(self.metrics), "per_category": {c: _rounded(m) for c, m in
                                                                         self.per_category.items()},
                  "seconds": round(self.seconds, 3), "ms_per_query": round(1000 * self.seconds / max(self.n, 1), 2),
                  "errors": self.errors})
        if self.note:
            d["note"] = self.note
        if with_items:
            d["misses"] = misses_json(self)
        return d


def _rounded(m: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}


def _label(key: ArticleKey, names: dict[str, str]) -> str:
    return f"{names.get(key[0], key[0])} {key[1]}"


def evaluate(system: System, items: Sequence[EvalItem], top_k: int = 20, as_of: date | None = None,
             progress: Callable[[int], None] | None = None) -> SystemReport:
    """Rank every item's query with `system` and score it. A query that raises scores 0 and is counted."""
    as_of = as_of or today_kst()
    results: list[ItemResult] = []
    errors = 0
    t0 = time.perf_counter()
    for i, item in enumerate(items):
        error = None
        names: dict[str, str] = {}
        try:
            rank_item = getattr(system, "rank_item", None)  # a system that excludes the item's own decision
            raw = rank_item(item, top_k, as_of) if rank_item else system.rank(item.query, top_k, as_of)
            for law, _ in raw:
                names.setdefault(law_key(law), law)
            ranked = dedupe_ranking(raw)[:top_k]
        except Exception as exc:  # noqa: BLE001 — one failing query must not hide the other results
            errors += 1
            error = f"{type(exc).__name__}: {exc}"
            ranked = []
        metrics = score_ranking(ranked, item.gold)
        top = set(ranked[:MISS_K])
        missing = [lbl for key, lbl in zip(item.gold, item.gold_labels, strict=True) if key not in top]
        results.append(ItemResult(item.id, item.category, item.gold_labels, ranked,
                                  [_label(k, names) for k in ranked[:3]], metrics, missing, error))
        if progress:
            progress(i + 1)
    seconds = time.perf_counter() - t0
    by_cat: dict[str, list[dict[str, float]]] = {}
    for r in results:
        by_cat.setdefault(r.category, []).append(r.metrics)
    per_category = {c: {"n": len(rows), **mean_metrics(rows)} for c, rows in sorted(by_cat.items())}
    return SystemReport(system.name, system.description, mean_metrics([r.metrics for r in results]), per_category,
                        results, seconds, errors)


def unavailable(name: str, description: str, why: str) -> SystemReport:
    return SystemReport(name, description, {}, {}, available=False, note=why)


def misses_json(report: SystemReport) -> list[dict[str, Any]]:
    return [{"id": r.id, "category": r.category, "missing": r.missing, "top3": r.top,
             **({"error": r.error} if r.error else {})} for r in report.items if r.missing]


def ratios(ours: SystemReport, base: SystemReport) -> dict[str, float | None]:
    return {m: (round(ours.metrics[m] / base.metrics[m], 3) if base.metrics.get(m) else None) for m in METRICS}


# ---------------------------------------------------------------------------------------------- ablations


def ablation_reports(engine: Any, items: Sequence[EvalItem], top_k: int, as_of: date,
                     neural_index: Path | None, log: Callable[[str], None]) -> list[SystemReport]:
    """One loaded index, several RetrievalConfig variants; the engine's retriever is swapped and restored."""
    from legal_rag.search.retriever import HybridRetriever

    bundle = engine.bundle
    base = engine.retriever.config
    has_dense = bundle.dense is not None
    no_dense = "not available: this index has no dense vectors (built with --embedder none)"
    out: list[SystemReport] = []

    def run(system: System) -> None:
        log(f"ablation: {system.name}")
        out.append(evaluate(system, items, top_k, as_of))

    # The plain retrievers: no statute-level signals, whatever the engine's configuration enables.
    plain = replace(base, delegation=False, statute_weight=0.0, statute_expand=0, statute_prior=0.0,
                    article_prior=0.0)
    hybrid_dense = base.dense_weight if base.dense_weight > 0 else HYBRID_DENSE_WEIGHT
    run(RetrieverSystem(HybridRetriever(bundle, replace(plain, dense_weight=0.0)),
                        "bm25-kiwi", "BM25 over kiwi morphemes only"))
    if has_dense:
        run(RetrieverSystem(HybridRetriever(bundle, replace(plain, bm25_weight=0.0, dense_weight=1.0)),
                            "dense", f"dense only ({engine.manifest.embedder.get('id')})"))
    else:
        out.append(unavailable("dense", "dense only", no_dense))
    hybrid = RetrieverSystem(HybridRetriever(bundle, replace(plain, dense_weight=hybrid_dense)), "hybrid",
                             f"BM25 + dense, weighted RRF (dense weight {hybrid_dense}; no citation resolver)")
    run(hybrid)
    if not has_dense:
        out[-1].note = "no dense vectors in this index: the same ranking as BM25 only"
    original = engine.retriever
    try:
        with_signals = replace(base, dense_weight=0.0)
        variants = [
            ("hybrid+citations", "+ citation resolver and law-mention boost (Engine.search)",
             replace(plain, dense_weight=hybrid_dense)),
            ("bm25+citations", "Engine.search without the dense side and without statute signals",
             replace(plain, dense_weight=0.0)),
            ("+statute evidence", "+ statutes scored as whole documents (RRF-added to their articles)",
             replace(with_signals, delegation=False, statute_prior=0.0, article_prior=0.0)),
            ("+citation priors", "+ citation-graph priors of statutes and articles",
             replace(with_signals, delegation=False)),
            ("+위임", "+ 위임 expansion (시행령 -> 법 article)", replace(with_signals, delegation=True)),
            ("+dense", f"+ the dense side at weight {hybrid_dense}", replace(base, dense_weight=hybrid_dense)),
        ]
        for name, description, config in variants:
            engine.retriever = HybridRetriever(bundle, config)
            run(EngineSystem(engine, name, description))
    finally:
        engine.retriever = original
    if neural_index is None:
        out.append(unavailable("neural", "sentence-transformers embedder",
                               "not available: pass --neural-index DIR (an index built with a sentence-transformers "
                               "model, e.g. --embedder nlpai-lab/KURE-v1)"))
    else:
        try:
            from legal_rag.search.engine import Engine

            neural = Engine(neural_index)
        except Exception as exc:  # noqa: BLE001 — a missing model or a broken index is reported, not fatal
            out.append(unavailable("neural", "sentence-transformers embedder", f"not available: {exc}"))
        else:
            try:
                emb = neural.manifest.embedder.get("id")
                run(EngineSystem(neural, "neural", f"Engine.search on {neural_index} (embedder {emb})"))
            finally:
                neural.close()
    return out


# ---------------------------------------------------------------------------------------------- text output


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def metrics_table(reports: Sequence[SystemReport]) -> list[str]:
    lines = ["| system | n | " + " | ".join(METRICS) + " | ms/query |",
             "|---|---:|" + "---:|" * len(METRICS) + "---:|"]
    for r in reports:
        if not r.available:
            lines.append(f"| {r.name} | — | {r.note} |" + " |" * len(METRICS))
            continue
        cells = " | ".join(_fmt(r.metrics[m]) for m in METRICS)
        lines.append(f"| {r.name} | {r.n} | {cells} | {1000 * r.seconds / max(r.n, 1):.1f} |")
    return lines


def category_table(reports: Sequence[SystemReport]) -> list[str]:
    cats = sorted({c for r in reports if r.available for c in r.per_category})
    avail = [r for r in reports if r.available]
    head = "| category | n | " + " | ".join(f"{r.name} R@10 | {r.name} MRR@10" for r in avail) + " |"
    lines = [head, "|---|---:|" + "---:|---:|" * len(avail)]
    for c in cats:
        n = next(int(r.per_category[c]["n"]) for r in avail if c in r.per_category)
        cells = " | ".join(
            f"{_fmt(r.per_category.get(c, {}).get('recall@10'))} | {_fmt(r.per_category.get(c, {}).get('mrr@10'))}"
            for r in avail)
        lines.append(f"| {c} | {n} | {cells} |")
    return lines


# ---------------------------------------------------------------------------------------------- command


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, default=Path("index/default"), help="built index (default index/default)")
    p.add_argument("--dataset", type=Path, default=DEFAULT_DATASET,
                   help=f"JSON Lines question set with gold articles (default {DEFAULT_DATASET})")
    p.add_argument("--top-k", type=int, default=20, help="articles retrieved per question (default 20)")
    p.add_argument("--as-of", default=None, help="date the statutes are read at, YYYY-MM-DD (default today)")
    p.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True,
                   help="also score the stock LangChain BM25 baselines (default on)")
    p.add_argument("--ablations", action="store_true", help="score BM25 / dense / hybrid / +citations / +위임 variants")
    p.add_argument("--neural-index", type=Path, default=None,
                   help="an index built with a sentence-transformers embedder, for the ablation table")
    p.add_argument("--misses", action="store_true", help="list items whose gold articles are not in our top 10")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--no-verify", action="store_true", help="skip the index checksum verification (faster start)")
    p.add_argument("--precedent-weight", type=float, action="append", default=[],
                   help="also score Engine.search with the decisions' 참조조문 at this weight (repeatable; index built "
                        "with --precedents; the default weight is the engine's own); each item's own decision "
                        "(`source`) is always excluded")
    p.add_argument("--exclude-sources", type=Path, default=None,
                   help="decisions left out of the precedent signal for every item (one source per line, or JSONL)")


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _load_ours(index: Path, verify: bool, exclude_sources: Collection[str] = ()) -> tuple[Any, System, str | None]:
    """(engine or None, our system, warning). Without legal_rag.search.engine the bare hybrid retriever stands in, labelled."""
    try:
        from legal_rag.search.engine import Engine
    except ImportError as exc:
        from legal_rag.search.bundle import IndexBundle
        from legal_rag.search.retriever import HybridRetriever

        bundle = IndexBundle(index, verify=verify)
        warning = (f"legal_rag.search.engine unavailable ({exc}); 'ours' is HybridRetriever.retrieve_scored without the citation "
                   "resolver / 엔진을 불러올 수 없어 인용 해석 없이 평가했습니다")
        return None, RetrieverSystem(HybridRetriever(bundle), "ours", "HybridRetriever only (no Engine)"), warning
    engine = Engine(index, verify=verify)
    return engine, EngineSystem(engine, exclude_sources=exclude_sources), None


def run(args: argparse.Namespace) -> int:
    from legal_rag.index_format import IndexIntegrityError

    if args.top_k < 1 or args.top_k > 1000:
        _log("--top-k must be between 1 and 1000 / --top-k는 1~1000이어야 합니다")
        return 2
    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else today_kst()
    except ValueError:
        _log(f"bad --as-of {args.as_of!r}: use YYYY-MM-DD / 날짜 형식은 YYYY-MM-DD입니다")
        return 2
    try:
        items, problems = load_dataset(args.dataset)
    except (OSError, UnicodeDecodeError) as exc:
        _log(f"cannot read dataset {args.dataset}: {exc} / 평가 데이터를 읽을 수 없습니다")
        return 2
    for pr in problems:
        _log(f"{args.dataset}:{pr.line}: skipped: {pr.message}")
    if not items:
        _log(f"no usable items in {args.dataset} / 평가할 항목이 없습니다")
        return 2
    if not (args.index.exists() or args.index.is_symlink()):
        _log(f"index not found: {args.index}; build it with `legal-rag ingest` / 색인이 없습니다")
        return 3
    from ingest.options import IngestError

    try:
        exclude = _exclude_list(args)
    except IngestError as exc:  # an unreadable --exclude-sources file: a usage error, like an unreadable dataset
        _log(str(exc))
        return 2
    try:
        engine, ours_system, warning = _load_ours(args.index, verify=not args.no_verify, exclude_sources=exclude)
    except IndexIntegrityError as exc:
        _log(f"index failed verification: {exc}")
        return 3
    try:
        if warning:
            _log("warning: " + warning)
        _log(f"evaluating {len(items)} items from {args.dataset} on {args.index} (as of {as_of}, top {args.top_k})")
        # One query first so that loading kiwi's model is not charged to the first item's timing.
        ours_system.rank("민법 제1조", 1, as_of)
        ours = evaluate(ours_system, items, args.top_k, as_of)
        reports = [ours] + _precedent_reports(args, engine, items, as_of, exclude)
        reports += _baseline_reports(args, items, as_of) if args.baseline else []
        ablations = []
        if args.ablations:
            if engine is None:
                _log("ablations need legal_rag.search.engine / 절제 실험에는 엔진이 필요합니다")
            else:
                ablations = ablation_reports(engine, items, args.top_k, as_of, args.neural_index, _log)
    finally:
        if engine is not None:
            engine.close()
    _emit(args, items, problems, as_of, reports, ablations, warning)
    return 0


def _exclude_list(args: argparse.Namespace) -> list[str]:
    from ingest.precedent_source import read_exclude_list

    return sorted(read_exclude_list(getattr(args, "exclude_sources", None)))


def _precedent_reports(args: argparse.Namespace, engine: Any, items: Sequence[EvalItem],
                       as_of: date, exclude: Collection[str]) -> list[SystemReport]:
    if not getattr(args, "precedent_weight", None) or engine is None:
        return []
    out = []
    for w in args.precedent_weight:
        try:
            out.append(evaluate(precedent_system(engine, w, exclude), items, args.top_k, as_of))
        except ValueError as exc:  # an index without decisions
            out.append(unavailable(f"ours+precedents(w={w:g})", "Engine.search + decisions", str(exc)))
    return out


def _baseline_reports(args: argparse.Namespace, items: Sequence[EvalItem], as_of: date) -> list[SystemReport]:
    from bench.baseline import build_baselines, default_cache_dir, index_source_files

    try:
        files = index_source_files(args.index)
    except (OSError, ValueError) as exc:
        _log(f"baseline skipped: {exc}")
        return [unavailable(n, "LangChain BM25Retriever", f"not available: {exc}")
                for n in ("langchain-bm25-whitespace", "langchain-bm25-kiwi")]
    out = []
    descriptions = {
        "whitespace": "RecursiveCharacterTextSplitter(1000/200) + BM25Retriever, default whitespace split",
        "kiwi": "RecursiveCharacterTextSplitter(1000/200) + BM25Retriever, preprocess_func=kiwi tokenize",
    }
    for name, b in build_baselines(files, log=_log, cache_dir=default_cache_dir(args.index)).items():
        _log(f"evaluating {name}")
        out.append(evaluate(BaselineSystem(b, descriptions[b.preprocess]), items, args.top_k, as_of))
    return out


def _emit(args: argparse.Namespace, items: Sequence[EvalItem], problems: Sequence[DatasetProblem], as_of: date,
          reports: Sequence[SystemReport], ablations: Sequence[SystemReport], warning: str | None) -> None:
    ours = reports[0]
    baselines = [r for r in reports[1:] if r.available]
    ratio = {f"ours/{b.name}": ratios(ours, b) for b in baselines}
    if args.json:
        doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION, "dataset": str(args.dataset), "index": str(args.index),
            "as_of": as_of.isoformat(), "top_k": args.top_k, "n": ours.n, "system": ours.name,
            **_rounded(ours.metrics),
            "per_category": {c: _rounded(m) for c, m in ours.per_category.items()},
            "skipped_lines": [{"line": p.line, "message": p.message} for p in problems],
            "systems": {r.name: r.to_json() for r in reports},
            "ratios": ratio,
            "misses": misses_json(ours),
        }
        if ablations:
            doc["ablations"] = {r.name: r.to_json() for r in ablations}
        if warning:
            doc["warning"] = warning
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    out = [f"# Retrieval evaluation: {args.dataset} ({ours.n} items, {len(problems)} lines skipped)",
           f"index {args.index}, as of {as_of}, top {args.top_k}; recall@k beyond top-k uses the top-k only", ""]
    if warning:
        out += [f"WARNING: {warning}", ""]
    out += metrics_table(reports) + [""]
    for name, r in ratio.items():
        out.append(f"{name}: " + ", ".join(f"{m} ×{_fmt(v)}" for m, v in r.items()))
    out += ["", "## Per category (recall@10 / MRR@10)", ""] + category_table(reports)
    if ablations:
        out += ["", "## Ablations (one index, RetrievalConfig variants)", ""] + metrics_table(ablations)
        out += [f"- {r.name}: {r.description}" + (f" — {r.note}" if r.note and r.available else "")
                for r in ablations]
    if args.misses:
        misses = misses_json(ours)
        out += ["", f"## Misses of {ours.name} at top {MISS_K} ({len(misses)} items)", ""]
        for m in misses:
            out.append(f"- {m['id']} [{m['category']}]: missing {', '.join(m['missing'])}; "
                       f"top-3: {', '.join(m['top3']) or '(nothing)'}" + (f"; error {m['error']}" if 'error' in m
                                                                           else ""))
    print("\n".join(out))
