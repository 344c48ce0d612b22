"""`legal-rag tune`: choose retrieval weights on some folds of the eval questions, report them on the others.

Every weight of `RetrievalConfig` that a signal adds is chosen by cross-validation over folds of whole
decisions (bench/folds.py): for each fold the value with the best mean objective on the OTHER folds is
scored on that fold, so every reported figure is held out. Each signal is reported as an ablation row
(the base configuration with that signal's weight chosen per fold) next to the base, with the k-fold mean,
its spread, and a paired randomization test (bench/significance.py) of held-out per-item scores against
the base. The final row selects all weights together, greedily, per fold, the same way.

Each configuration is run once over all items and its per-item scores cached, so selection per fold only
re-reads the cache.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

from bench.evaluation import EngineSystem, EvalItem, evaluate, load_dataset
from bench.folds import CrossValidated, cross_validate, split_folds
from bench.significance import paired_randomization_test
from legal_rag.search.retriever import HybridRetriever, RetrievalConfig
from legal_rag.versions import today_kst

OBJECTIVE = ("recall@10", "mrr@10")  # selection maximises their mean on the training folds


@dataclass(frozen=True)
class Signal:
    name: str
    description: str
    field: str
    values: tuple[Any, ...]  # tried values; the base value is always among the candidates


SIGNALS: tuple[Signal, ...] = (
    Signal("statute-evidence", "statutes scored as whole documents (BM25 over the sum of their chunks), RRF-added",
           "statute_weight", (0.0, 1.0, 2.0, 4.0)),
    Signal("statute-expand", "best chunks of the top statutes join the BM25 candidates", "statute_expand",
           (0, 10)),
    Signal("statute-prior", "distinct citing statutes (citation graph) as a multiplicative prior",
           "statute_prior", (0.0, 1.0, 2.0, 4.0)),
    Signal("article-prior", "citing provisions of the article (citation graph) as a multiplicative prior",
           "article_prior", (0.0, 0.25)),
    Signal("dense", "the offline dense side (RRF weight)", "dense_weight", (0.0, 0.25)),
    Signal("delegation", "위임 expansion (시행령 -> 법 article)", "delegation", (False, True)),
    Signal("subordinate-prior", "시행령/시행규칙 articles down-weighted unless named", "subordinate_prior",
           (0.75, 1.0)),
    Signal("precedents", "articles the closest decisions cite (참조조문), own decision excluded; index with decisions",
           "precedent_weight", (0.0, 0.5, 1.0, 1.5)),
    Signal("precedent-gate", "BM25 score a decision's issue needs to vote at full strength (0 = any best match)",
           "precedent_full_score", (0.0, 10.0, 20.0, 30.0)),
    Signal("law-mention-boost", "boost of articles of a statute the question names", "law_mention_boost",
           (1.5, 2.0)),
    # Hyper-parameters of the fusion itself, re-checked on held-out folds (docs/evaluation.md).
    Signal("rrf-k", "RRF's k (rank flattening) for every fused list", "rrf_k", (60, 20, 40, 100)),
    Signal("statute-b", "length normalisation of statute documents", "statute_b", (0.3, 0.1, 0.5)),
    Signal("statute-candidates", "statutes kept by statute evidence", "statute_candidates", (50, 20, 100)),
    Signal("bm25-candidates", "chunks kept from BM25 before fusion", "bm25_candidates", (200, 100, 400)),
    Signal("precedent-pool", "ranking depth the decisions' votes are fused over", "precedent_pool", (50, 20, 100)),
)


@dataclass(frozen=True)
class Experiment:
    """A signal studied before it earns a place in the engine (bench/experiments/): its retriever subclass, the
    config class with its fields, its signals, and a hook that may change the loaded engine (e.g. another
    embedder). `legal-rag tune` itself runs the shipped retriever."""

    retriever: type[HybridRetriever] = HybridRetriever
    config: type[RetrievalConfig] = RetrievalConfig
    signals: tuple[Signal, ...] = ()
    prepare: Callable[[Any], None] | None = None


def config_key(config: RetrievalConfig) -> str:
    return json.dumps(asdict(config), sort_keys=True)


class Runner:
    """Runs configurations of one loaded engine over the items, caching per-item scores by configuration."""

    def __init__(self, engine: Any, items: Sequence[EvalItem], as_of: date, top_k: int = 20,
                 log: Callable[[str], None] | None = None) -> None:
        self.engine = engine  # its retriever's class is the one every configuration runs with (Engine.with_config)
        self.items = list(items)
        self.as_of = as_of
        self.top_k = top_k
        self.log = log or (lambda _m: None)
        self._cache: dict[str, list[dict[str, float]]] = {}

    def scores(self, config: RetrievalConfig) -> list[dict[str, float]]:
        key = config_key(config)
        if key not in self._cache:
            engine = self.engine.with_config(config)
            report = evaluate(EngineSystem(engine), self.items, self.top_k, self.as_of)
            self._cache[key] = [r.metrics for r in report.items]
            self.log(f"  ran {describe(config)}: R@10 {statistics.fmean(m['recall@10'] for m in self._cache[key]):.3f}")
        return self._cache[key]

    def objective(self, config: RetrievalConfig) -> list[float]:
        return [statistics.fmean(m[k] for k in OBJECTIVE) for m in self.scores(config)]


def describe(config: RetrievalConfig, base: RetrievalConfig | None = None) -> str:
    base = base or type(config)()
    diff = [f"{f.name}={getattr(config, f.name)}" for f in fields(config)
            if getattr(config, f.name) != getattr(base, f.name)]
    return ", ".join(diff) or "(defaults)"


@dataclass
class Row:
    name: str
    description: str
    cv: CrossValidated
    per_item: dict[str, list[float]]  # held-out per-item metric, by metric name
    p_recall: float | None = None
    p_mrr: float | None = None


def _held_out(runner: Runner, chosen_by_fold: Sequence[RetrievalConfig],
              folds: Sequence[Sequence[int]]) -> dict[str, list[float]]:
    n = len(runner.items)
    out = {m: [0.0] * n for m in ("recall@10", "mrr@10", "recall@20", "ndcg@10")}
    for cfg, test in zip(chosen_by_fold, folds, strict=True):
        sc = runner.scores(cfg)
        for i in test:
            for m in out:
                out[m][i] = sc[i][m]
    return out


def study_signal(runner: Runner, base: RetrievalConfig, signal: Signal,
                 folds: Sequence[Sequence[int]]) -> tuple[Row, list[RetrievalConfig]]:
    """One signal's weight chosen per fold on the others (the base value always a candidate)."""
    values = list(dict.fromkeys((getattr(base, signal.field), *signal.values)))
    configs = {repr(v): replace(base, **{signal.field: v}) for v in values}
    per_item = {k: runner.objective(c) for k, c in configs.items()}
    base_value = repr(getattr(base, signal.field))
    cv = cross_validate(per_item, folds, prefer=lambda k: 1.0 if k == base_value else 0.0)
    chosen = [configs[k] for k in cv.chosen]
    return Row(signal.name, f"{signal.description} ({signal.field} ∈ {list(values)})", cv,
               _held_out(runner, chosen, folds)), chosen


