"""The ingest job: statute files -> parsed articles -> chunks -> BM25 + FAISS + article store, published atomically.

Work is cached per source file by content hash (parse, chunks, tokens, vectors), so re-ingesting a corpus
where one statute changed re-parses and re-tokenises that file only.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from legal_rag.articles import Article, Chunk, Paragraph, ParseReport, Statute
from legal_rag.bm25 import BM25Index
from legal_rag.chunking import DEFAULT_MAX_CHARS, chunk_article
from legal_rag.index_format import EMBEDDER_DIR, Manifest, new_build_dir, publish
from legal_rag.store import STORE_FILE, is_repeal_stub, write_store
from legal_rag.tokenizer import TOKENIZER_ID, tokenize_many

log = logging.getLogger(__name__)

PARSER_VERSION = "md1-pdf1-ch2"
SOURCE_SUFFIXES = {".md", ".pdf"}
IGNORED_NAMES = {"README.md", "CONTRIBUTING.md", "CHANGELOG.md", "LICENSE.md"}


class IngestError(RuntimeError):
    """A failure that stops the build (nothing is published; the previous index stays)."""


@dataclass
class IngestOptions:
    corpus: list[Path]
    out: Path
    embedder: str = "kiwi-static"  # "kiwi-static" (trained on the corpus), "none", or a sentence-transformers id/path
    max_chars: int = DEFAULT_MAX_CHARS
    cache_dir: Path | None = None
    retrain_embedder: bool = False
    embedder_pairs: int = 30000
    progress: bool = True
    title_boost: int = 2


@dataclass
class IngestSummary:
    out: str
    build_dir: str
    files: int
    statutes: int
    articles: int
    addenda: int
    chunks: int
    skipped: list[dict[str, str]] = field(default_factory=list)
    reused_files: int = 0
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------- discovery


def discover_files(paths: Iterable[Path]) -> list[Path]:
    """Statute files under the given paths (a legalize-kr checkout is read from its kr/ folder)."""
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
            continue
        if not path.is_dir():
            raise IngestError(f"corpus path not found: {path} / 코퍼스 경로가 없습니다")
        root = path / "kr" if (path / "kr").is_dir() else path
        found.extend(
            p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SOURCE_SUFFIXES and p.name not in IGNORED_NAMES
        )
    return sorted(dict.fromkeys(p.resolve() for p in found))


def corpus_snapshot(paths: Iterable[Path]) -> str:
    """The corpus version: legalize-kr's SNAPSHOT file, else the git HEAD of a checkout, else 'unversioned'."""
    for path in paths:
        base = path if path.is_dir() else path.parent
        for candidate in (base, *base.parents[:3]):
            snap = candidate / "SNAPSHOT"
            if snap.is_file():
                return snap.read_text(encoding="utf-8").strip()
            if (candidate / ".git").exists():
                try:
                    out = subprocess.run(["git", "-C", str(candidate), "rev-parse", "HEAD"], capture_output=True,
                                         text=True, timeout=10, check=True)
                    return out.stdout.strip()
                except (OSError, subprocess.SubprocessError):
                    break
    return "unversioned"


# ---------------------------------------------------------------------------------------------- per-file cache


def _article_to_json(a: Article) -> dict[str, Any]:
    d = asdict(a)
    d["paragraphs"] = [[p.marker, p.text] for p in a.paragraphs]
    return d


def _article_from_json(d: dict[str, Any]) -> Article:
    d = dict(d)
    d["paragraphs"] = tuple(Paragraph(m, t) for m, t in d["paragraphs"])
    d["chapter_path"] = tuple(d["chapter_path"])
    d["amendments"] = tuple(d["amendments"])
    return Article(**d)


@dataclass
class ParsedFile:
    """Everything derived from one source file; cached as gzip JSON by content hash."""

    path: str
    statute: Statute
    articles: list[Article]
    chunks: list[Chunk]  # only chunks that go into the retrieval indexes
    tokens: list[list[str]]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "statute": self.statute.to_row(),
            "articles": [_article_to_json(a) for a in self.articles],
            "chunks": [[c.doc_id, c.piece, c.text] for c in self.chunks],
            "tokens": self.tokens,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any], path: str) -> ParsedFile:
        statute = Statute.from_row({**d["statute"], "path": path})
        return cls(
            path=path,
            statute=statute,
            articles=[_article_from_json(a) for a in d["articles"]],
            chunks=[Chunk(doc_id, piece, text) for doc_id, piece, text in d["chunks"]],
            tokens=[[sys.intern(t) for t in doc] for doc in d["tokens"]],
        )


def parse_source(path: Path) -> ParseReport:
    if path.suffix.lower() == ".pdf":
        from ingest.pdf_source import parse_pdf_file

        return parse_pdf_file(path)
    from ingest.markdown_source import parse_markdown_file

    return parse_markdown_file(path)


