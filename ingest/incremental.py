"""Update the previous index for the statute files that changed, instead of rebuilding everything.

The previous build records every source file with its content hash and the rows its chunks occupy
(files.json); rows are in file-path order in every artifact. An update therefore:

1. hashes every file and compares with files.json: unchanged, changed (new or modified) and removed files;
2. parses, tokenises and embeds only the changed files;
3. carries everything else over from the previous build: BM25 term counts (row blocks), vectors and their IVF
   list numbers (row blocks), the chunk table, the article store (copied, then the changed statute versions
   deleted and re-inserted), the embedder (hard links);
4. recomputes what depends on the whole corpus (BM25 weights are derived from counts at load) and publishes a
   complete, checksummed build exactly as a full build does.

The result equals a full build of the same files, except that the embedder and the IVF centroids are the
previous ones rather than retrained (a full build with a warm cache reuses the same embedder anyway).
Whenever an update cannot be exact or safe — no previous index, another format, other options or
embedder, a 법령MST shared by two files, or more than MAX_CHANGED_FRACTION of the files changed (and more than a few) — it
returns the reason and the caller runs a full build.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.options import IngestOptions, IngestSummary
from ingest.output import finish, new_build, write_tables
from ingest.sources import FileCache, ParsedFile, content_digest, load_sources
from ingest.vectors import encode_chunks
from legal_rag.bm25 import BM25Counts
from legal_rag.index_format import (
    EMBEDDER_DIR,
    FILES_FILE,
    FORMAT_VERSION,
    IndexIntegrityError,
    Manifest,
    SourceRecord,
    read_chunk_table,
    read_source_table,
    resolve_index,
)
from legal_rag.store import STORE_FILE, update_store
from legal_rag.tokenizer import TOKENIZER_ID

log = logging.getLogger(__name__)

# Beyond this share of changed files a full build (retrained embedder and centroids) is worth its time; a few
# files are always updated in place, whatever the corpus size.
MAX_CHANGED_FRACTION = 0.25
ALWAYS_INCREMENTAL_CHANGES = 8


@dataclass
class Segment:
    """A run of consecutive rows of the new build, taken from the previous build ('old') or the new files."""

    source: str  # 'old' or 'new'
    start: int  # first row in the source
    end: int


def update_index(
    opts: IngestOptions, files: list[Path], cache: FileCache, on_stage: Callable[[str], None] | None = None
) -> IngestSummary | str:
    """Update the index at opts.out for the changed files; return the summary, or why a full build is needed."""
    t0 = time.perf_counter()
    stages: dict[str, float] = {}

    def stage(name: str, since: float) -> float:
        now = time.perf_counter()
        stages[name] = round(now - since, 3)
        if on_stage:
            on_stage(name)
        return now

    if opts.full:
        return "--full asked for a full build"
    previous = resolve_index(opts.out) if opts.out.exists() else None
    if previous is None:
        return "no previous index"
    try:
        manifest = Manifest.read(previous)
    except IndexIntegrityError as exc:
        return f"previous index unreadable: {exc}"
    why = _incompatible(manifest, previous, opts)
    if why:
        return why
    old_records = {r.path: r for r in read_source_table(previous)}
    if any(r.status == "duplicate" for r in old_records.values()):
        return "the previous build has duplicate statute files; which copy wins is decided by a full build"

    t = time.perf_counter()
    digests: dict[str, str] = {}
    for path in files:
        try:
            digests[str(path)] = content_digest(path.read_bytes())
        except OSError:
            digests[str(path)] = ""  # unreadable: parsed (and reported) like a changed file
    changed = [p for p in files if (r := old_records.get(str(p))) is None or r.sha256 != digests[str(p)]
               or not digests[str(p)]]
    removed = [r for path, r in old_records.items() if path not in digests]
    t = stage("hash", t)
    if not changed and not removed:
        return IngestSummary(
            out=str(opts.out), build_dir=str(previous), files=len(files), statutes=manifest.statutes,
            articles=manifest.articles, addenda=manifest.addenda, chunks=manifest.chunks, skipped=manifest.skipped,
            reused_files=len(files), seconds=round(time.perf_counter() - t0, 2), stages=stages, mode="unchanged",
        )
    if len(changed) + len(removed) > max(MAX_CHANGED_FRACTION * len(old_records), ALWAYS_INCREMENTAL_CHANGES):
        return f"{len(changed)} changed and {len(removed)} removed of {len(old_records)} files: full build"

    parsed, skipped_files, reused = load_sources(changed, cache, opts)
    t = stage("parse+tokenize", t)
    replaced = {str(p) for p in changed} | {r.path for r in removed}
    kept_msts = {r.mst: r.path for r in old_records.values() if r.status == "indexed" and r.path not in replaced}
    seen: dict[str, str] = {}
    for pf in parsed:
        other = kept_msts.get(pf.statute.mst) or seen.get(pf.statute.mst)
        if other:
            return f"{pf.path} has the 법령MST {pf.statute.mst} of {other}: full build decides which copy wins"
        seen[pf.statute.mst] = pf.path

    # The new build's rows, in file-path order: unchanged files keep their previous rows' content.
    new_by_path = {pf.path: pf for pf in parsed}
    skipped_by_path = {s["file"]: s for s in skipped_files}
    records: list[SourceRecord] = []
    segments: list[Segment] = []
    new_rows: list[ParsedFile] = []
    row = new_row = 0
    for path in sorted(digests):
        if path in new_by_path:
            pf = new_by_path[path]
            n = len(pf.chunks)
            records.append(SourceRecord(path, pf.digest, "indexed", pf.statute.mst, (row, row + n)))
            _extend(segments, "new", new_row, new_row + n)
            new_rows.append(pf)
            new_row += n
        elif path in skipped_by_path:
            s = skipped_by_path[path]
            records.append(SourceRecord(path, s.get("sha256", ""), "skipped", reason=s["reason"]))
            continue
        else:
            old = old_records[path]
            n = old.rows[1] - old.rows[0]
            records.append(SourceRecord(path, old.sha256, old.status, old.mst, (row, row + n), old.reason))
            if old.status != "indexed":
                continue
            _extend(segments, "old", old.rows[0], old.rows[1])
        row += n
    n_rows = row

    with new_build(opts.out) as build:
        # Store: a copy of the previous one with the changed statute versions replaced.
        shutil.copyfile(previous / STORE_FILE, build / STORE_FILE)
        gone = [r.mst for r in old_records.values() if r.path in replaced and r.status == "indexed"]
        update_store(build / STORE_FILE, gone, ((pf.statute, pf.articles) for pf in parsed))
        t = stage("store", t)

        old_counts = BM25Counts.load(previous)
        fresh = BM25Counts.from_tokens([tok for pf in new_rows for tok in pf.tokens], vocab=old_counts.vocab)
        counts = BM25Counts.stack(
            [(old_counts.tf if s.source == "old" else fresh.tf)[s.start:s.end] for s in segments], fresh.vocab)
        old_ids, old_pieces = read_chunk_table(previous)
        new_chunks = [c for pf in new_rows for c in pf.chunks]
        doc_ids: list[str] = []
        pieces: list[int] = []
        for s in segments:
            if s.source == "old":
                doc_ids += old_ids[s.start:s.end]
                pieces += old_pieces[s.start:s.end]
            else:
                doc_ids += [c.doc_id for c in new_chunks[s.start:s.end]]
                pieces += [c.piece for c in new_chunks[s.start:s.end]]
        write_tables(build, counts, doc_ids, pieces, records)
        t = stage("bm25", t)

        dense_info: dict[str, Any] = dict(manifest.dense)
        if manifest.dense.get("kind", "none") != "none":
            model = _reuse_embedder(manifest, previous, build)
            t = stage("embedder", t)
            from legal_rag.dense import DenseIndex

            new_vectors = encode_chunks(model, fresh, [c.text for c in new_chunks], opts.progress)
            t = stage("encode", t)
            dense = _update_dense(DenseIndex.load(previous, use_gpu=False), new_vectors, segments)
            dense.save(build)
            dense_info = {"kind": dense.kind, "dim": dense.dim, "vectors": dense.ntotal}
            t = stage("dense", t)

        statutes = sum(1 for r in records if r.status == "indexed")
        skipped = [{"file": r.path, "reason": r.reason} for r in records if r.status != "indexed"]
        articles, addenda = _article_counts(build / STORE_FILE)
        finish(build, opts, files=len(files), statutes=statutes, articles=articles, addenda=addenda,
               chunks=n_rows, skipped=skipped, embedder=manifest.embedder, dense=dense_info, started=t0,
               extra={"incremental": {"base": manifest.build_id, "changed": len(changed), "removed": len(removed)}})
        stage("publish", t)
    return IngestSummary(
        out=str(opts.out), build_dir=str(build), files=len(files), statutes=statutes, articles=articles,
        addenda=addenda, chunks=n_rows, skipped=skipped, reused_files=len(files) - len(changed) + reused,
        seconds=round(time.perf_counter() - t0, 2), stages=stages, mode="incremental",
        changed_files=len(changed), removed_files=len(removed),
    )


def _incompatible(manifest: Manifest, previous: Path, opts: IngestOptions) -> str:
    """Why the previous build cannot be updated with these options ('' when it can)."""
    if manifest.format_version != FORMAT_VERSION or not (previous / FILES_FILE).is_file():
        return f"previous index has format {manifest.format_version}, this build writes {FORMAT_VERSION}"
    if manifest.tokenizer != TOKENIZER_ID:
        return f"tokenizer changed ({manifest.tokenizer} -> {TOKENIZER_ID})"
    wanted = opts.build_options()
    had = {k: manifest.options.get(k) for k in wanted}
    if had != wanted:
        return f"build options changed ({had} -> {wanted})"
    source = str(manifest.embedder.get("source", ""))
    if opts.embedder == "none":
        ok = manifest.embedder.get("id") == "none"
    elif opts.embedder == "kiwi-static":
        ok = source.startswith("kiwi-static") and not opts.retrain_embedder
    else:
        ok = source == opts.embedder
    if not ok:
        return f"embedder changed ({manifest.embedder.get('id')} -> {opts.embedder})"
    return ""


def _extend(segments: list[Segment], source: str, start: int, end: int) -> None:
    """Append rows [start, end) of `source`, merged into the last segment when they continue it."""
    if end <= start:
        return
    last = segments[-1] if segments else None
    if last and last.source == source and last.end == start:
        last.end = end
    else:
        segments.append(Segment(source, start, end))


def _reuse_embedder(manifest: Manifest, previous: Path, build: Path) -> Any:
    """The previous build's embedder: hard-linked into the new build (never modified in place) and loaded."""
    from legal_rag.embedder import load_embedder

    path = manifest.embedder.get("path")
    if not path:
        return load_embedder(str(manifest.embedder["source"]))
    src, dst = previous / path, build / EMBEDDER_DIR
    for f in src.rglob("*"):
        target = dst / f.relative_to(src)
        if f.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(f, target)
        except OSError:  # another file system, or links not allowed: copy
            shutil.copy2(f, target)
    return load_embedder(str(dst))