def greedy_select(runner: Runner, base: RetrievalConfig, signals: Sequence[Signal], train: Sequence[int],
                  rounds: int = 2) -> RetrievalConfig:
    """Coordinate ascent over the signals' values on the training items only."""
    def train_score(c: RetrievalConfig) -> float:
        obj = runner.objective(c)
        return statistics.fmean(obj[i] for i in train)

    best, best_score = base, train_score(base)
    for _ in range(rounds):
        improved = False
        for sig in signals:
            for v in sig.values:
                cand = replace(best, **{sig.field: v})
                s = train_score(cand)
                if s > best_score + 1e-9:
                    best, best_score, improved = cand, s, True
        if not improved:
            break
    return best


def study_all(runner: Runner, base: RetrievalConfig, signals: Sequence[Signal],
              folds: Sequence[Sequence[int]]) -> tuple[Row, list[RetrievalConfig]]:
    chosen: list[RetrievalConfig] = []
    fold_scores: list[float] = []
    for f, test in enumerate(folds):
        train = [i for g, fold in enumerate(folds) if g != f for i in fold]
        cfg = greedy_select(runner, base, signals, train)
        chosen.append(cfg)
        obj = runner.objective(cfg)
        fold_scores.append(statistics.fmean(obj[i] for i in test))
    held = _held_out(runner, chosen, folds)
    cv = CrossValidated([describe(c, base) for c in chosen], fold_scores,
                        [statistics.fmean(held[m][i] for m in OBJECTIVE) for i in range(len(runner.items))])
    return Row("all signals (greedy per fold)", "every signal above, values chosen together on the training folds",
               cv, held), chosen


