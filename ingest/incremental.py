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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.options import IngestOptions, IngestSummary
from ingest.output import StageTimer, finish, new_build, write_tables
from ingest.precedent_source import build_precedent_part
from ingest.sources import (
    FileCache,
    ParsedFile,
    content_digest,
    file_stamp,
    link_pdf_files,
    load_sources,
    stale_pdf_link,
)
from ingest.vectors import encode_chunks
from legal_rag.articles import Chunk
from legal_rag.bm25 import BM25Counts
from legal_rag.citation_graph import EDGES_FILE, load_edges, mine_edges, write_citation_graph
from legal_rag.citations import statute_text_catalog
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
from legal_rag.store import STORE_FILE, ArticleStore, update_store
from legal_rag.tokenizer import TOKENIZER_ID, warm_up_in_background

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


@dataclass
class Previous:
    """The published build an update starts from."""

    directory: Path
    manifest: Manifest
    records: dict[str, SourceRecord]  # by path


@dataclass
class Changes:
    digests: dict[str, str]  # every current file -> sha256 ('' when unreadable)
    changed: list[Path]  # new or modified (or unreadable) files
    removed: list[SourceRecord]  # files of the previous build that are gone
    stamps: dict[str, tuple[int, int]]  # (size, mtime_ns) of every current file

    @property
    def replaced(self) -> set[str]:
        return {str(p) for p in self.changed} | {r.path for r in self.removed}


@dataclass
class Layout:
    """The new build's rows in file-path order, as runs of previous rows and rows of the re-parsed files."""

    records: list[SourceRecord]
    segments: list[Segment]
    new_files: list[ParsedFile]  # indexed re-parsed files, in row order
    rows: int


def update_index(
    opts: IngestOptions, files: list[Path], cache: FileCache, on_stage: Callable[[str], None] | None = None
) -> IngestSummary | str:
    """Update the index at opts.out for the changed files; return the summary, or why a full build is needed."""
    stage = StageTimer(on_stage)
    prev = _previous_build(opts)
    if isinstance(prev, str):
        return prev
    changes = _changes(files, prev.records)
    stage("hash")
    if changes.changed:
        warm_up_in_background()  # kiwi's model loads while the store and indexes are read
    m = prev.manifest
    if not changes.changed and not changes.removed:
        return IngestSummary(
            out=str(opts.out), build_dir=str(prev.directory), files=len(files), statutes=m.statutes,
            articles=m.articles, addenda=m.addenda, chunks=m.chunks, skipped=m.skipped, reused_files=len(files),
            seconds=stage.total(), stages=stage.stages, mode="unchanged",
        )
    n_changes = len(changes.changed) + len(changes.removed)
    if n_changes > max(MAX_CHANGED_FRACTION * len(prev.records), ALWAYS_INCREMENTAL_CHANGES):
        return (f"{len(changes.changed)} changed and {len(changes.removed)} removed of {len(prev.records)} files: "
                "full build")
    parsed, skipped_files, reused = load_sources(changes.changed, cache, opts)
    stage("parse+tokenize")
    why = _shared_mst(parsed, prev.records, changes.replaced) or _pdf_links(prev, changes, parsed)
    if why:
        return why
    layout = _layout(changes, prev.records, parsed, skipped_files)

    with new_build(opts.out) as build:
        # Store: a copy of the previous one with the changed statute versions replaced.
        shutil.copyfile(prev.directory / STORE_FILE, build / STORE_FILE)
        gone = [r.mst for r in prev.records.values() if r.path in changes.replaced and r.status == "indexed"]
        update_store(build / STORE_FILE, gone, ((pf.statute, pf.articles) for pf in parsed))
        stage("store")
        _update_citation_graph(prev.directory, build, gone, parsed)
        stage("citation graph")
        old_counts = BM25Counts.load(prev.directory)
        fresh = BM25Counts.from_tokens([tok for pf in layout.new_files for tok in pf.tokens], vocab=old_counts.vocab)
        counts = BM25Counts.stack(
            [(old_counts.tf if s.source == "old" else fresh.tf)[s.start:s.end] for s in layout.segments], fresh.vocab)
        new_chunks = [c for pf in layout.new_files for c in pf.chunks]
        doc_ids, pieces = _chunk_table(prev.directory, layout.segments, new_chunks)
        write_tables(build, counts, doc_ids, pieces, layout.records)
        stage("bm25")
        dense_info: dict[str, Any] = dict(m.dense)
        if m.dense.get("kind", "none") != "none":
            from legal_rag.dense import DenseIndex

            model = _reuse_embedder(m, prev.directory, build)
            stage("embedder")
            new_vectors = encode_chunks(model, fresh, [c.text for c in new_chunks], opts.progress)
            stage("encode")
            dense = _update_dense(DenseIndex.load(prev.directory, use_gpu=False), new_vectors, layout.segments)
            dense.save(build)
            dense_info = {"kind": dense.kind, "dim": dense.dim, "vectors": dense.ntotal}
            stage("dense")
        statutes = sum(1 for r in layout.records if r.status == "indexed")
        skipped = [{"file": r.path, "reason": r.reason} for r in layout.records if r.status != "indexed"]
        articles, addenda = _article_counts(build / STORE_FILE)
        # Decisions resolve their 참조조문 against the new store: their part is rebuilt (from cache).
        precedents = build_precedent_part(build, opts, opts.cache_root())
        finish(build, opts, files=len(files), statutes=statutes, articles=articles, addenda=addenda,
               chunks=layout.rows, skipped=skipped, embedder=m.embedder, dense=dense_info, started=stage.started,
               extra={"incremental": {"base": m.build_id, "changed": len(changes.changed),
                                      "removed": len(changes.removed)},
                      **({"precedents": precedents} if precedents else {})})
        stage("publish")
    return IngestSummary(
        out=str(opts.out), build_dir=str(build), files=len(files), statutes=statutes, articles=articles,
        addenda=addenda, chunks=layout.rows, skipped=skipped,
        reused_files=len(files) - len(changes.changed) + reused, seconds=stage.total(), stages=stage.stages,
        mode="incremental", changed_files=len(changes.changed), removed_files=len(changes.removed),
        precedents=precedents,
    )