def _update_dense(previous: Any, new_vectors: np.ndarray, segments: Sequence[Segment]) -> Any:
    """The previous vectors' row blocks and the new vectors in row order; IVF keeps its centroids and the
    previous rows' list numbers, so only the new vectors are assigned."""
    from legal_rag.dense import DenseIndex

    old_vectors = previous.vectors()
    state = previous.ivf_state()
    blocks = [(old_vectors if s.source == "old" else new_vectors)[s.start:s.end] for s in segments]
    vectors = np.concatenate(blocks) if blocks else np.zeros((0, previous.dim), dtype=np.float32)
    if state is None:
        return DenseIndex.build(vectors, kind="auto")
    centroids, lists = state
    new_lists = np.full(len(new_vectors), -1, dtype=np.int64)
    assignments = np.concatenate([(lists if s.source == "old" else new_lists)[s.start:s.end] for s in segments])
    return DenseIndex.build(vectors, kind="ivf", centroids=centroids, assignments=assignments)


def _article_counts(store: Path) -> tuple[int, int]:
    import sqlite3

    con = sqlite3.connect(store)
    try:
        row = con.execute("SELECT SUM(is_addendum=0), SUM(is_addendum=1) FROM articles").fetchone()
    finally:
        con.close()
    return int(row[0] or 0), int(row[1] or 0)
