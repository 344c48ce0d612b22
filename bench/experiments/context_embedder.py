"""The offline embedder trained on citation contexts: the words around each citation of an article in OTHER
statutes (`… 「민법」 제750조에 따른 손해배상 …`, the citation cut out) paired with the cited article's body,
next to the usual (법령명 조문제목 -> body) pairs; then the dense side re-weighted on held-out folds.

    # 1. train (whole corpus: ~5 min for 60k pairs on 2 cores) and encode every chunk of the index
    python -m bench.experiments.context_embedder train --index index/full --out /tmp/ctx \\
        --title-pairs 30000 --context-pairs 30000
    python -m bench.experiments.context_embedder train --index index/full --out /tmp/title \\
        --title-pairs 60000 --context-pairs 0          # the control: as many pairs, titles only
    # 2. the dense side with that embedder (exact search), , weight chosen per fold
    python -m bench.experiments.context_embedder --trained /tmp/ctx --index index/full \\
        --dataset ../shared/eval/dev.jsonl --dataset ../shared/eval/dev_whole.jsonl --as-of 2026-11-30 \\
        --signals dense-weight --no-combined
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import sys
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from bench import tune
from legal_rag.articles import law_key
from legal_rag.bm25 import BM25Counts
from legal_rag.citations import find_citations, statute_text_catalog
from legal_rag.index_format import read_chunk_table, resolve_index
from legal_rag.store import STORE_FILE, ArticleStore
from legal_rag.tokenizer import tokenize_many
from legal_rag.versions import select_versions

VECTORS = "vectors.npy"
EMBEDDER = "embedder"
BEFORE, AFTER = 60, 80  # characters of context on each side of a citation, cut at a sentence end


def _bag_tokens(tf: Any, inverse: dict[int, str], row: int) -> list[str]:
    """A chunk's tokens as a bag (its BM25 counts): the static embedder averages, so order does not matter."""
    start, end = tf.indptr[row], tf.indptr[row + 1]
    out: list[str] = []
    for col, n in zip(tf.indices[start:end].tolist(), tf.data[start:end].tolist(), strict=True):
        out.extend([inverse[col]] * n)
    return out


def citation_contexts(con: sqlite3.Connection, rows: Sequence[Any], as_of: date,
                      known: set[str]) -> dict[str, list[str]]:
    """Cited doc_id -> contexts from the statute versions in force on `as_of`; a statute's citations of
    itself are left out (its own vocabulary, not how others describe the article)."""
    chosen = select_versions(rows, as_of)
    current = {vc.statute.mst: vc.statute for vc in chosen.values() if not vc.repeal_stub}
    by_key = {st.key: mst for mst, st in current.items()}
    catalog = statute_text_catalog(rows)
    out: dict[str, list[str]] = defaultdict(list)
    for mst, st in current.items():
        for (text,) in con.execute(
                "SELECT text FROM articles WHERE mst = ? AND is_addendum = 0 AND deleted = 0", (mst,)):
            for ref in find_citations(text or "", catalog, default_law=st.title, bare_means_default=True):
                if ref.law is None or ref.former or ref.article is None or law_key(ref.law) == st.key:
                    continue
                target = f"{by_key.get(law_key(ref.law))}:{ref.article.label}"
                if target not in known:
                    continue
                before = re.split(r"[.\n]", text[max(0, ref.start - BEFORE):ref.start])[-1]
                after = re.split(r"[.\n]", text[ref.end:ref.end + AFTER])[0]
                out[target].append(f"{before} {after}")
    return out


def train(argv: Sequence[str]) -> int:
    from legal_rag.embedder.training import train_static_embedder

    p = argparse.ArgumentParser(prog="python -m bench.experiments.context_embedder train")
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--title-pairs", type=int, default=30000)
    p.add_argument("--context-pairs", type=int, default=30000)
    p.add_argument("--per-article", type=int, default=2, help="contexts kept per cited article before sampling")
    p.add_argument("--as-of", default="2026-11-30")
    p.add_argument("--epochs", type=int, default=3)
    args = p.parse_args(argv)
    index = resolve_index(args.index)
    counts = BM25Counts.load(index)
    inverse = {i: t for t, i in counts.vocab.items()}
    doc_ids, _ = read_chunk_table(index)
    tf = counts.tf.tocsr()
    texts = [_bag_tokens(tf, inverse, r) for r in range(tf.shape[0])]
    first_chunk: dict[str, int] = {}
    for r, d in enumerate(doc_ids):
        first_chunk.setdefault(d, r)
    store = ArticleStore(index / STORE_FILE)
    rows = store.statutes()
    chosen = select_versions(rows, date.fromisoformat(args.as_of))
    current = [vc.statute.mst for vc in chosen.values() if not vc.repeal_stub]
    con = sqlite3.connect(f"file:{index / STORE_FILE}?mode=ro", uri=True)
    titled = [(f"{law} {title}", d) for mst in current for d, law, title in con.execute(
        "SELECT doc_id, law_title, title FROM articles WHERE mst = ? AND is_addendum = 0 AND deleted = 0 "
        "AND title != ''", (mst,)) if d in first_chunk]
    rng = random.Random(0)
    titled = rng.sample(titled, min(args.title_pairs, len(titled)))
    queries = [q for q, _ in titled]
    targets = [d for _, d in titled]
    if args.context_pairs > 0:
        contexts = citation_contexts(con, rows, date.fromisoformat(args.as_of), set(first_chunk))
        picked: list[tuple[str, str]] = []
        for d in sorted(contexts):
            distinct = list(dict.fromkeys(contexts[d]))
            rng.shuffle(distinct)
            picked += [(c, d) for c in distinct[: args.per_article]]
        picked = rng.sample(picked, min(args.context_pairs, len(picked)))
        print(f"contexts: {sum(map(len, contexts.values()))} for {len(contexts)} articles; "
              f"{len(picked)} pairs", file=sys.stderr)
        queries += [c for c, _ in picked]
        targets += [d for _, d in picked]
    pairs = [(q, texts[first_chunk[d]]) for q, d in zip(tokenize_many(queries), targets, strict=True) if len(q) >= 2]
    model = train_static_embedder(texts, pairs, epochs=args.epochs,
                                  trained_on={"pairs": len(pairs), "context_pairs": args.context_pairs})
    args.out.mkdir(parents=True, exist_ok=True)
    model.save(args.out / EMBEDDER)
    np.save(args.out / VECTORS, model.encode_count_matrix(counts.tf, counts.vocab))
    print(f"{len(pairs)} pairs; embedder and vectors in {args.out}", file=sys.stderr)
    return 0


def experiment(trained: Path) -> tune.Experiment:
    from legal_rag.dense import DenseIndex
    from legal_rag.embedder.static import KiwiStaticEmbedder

    def swap(engine: Any) -> None:
        engine.bundle.embedder = KiwiStaticEmbedder.load(trained / EMBEDDER)
        # exact search (flat): the comparison is of the embedders, not of IVF's approximation
        engine.bundle.dense = DenseIndex.build(np.load(trained / VECTORS), kind="flat")

    return tune.Experiment(prepare=swap, signals=(
        tune.Signal("dense-weight", "the dense side with the trained embedder (RRF weight)", "dense_weight",
                    (0.0, 0.1, 0.25, 0.5)),))


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["train"]:
        return train(argv[1:])
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--trained", type=Path, required=True, help="folder written by `train`")
    known, rest = p.parse_known_args(argv)
    return tune.main(rest, experiment(known.trained), prog="python -m bench.experiments.context_embedder")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