def _update_citation_graph(previous: Path, build: Path, gone: Sequence[str], parsed: Sequence[ParsedFile]) -> None:
    """The previous edges without the replaced versions, plus the changed files' edges, re-counted. Unchanged
    files are not re-read: a citation of a law that only this update adds stays unresolved until a full build
    (the same staleness as the embedder's)."""
    edges = load_edges(previous) or {}
    for mst in gone:
        edges.pop(mst, None)
    store = ArticleStore(build / STORE_FILE)
    try:
        rows = store.statutes()
    finally:
        store.close()
    catalog = statute_text_catalog(rows)
    for pf in parsed:
        edges[pf.statute.mst] = mine_edges(pf.statute, pf.articles, catalog)
    write_citation_graph(build, edges, {st.mst: st.key for st, _ in rows})


def _previous_build(opts: IngestOptions) -> Previous | str:
    """The build at opts.out if this run can update it, else why not."""
    if opts.full:
        return "--full asked for a full build"
    if not opts.out.exists():
        return "no previous index"
    directory = resolve_index(opts.out)
    try:
        manifest = Manifest.read(directory)
    except IndexIntegrityError as exc:
        return f"previous index unreadable: {exc}"
    why = _incompatible(manifest, directory, opts) or _damaged(manifest, directory)
    if why:
        return why
    records = {r.path: r for r in read_source_table(directory)}
    if any(r.status == "duplicate" for r in records.values()):
        return "the previous build has duplicate statute files; which copy wins is decided by a full build"
    return Previous(directory, manifest, records)


def _changes(files: list[Path], old: dict[str, SourceRecord]) -> Changes:
    """Which files differ from the previous build: a file whose size and mtime are as recorded keeps its
    recorded hash; any other is read and hashed (a touched but unchanged file is still unchanged)."""
    digests: dict[str, str] = {}
    stamps: dict[str, tuple[int, int]] = {}
    for path in files:
        key, r = str(path), old.get(str(path))
        try:
            stamps[key] = stamp = file_stamp(path)
            if r is not None and r.sha256 and r.stamp == stamp:
                digests[key] = r.sha256
            else:
                digests[key] = content_digest(path.read_bytes())
        except OSError:
            digests[key] = ""  # unreadable: parsed (and reported) like a changed file
    changed = [p for p in files if (r := old.get(str(p))) is None or r.sha256 != digests[str(p)]
               or not digests[str(p)]]
    return Changes(digests, changed, [r for path, r in old.items() if path not in digests], stamps)


def _shared_mst(parsed: list[ParsedFile], old: dict[str, SourceRecord], replaced: set[str]) -> str:
    """Why the update cannot decide alone: a re-parsed file with the 법령MST of another file ('' if none)."""
    kept = {r.mst: r.path for r in old.values() if r.status == "indexed" and r.path not in replaced}
    seen: dict[str, str] = {}
    for pf in parsed:
        other = kept.get(pf.statute.mst) or seen.get(pf.statute.mst)
        if other:
            return f"{pf.path} has the 법령MST {pf.statute.mst} of {other}: full build decides which copy wins"
        seen[pf.statute.mst] = pf.path
    return ""