def fold_means(values: Sequence[float], folds: Sequence[Sequence[int]]) -> tuple[float, float]:
    means = [statistics.fmean(values[i] for i in f) for f in folds if f]
    return statistics.fmean(means), (statistics.pstdev(means) if len(means) > 1 else 0.0)


def render(rows: Sequence[Row], base_row: Row, folds: Sequence[Sequence[int]], items: Sequence[EvalItem],
           datasets: dict[str, list[int]]) -> list[str]:
    head = ["| variant | " + " | ".join(f"{d} R@10" for d in datasets) + " | all R@10 (fold mean ± sd) | "
            "all MRR@10 (fold mean ± sd) | ΔR@10 | p (R@10) | ΔMRR | p (MRR) | chosen per fold |",
            "|---|" + "---:|" * len(datasets) + "---:|---:|---:|---:|---:|---:|---|"]
    out = list(head)
    for r in [base_row, *rows]:
        per_ds = " | ".join(f"{statistics.fmean(r.per_item['recall@10'][i] for i in idx):.3f}"
                            for idx in datasets.values())
        rm, rs = fold_means(r.per_item["recall@10"], folds)
        mm, ms = fold_means(r.per_item["mrr@10"], folds)
        dr = statistics.fmean(r.per_item["recall@10"]) - statistics.fmean(base_row.per_item["recall@10"])
        dm = statistics.fmean(r.per_item["mrr@10"]) - statistics.fmean(base_row.per_item["mrr@10"])
        p_r = "—" if r is base_row else f"{r.p_recall:.3f}"
        p_m = "—" if r is base_row else f"{r.p_mrr:.3f}"
        chosen = "; ".join(dict.fromkeys(r.cv.chosen)) if r is not base_row else "—"
        out.append(f"| {r.name} | {per_ds} | {rm:.3f} ± {rs:.3f} | {mm:.3f} ± {ms:.3f} | {dr:+.3f} | {p_r} | "
                   f"{dm:+.3f} | {p_m} | {chosen} |")
    return out


def add_arguments(p: argparse.ArgumentParser, signals: Sequence[Signal] = SIGNALS) -> None:
    p.add_argument("--index", type=Path, required=True, help="built index")
    p.add_argument("--dataset", type=Path, action="append", required=True,
                   help="JSON Lines question set (repeatable: the items are pooled, folds by decision)")
    p.add_argument("--folds", type=int, default=5, help="number of folds (default 5)")
    p.add_argument("--as-of", default=None, help="YYYY-MM-DD (default today)")
    p.add_argument("--signals", default=",".join(s.name for s in signals),
                   help="comma-separated signal names to study (default all)")
    p.add_argument("--base", default="{}", help="JSON object of RetrievalConfig fields for the base row")
    p.add_argument("--no-combined", action="store_true", help="skip the greedy all-signals row")
    p.add_argument("--json-out", type=Path, default=None, help="also write the rows as JSON")


