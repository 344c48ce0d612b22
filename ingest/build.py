"""The ingest job: statute files -> parsed articles -> chunks -> BM25 + FAISS + article store, published atomically.

A run updates the previous index in place of a full rebuild when it can (ingest/incremental.py: only the
changed statute files are parsed, tokenised and embedded; everything else is carried over from the previous
build). A full build parses every file, reusing per-file work cached by content hash (ingest/sources.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ingest import incremental, precedent_source
from ingest.options import IngestError, IngestOptions, IngestSummary
from ingest.output import StageTimer, finish, new_build, write_tables
from ingest.sources import FileCache, ParsedFile, corpus_snapshot, discover_files, link_pdf_files, load_sources
from ingest.vectors import encode_chunks
from legal_rag.bm25 import BM25Counts
from legal_rag.citation_graph import mine_edges, write_citation_graph
from legal_rag.citations import statute_text_catalog
from legal_rag.index_format import EMBEDDER_DIR, SourceRecord, read_source_table, resolve_index
from legal_rag.store import STORE_FILE, is_repeal_stub, write_store
from legal_rag.tokenizer import TOKENIZER_ID

log = logging.getLogger(__name__)

__all__ = ["IngestError", "IngestOptions", "IngestSummary", "build_index", "discover_files"]


def file_cache(opts: IngestOptions, cache_dir: Path | None) -> FileCache:
    return FileCache(cache_dir / "files" if cache_dir else None,
                     f"{opts.build_options()['parser']}|{TOKENIZER_ID}|{opts.max_chars}|{opts.title_boost}")


def default_cache_dir(opts: IngestOptions) -> Path:
    return opts.cache_root()


# ---------------------------------------------------------------------------------------------- dense side


def _embedder_for_build(
    opts: IngestOptions, parsed: Sequence[ParsedFile], cache_dir: Path | None, build: Path
) -> tuple[Any, dict[str, Any]]:
    """Return (embedder or None, manifest info). The corpus-trained embedder is cached and reused."""
    if opts.embedder == "none":
        return None, {"id": "none"}
    from legal_rag import embedder as emb

    if opts.embedder != "kiwi-static":
        neural = emb.load_embedder(opts.embedder)
        return neural, {"id": neural.id, "dim": neural.dim, "source": opts.embedder}
    # The trained embedder is cached per tokenizer version and reused by later builds of a changed corpus.
    cached = (cache_dir / f"embedder-kiwi-static-{TOKENIZER_ID}") if cache_dir else None
    model: emb.KiwiStaticEmbedder | None = None
    if cached and (cached / "legal_rag_embedder.json").is_file() and not opts.retrain_embedder:
        try:
            model = emb.KiwiStaticEmbedder.load(cached)
        except (ValueError, OSError) as exc:  # a damaged or incompatible cache is retrained, never trusted
            log.warning("cached embedder unusable (%s); retraining", exc)
    if model is None:
        articles = [a for pf in parsed if not is_repeal_stub(pf.articles) for a in pf.articles]
        pairs = emb.corpus_pairs(articles)
        rng = np.random.default_rng(0)
        if len(pairs) > opts.embedder_pairs:
            keep = rng.choice(len(pairs), opts.embedder_pairs, replace=False)
            pairs = [pairs[i] for i in sorted(keep)]
        docs = [t for pf in parsed for t in pf.tokens]
        # Article bodies were tokenised for BM25 already: reuse the first chunk's tokens for each body so
        # that only the short title queries go through kiwi again.
        known: dict[str, list[str]] = {}
        for pf in parsed:
            by_doc = {a.doc_id: a for a in pf.articles}
            for c, toks in zip(pf.chunks, pf.tokens, strict=True):
                if c.piece == 0:
                    known.setdefault(by_doc[c.doc_id].text, toks)
        token_pairs = emb.tokenize_pairs(pairs, known)
        model = emb.train_static_embedder(docs, token_pairs, epochs=3, trained_on=corpus_snapshot(opts.corpus))
        if cached:
            tmp = cached.with_name(cached.name + f".tmp{os.getpid()}")
            model.save(tmp)
            if cached.exists():
                import shutil

                shutil.rmtree(cached)
            os.replace(tmp, cached)
    model.save(build / EMBEDDER_DIR)
    return model, {"id": model.id, "dim": model.dim, "source": "kiwi-static (trained on this corpus)",
                   "path": EMBEDDER_DIR}


# ---------------------------------------------------------------------------------------------- the job


def build_index(opts: IngestOptions, on_stage: Callable[[str], None] | None = None) -> IngestSummary:
    """Build or update the index at `opts.out`; whatever is published is complete and checksummed."""
    files = discover_files(opts.corpus)
    if not files:
        raise IngestError(f"no statute files (*.md, *.pdf) under {opts.corpus} / 법령 파일이 없습니다")
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    if not os.access(opts.out.parent, os.W_OK):
        raise IngestError(f"output directory is not writable: {opts.out.parent} / 출력 경로에 쓸 수 없습니다")
    cache = file_cache(opts, default_cache_dir(opts))
    update = incremental.update_index(opts, files, cache, on_stage)
    if isinstance(update, IngestSummary):
        summary = update
        if summary.mode == "unchanged":  # statutes unchanged; the decisions may not be
            why = precedent_source.precedent_changes(opts, Path(summary.build_dir))
            if why:
                summary = precedent_source.update_precedents_only(opts, summary, default_cache_dir(opts), on_stage)
                summary.fallback_reason = why
            else:
                summary.precedents = precedent_source.published_summary(Path(summary.build_dir))
    else:
        summary = full_build(opts, files, cache, on_stage)
        summary.fallback_reason = update
    if opts.prune_cache:
        # Keep the versions the published index was built from: the next update or full build reuses them.
        used = {r.sha256 for r in read_source_table(resolve_index(opts.out)) if r.sha256}
        summary.pruned_cache_entries = cache.prune(used)
    return summary


def full_build(opts: IngestOptions, files: list[Path], cache: FileCache,
               on_stage: Callable[[str], None] | None = None) -> IngestSummary:
    """Parse every file (reusing cached per-file work) and build every artifact from scratch."""
    stage = StageTimer(on_stage)
    parsed, skipped_files, reused = load_sources(files, cache, opts)
    stage("parse+tokenize")
    records = [SourceRecord(s["file"], s.get("sha256", ""), "skipped", reason=s["reason"]) for s in skipped_files]
    # A PDF of a law the corpus holds is a version of it (or a copy of one of its versions, then left out).
    parsed, copies = link_pdf_files(parsed)
    records += [SourceRecord(pf.path, pf.digest, "duplicate", pf.statute.mst, reason=why, stamp=pf.stamp)
                for pf, why in copies]
    # One statute version (법령MST) once, even when it is reachable from two corpus paths.
    unique: dict[str, ParsedFile] = {}
    for pf in parsed:
        if pf.statute.mst in unique:
            reason = f"duplicate of {unique[pf.statute.mst].path} (법령MST {pf.statute.mst}) / 중복 파일"
            records.append(SourceRecord(pf.path, pf.digest, "duplicate", pf.statute.mst, reason=reason, stamp=pf.stamp))
            continue
        unique[pf.statute.mst] = pf
    parsed = list(unique.values())
    if not parsed:
        raise IngestError("every file was skipped / 모든 파일을 건너뛰었습니다: "
                          + "; ".join(f"{r.path}: {r.reason}" for r in records[:5]))
    row = 0
    for pf in parsed:
        records.append(SourceRecord(pf.path, pf.digest, "indexed", pf.statute.mst, (row, row + len(pf.chunks)),
                                    stamp=pf.stamp))
        row += len(pf.chunks)
    records.sort(key=lambda r: r.path)
    skipped = [{"file": r.path, "reason": r.reason} for r in records if r.status != "indexed"]

    with new_build(opts.out) as build:
        chunks = [c for pf in parsed for c in pf.chunks]
        write_store(build / STORE_FILE, ((pf.statute, pf.articles) for pf in parsed))
        stage("store")
        catalog = statute_text_catalog((pf.statute, is_repeal_stub(pf.articles)) for pf in parsed)
        write_citation_graph(build, {pf.statute.mst: mine_edges(pf.statute, pf.articles, catalog) for pf in parsed},
                             {pf.statute.mst: pf.statute.key for pf in parsed})
        stage("citation graph")
        counts = BM25Counts.from_tokens([tok for pf in parsed for tok in pf.tokens])
        write_tables(build, counts, [c.doc_id for c in chunks], [c.piece for c in chunks], records)
        stage("bm25")
        model, embedder_info = _embedder_for_build(opts, parsed, default_cache_dir(opts), build)
        stage("embedder")
        dense_info: dict[str, Any] = {"kind": "none"}
        if model is not None:
            from legal_rag.dense import DenseIndex

            vectors = encode_chunks(model, counts, [c.text for c in chunks], opts.progress)
            stage("encode")
            dense = DenseIndex.build(vectors)
            dense.save(build)
            dense_info = {"kind": dense.kind, "dim": int(vectors.shape[1]), "vectors": int(vectors.shape[0])}
            stage("dense")
        n_articles = sum(1 for pf in parsed for a in pf.articles if not a.is_addendum)
        n_addenda = sum(1 for pf in parsed for a in pf.articles if a.is_addendum)
        precedents = precedent_source.build_precedent_part(build, opts, default_cache_dir(opts))
        if precedents:
            stage("precedents")
        finish(build, opts, files=len(files), statutes=len(parsed), articles=n_articles, addenda=n_addenda,
               chunks=len(chunks), skipped=skipped, embedder=embedder_info, dense=dense_info,
               started=stage.started, extra={"precedents": precedents} if precedents else None)
        stage("publish")
    return IngestSummary(
        out=str(opts.out), build_dir=str(build), files=len(files), statutes=len(parsed), articles=n_articles,
        addenda=n_addenda, chunks=len(chunks), skipped=skipped, reused_files=reused,
        seconds=stage.total(), stages=stage.stages, precedents=precedents,
    )