def indexable_chunks(articles: Sequence[Article], max_chars: int) -> list[Chunk]:
    """Chunks for retrieval: main articles only (부칙 and 삭제 stay in the store), repeal stubs left out."""
    if is_repeal_stub(articles):
        return []
    return [c for a in articles if not a.is_addendum and not a.deleted for c in chunk_article(a, max_chars)]


_CHAPTER_NUMBER_RE = re.compile(r"제\d+[편장절관](?:의\d+)?")


def chunk_index_text(chunk: Chunk, article: Article, title_boost: int) -> str:
    """Text that BM25 sees: the chunk, the article title repeated to weight that field, and the names of the
    편/장/절/관 it sits in (their topic words, e.g. 친생자 for 제844조, without the numbering)."""
    chapters = _CHAPTER_NUMBER_RE.sub("", " ".join(article.chapter_path))
    # The article's own number rides with its title so that `제839조의2` ranks 제839조의2 above articles that
    # merely refer to it.
    return chunk.text + ("\n" + article.number + " " + article.title) * title_boost + "\n" + chapters


class FileCache:
    def __init__(self, directory: Path | None, key_extra: str) -> None:
        self.directory = directory
        self.key_extra = key_extra
        if directory:
            directory.mkdir(parents=True, exist_ok=True)

    def key(self, data: bytes) -> str:
        return hashlib.sha256(data + self.key_extra.encode()).hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        if not self.directory:
            return None
        path = self.directory / f"{key}.json.gz"
        if not path.is_file():
            return None
        try:
            with gzip.open(path, "rt", encoding="utf-8") as f:
                return json.load(f)  # type: ignore[no-any-return]
        except (OSError, ValueError):
            return None  # a damaged cache entry is recomputed, never trusted

    def put(self, key: str, value: dict[str, Any]) -> None:
        if not self.directory:
            return
        tmp = self.directory / f".{key}.{os.getpid()}.tmp"
        with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=3) as f:
            json.dump(value, f, ensure_ascii=False)
        os.replace(tmp, self.directory / f"{key}.json.gz")


def _progress(iterable: Iterable[Any], enabled: bool, **kw: Any) -> Iterable[Any]:
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, **kw)


def load_sources(
    files: Sequence[Path], cache: FileCache, opts: IngestOptions
) -> tuple[list[ParsedFile], list[dict[str, str]], int]:
    """Parse (or reuse) every file; tokenise new chunks in batches across files for kiwi's worker threads."""
    parsed: list[ParsedFile] = []
    skipped: list[dict[str, str]] = []
    pending: list[tuple[ParsedFile, str]] = []
    reused = 0
    for path in _progress(files, opts.progress, desc="parse", unit="file"):
        try:
            data = path.read_bytes()
        except OSError as exc:
            skipped.append({"file": str(path), "reason": f"unreadable / 읽을 수 없음: {exc}"})
            continue
        key = cache.key(data)
        hit = cache.get(key)
        if hit is not None:
            parsed.append(ParsedFile.from_json(hit, str(path)))
            reused += 1
            continue
        report = parse_source(path)
        if report.error or report.statute is None:
            skipped.append({"file": str(path), "reason": report.error or "no statute / 법령 정보 없음"})
            continue
        chunks = indexable_chunks(report.articles, opts.max_chars)
        pf = ParsedFile(str(path), report.statute, report.articles, chunks, [])
        parsed.append(pf)
        pending.append((pf, key))
    _tokenize_pending(pending, cache, opts)
    return parsed, skipped, reused


def _tokenize_pending(pending: list[tuple[ParsedFile, str]], cache: FileCache, opts: IngestOptions) -> None:
    by_doc = {a.doc_id: a for pf, _ in pending for a in pf.articles}
    texts = [chunk_index_text(c, by_doc[c.doc_id], opts.title_boost) for pf, _ in pending for c in pf.chunks]
    if not texts:
        return
    tokens_iter = iter(tokenize_many(_progress(texts, opts.progress, desc="tokenize", unit="chunk")))
    for pf, key in pending:
        pf.tokens = [next(tokens_iter) for _ in pf.chunks]
        cache.put(key, pf.to_json())


# ---------------------------------------------------------------------------------------------- dense side


def _embedder_for_build(
    opts: IngestOptions, parsed: Sequence[ParsedFile], cache_dir: Path | None, build: Path
) -> tuple[Any, dict[str, Any]]:
    """Return (embedder or None, manifest info). The corpus-trained embedder is cached and reused."""
    if opts.embedder == "none":
        return None, {"id": "none"}
    from legal_rag import embedder as emb

    if opts.embedder != "kiwi-static":
        model = emb.load_embedder(opts.embedder)
        return model, {"id": model.id, "dim": model.dim, "source": opts.embedder}
    # The trained embedder is cached per tokenizer version and reused by later builds of a changed corpus.
    cached = (cache_dir / f"embedder-kiwi-static-{TOKENIZER_ID}") if cache_dir else None
    model = None
    if cached and (cached / "legal_rag_embedder.json").is_file() and not opts.retrain_embedder:
        try:
            model = emb.load_embedder(str(cached))
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