def run(args: argparse.Namespace, experiment: Experiment | None = None) -> int:
    from legal_rag.search.engine import Engine

    experiment = experiment or Experiment()
    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    as_of = date.fromisoformat(args.as_of) if args.as_of else today_kst()
    items: list[EvalItem] = []
    datasets: dict[str, list[int]] = {}
    for path in args.dataset:
        its, problems = load_dataset(path)
        for pr in problems:
            log(f"{path}:{pr.line}: skipped: {pr.message}")
        datasets[path.stem] = list(range(len(items), len(items) + len(its)))
        items += its
    if not items:
        log("no usable items / 평가할 항목이 없습니다")
        return 2
    by_name = {s.name: s for s in (*SIGNALS, *experiment.signals)}
    unknown = [n for n in args.signals.split(",") if n and n not in by_name]
    if unknown:
        log(f"unknown signals {unknown}; known: {sorted(by_name)}")
        return 2
    signals = [by_name[n] for n in args.signals.split(",") if n]
    base = replace(experiment.config(), **json.loads(args.base))
    folds = split_folds([it.id for it in items], args.folds)
    log(f"{len(items)} items, {args.folds} folds of sizes {[len(f) for f in folds]}; base: {describe(base)}")
    engine = Engine(args.index, verify=False)
    try:
        if experiment.prepare is not None:
            experiment.prepare(engine)
        engine.retriever = experiment.retriever(engine.bundle, engine.retriever.config)
        runner = Runner(engine, items, as_of, log=log)
        base_scores = runner.scores(base)
        base_row = Row("base", describe(base), CrossValidated([], [], []),
                       {m: [s[m] for s in base_scores] for m in ("recall@10", "mrr@10", "recall@20", "ndcg@10")})
        rows: list[Row] = []
        for sig in signals:
            log(f"signal {sig.name}")
            row, _ = study_signal(runner, base, sig, folds)
            rows.append(row)
        final = None
        if not args.no_combined:
            log("combined")
            row, _ = study_all(runner, base, signals, folds)
            rows.append(row)
            # What the product ships: the same greedy selection on every item (its held-out estimate is the
            # row above, not this configuration's own score).
            final = greedy_select(runner, base, signals, list(range(len(items))))
        for r in rows:
            r.p_recall = paired_randomization_test(r.per_item["recall@10"], base_row.per_item["recall@10"])
            r.p_mrr = paired_randomization_test(r.per_item["mrr@10"], base_row.per_item["mrr@10"])
    finally:
        engine.close()
    lines = [f"# Held-out signal study: {', '.join(datasets)} ({len(items)} items, {args.folds} folds by decision)",
             f"index {args.index}, as of {as_of}; objective mean({', '.join(OBJECTIVE)}) chosen on the other folds",
             ""] + render(rows, base_row, folds, items, datasets)
    lines += ["", *[f"- {r.name}: {r.description}" for r in rows]]
    if final is not None:
        lines += ["", f"Chosen on all items (ship these; estimate = the greedy row): {describe(final, base)}"]
    print("\n".join(lines))
    if args.json_out:
        args.json_out.write_text(json.dumps([{
            "name": r.name, "description": r.description, "chosen": r.cv.chosen, "fold_scores": r.cv.fold_scores,
            "recall@10": statistics.fmean(r.per_item["recall@10"]), "mrr@10": statistics.fmean(r.per_item["mrr@10"]),
            "p_recall": r.p_recall, "p_mrr": r.p_mrr} for r in rows], ensure_ascii=False, indent=2),
            encoding="utf-8")
    return 0


def main(argv: Sequence[str] | None = None, experiment: Experiment | None = None, prog: str = "legal-rag tune") -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n")[0] if __doc__ else None)
    add_arguments(p, experiment.signals if experiment is not None else SIGNALS)
    return run(p.parse_args(argv), experiment)


if __name__ == "__main__":
    raise SystemExit(main())