def _pdf_links(prev: Previous, changes: Changes, parsed: list[ParsedFile]) -> str:
    """Link re-parsed PDFs to the law they print (ingest/sources.py), in place; why a full build is needed
    instead ('' when not): a PDF that repeats a version, or a stored PDF whose law the changes alter."""
    store = ArticleStore(prev.directory / STORE_FILE)
    try:
        kept = [v for v in store.statutes() if v[0].path not in changes.replaced]
    finally:
        store.close()
    linked, copies = link_pdf_files(parsed, [v for v in kept if not v[0].from_pdf])
    if copies:
        return f"{copies[0][0].path} repeats a statute version: full build decides which copy is kept"
    parsed[:] = linked
    return stale_pdf_link(kept, parsed)


def _layout(changes: Changes, old: dict[str, SourceRecord], parsed: list[ParsedFile],
            skipped_files: list[dict[str, str]]) -> Layout:
    """Rows in file-path order, as a full build would lay them out; unchanged files keep their row content."""
    new_by_path = {pf.path: pf for pf in parsed}
    skipped_by_path = {s["file"]: s for s in skipped_files}
    layout = Layout([], [], [], 0)
    new_row = 0
    stamps = changes.stamps
    for path in sorted(changes.digests):
        row = layout.rows
        if path in new_by_path:
            pf = new_by_path[path]
            n = len(pf.chunks)
            layout.records.append(SourceRecord(path, pf.digest, "indexed", pf.statute.mst, (row, row + n),
                                               stamp=pf.stamp))
            _extend(layout.segments, "new", new_row, new_row + n)
            layout.new_files.append(pf)
            new_row += n
        elif path in skipped_by_path:
            s = skipped_by_path[path]
            layout.records.append(SourceRecord(path, s.get("sha256", ""), "skipped", reason=s["reason"]))
            n = 0
        else:
            r = old[path]
            n = r.rows[1] - r.rows[0] if r.status == "indexed" else 0
            layout.records.append(SourceRecord(path, r.sha256, r.status, r.mst, (row, row + n), r.reason,
                                               stamps.get(path, r.stamp)))
            _extend(layout.segments, "old", r.rows[0], r.rows[0] + n)
        layout.rows += n
    return layout


def _chunk_table(previous: Path, segments: Sequence[Segment], new_chunks: Sequence[Chunk]) -> tuple[list[str], list[int]]:
    old_ids, old_pieces = read_chunk_table(previous)
    doc_ids: list[str] = []
    pieces: list[int] = []
    for s in segments:
        if s.source == "old":
            doc_ids += old_ids[s.start:s.end]
            pieces += old_pieces[s.start:s.end]
        else:
            doc_ids += [c.doc_id for c in new_chunks[s.start:s.end]]
            pieces += [c.piece for c in new_chunks[s.start:s.end]]
    return doc_ids, pieces


def _incompatible(manifest: Manifest, previous: Path, opts: IngestOptions) -> str:
    """Why the previous build cannot be updated with these options ('' when it can)."""
    if manifest.format_version != FORMAT_VERSION or not (previous / FILES_FILE).is_file():
        return f"previous index has format {manifest.format_version}, this build writes {FORMAT_VERSION}"
    if not (previous / EDGES_FILE).is_file():
        return "previous index has no citation graph (built before it existed)"
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


def _damaged(manifest: Manifest, directory: Path) -> str:
    """A missing or truncated artifact of the previous build ('' when all are there at their recorded size).
    Checksums are left to the service's load-time verification: an update must not spend a second hashing
    1.2 GB, and a size check already catches an interrupted copy or a truncated file."""
    for name, size in manifest.sizes.items():
        path = directory / name
        if not path.is_file() or path.stat().st_size != size:
            return f"previous index damaged ({name} missing or not {size} bytes): full build"
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

    contents = previous.ivf_contents()  # one pass over the inverted lists gives vectors and list numbers
    old_vectors = previous.vectors() if contents is None else contents[0]
    blocks = [(old_vectors if s.source == "old" else new_vectors)[s.start:s.end] for s in segments]
    vectors = np.concatenate(blocks) if blocks else np.zeros((0, previous.dim), dtype=np.float32)
    if contents is None:
        return DenseIndex.build(vectors, kind="auto")
    _, centroids, lists = contents
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