def _encode(model: Any, parsed: Sequence[ParsedFile], opts: IngestOptions) -> np.ndarray:
    from legal_rag.embedder import KiwiStaticEmbedder

    if isinstance(model, KiwiStaticEmbedder):
        # Reuse the BM25 tokens: the static embedder reads the same kiwi tokens, so no second tokenisation.
        return model.encode_tokens([t for pf in parsed for t in pf.tokens])
    texts = [c.text for pf in parsed for c in pf.chunks]
    return model.encode(texts, show_progress=opts.progress)


# ---------------------------------------------------------------------------------------------- the job


def build_index(opts: IngestOptions, on_stage: Callable[[str], None] | None = None) -> IngestSummary:
    """Build an index into a fresh directory and publish it atomically at `opts.out`."""
    t0 = time.perf_counter()
    stages: dict[str, float] = {}

    def stage(name: str, since: float) -> float:
        now = time.perf_counter()
        stages[name] = round(now - since, 3)
        if on_stage:
            on_stage(name)
        return now

    files = discover_files(opts.corpus)
    if not files:
        raise IngestError(f"no statute files (*.md, *.pdf) under {opts.corpus} / 법령 파일이 없습니다")
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    if not os.access(opts.out.parent, os.W_OK):
        raise IngestError(f"output directory is not writable: {opts.out.parent} / 출력 경로에 쓸 수 없습니다")
    cache_dir = opts.cache_dir if opts.cache_dir is not None else opts.out.parent / ".cache"
    cache = FileCache(cache_dir / "files", f"{PARSER_VERSION}|{TOKENIZER_ID}|{opts.max_chars}|{opts.title_boost}")
    t = time.perf_counter()
    parsed, skipped, reused = load_sources(files, cache, opts)
    t = stage("parse+tokenize", t)
    # One statute version (법령MST) once, even when it is reachable from two corpus paths.
    unique: dict[str, ParsedFile] = {}
    for pf in parsed:
        if pf.statute.mst in unique:
            skipped.append({"file": pf.path, "reason": f"duplicate of {unique[pf.statute.mst].path} (법령MST "
                                                       f"{pf.statute.mst}) / 중복 파일"})
            continue
        unique[pf.statute.mst] = pf
    parsed = list(unique.values())
    if not parsed:
        raise IngestError("every file was skipped / 모든 파일을 건너뛰었습니다: "
                          + "; ".join(f"{s['file']}: {s['reason']}" for s in skipped[:5]))

    build = new_build_dir(opts.out)
    try:
        chunks = [c for pf in parsed for c in pf.chunks]
        write_store(build / STORE_FILE, ((pf.statute, pf.articles) for pf in parsed), chunks)
        t = stage("store", t)
        bm25 = BM25Index.build([tok for pf in parsed for tok in pf.tokens])
        bm25.save(build)
        t = stage("bm25", t)
        model, embedder_info = _embedder_for_build(opts, parsed, cache_dir, build)
        t = stage("embedder", t)
        dense_info: dict[str, Any] = {"kind": "none"}
        if model is not None:
            from legal_rag.dense import DenseIndex

            vectors = _encode(model, parsed, opts)
            dense = DenseIndex.build(vectors)
            dense.save(build)
            dense_info = {"kind": dense.kind, "dim": int(vectors.shape[1]), "vectors": int(vectors.shape[0])}
            t = stage("dense", t)
        n_articles = sum(1 for pf in parsed for a in pf.articles if not a.is_addendum)
        n_addenda = sum(1 for pf in parsed for a in pf.articles if a.is_addendum)
        manifest = Manifest(
            corpus=[str(p) for p in opts.corpus],
            corpus_snapshot=corpus_snapshot(opts.corpus),
            files=len(files),
            statutes=len(parsed),
            articles=n_articles,
            addenda=n_addenda,
            chunks=len(chunks),
            skipped=skipped,
            tokenizer=TOKENIZER_ID,
            embedder=embedder_info,
            dense=dense_info,
            build_seconds=round(time.perf_counter() - t0, 2),
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            build_id=build.name,
        )
        manifest.options = {"max_chars": opts.max_chars, "title_boost": opts.title_boost, "parser": PARSER_VERSION,
                            "python": platform.python_version(), "machine": platform.machine()}
        manifest.write(build)
        publish(build, opts.out)
        stage("publish", t)
    except BaseException:
        # Leave nothing half-written: the unfinished build is removed; the published link is untouched.
        import shutil

        shutil.rmtree(build, ignore_errors=True)
        raise
    return IngestSummary(
        out=str(opts.out), build_dir=str(build), files=len(files), statutes=len(parsed), articles=n_articles,
        addenda=n_addenda, chunks=len(chunks), skipped=skipped, reused_files=reused,
        seconds=round(time.perf_counter() - t0, 2), stages=stages,
    )
