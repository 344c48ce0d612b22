"""The baseline a developer would write first with stock LangChain, scored exactly like our retriever.

Recipe: each statute file's Markdown body (frontmatter dropped, law title kept as metadata) is cut by
`RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)` and searched with
`langchain_community.retrievers.BM25Retriever`, once with its default whitespace preprocessing and once with
our kiwi tokenizer as `preprocess_func`. The evaluation is at article level, so every chunk is mapped to the
article(s) it belongs to: the article whose heading precedes the chunk's start, plus every article whose
heading lies inside the chunk. Chunks of 부칙 or of chapter headings only belong to no article and are passed
over when the ranking is turned into articles.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.markdown_source import split_frontmatter, unescape_markdown
from legal_rag.articles import ArticleNumber

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
# Chunks fetched per query before they are turned into articles: enough to fill 20 distinct articles even
# when a run of 부칙 chunks or several chunks of one long article come first. rank_bm25 scores every chunk
# either way, so a larger k costs only the final sort.
CHUNKS_PER_QUERY = 200

_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*$", re.MULTILINE)
_ARTICLE_RE = re.compile(r"^제\s*\d+\s*조(?:\s*의\s*\d+)?")


def _quiet_langchain_imports() -> None:
    # langchain_community announces its sunset on every import; the warning is not about this code.
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"langchain_community.*")
    warnings.filterwarnings("ignore", message=r".*langchain-community.*")


# ---------------------------------------------------------------------------------------------- chunk -> article


@dataclass(frozen=True)
class Segment:
    """A stretch of the body that starts at a heading: an article (label) or anything else (None)."""

    start: int
    label: str | None


def body_segments(body: str) -> list[Segment]:
    """Headings of a legalize-kr body in order. An article heading opens an article; every other heading
    (편/장/절, the title) closes it; `## 부칙` closes it for good, since 부칙 blocks are not articles."""
    segments = [Segment(0, None)]
    for m in _HEADING_RE.finditer(body):
        text = unescape_markdown(m.group(2)).strip()
        if text.replace(" ", "") == "부칙" or text.startswith("부칙 "):
            segments.append(Segment(m.start(), None))
            break
        am = _ARTICLE_RE.match(text)
        label = ArticleNumber.parse(am.group(0)).label if am else None
        segments.append(Segment(m.start(), label))
    return segments


def chunk_articles(segments: Sequence[Segment], start: int, length: int) -> list[str]:
    """Labels of the articles that the chunk body[start:start+length] belongs to, in text order."""
    out: list[str] = []
    end = start + length
    current: str | None = None
    for seg in segments:
        if seg.start <= start:
            current = seg.label
            continue
        if seg.start >= end:
            break
        if current is not None:
            out.append(current)
        current = seg.label
    if current is not None:
        out.append(current)
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------------------------------------- documents


@dataclass
class BaselineCorpus:
    documents: list[Any]  # langchain_core Document, metadata: law, articles, source, start_index
    files: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def split_statute(text: str, source: str, splitter: Any | None = None) -> list[Any]:
    """One legalize-kr file -> LangChain Documents with `law` and `articles` metadata."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = splitter or RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
    )
    meta, body = split_frontmatter(text)
    law = str(meta.get("제목") or "").strip()
    docs = splitter.create_documents([body], metadatas=[{"law": law, "source": source}])
    segments = body_segments(body)
    for d in docs:
        d.metadata["articles"] = chunk_articles(segments, d.metadata["start_index"], len(d.page_content))
    return docs


def load_corpus(files: Iterable[Path]) -> BaselineCorpus:
    """Split every Markdown statute file; files that are not statutes are reported, not fatal."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from ingest.markdown_source import StatuteFormatError

    t0 = time.perf_counter()
    # add_start_index records where each chunk starts in the body, which places it among the headings.
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True)
    corpus = BaselineCorpus(documents=[])
    for path in files:
        if path.suffix.lower() != ".md":
            corpus.skipped.append({"file": str(path), "reason": "not Markdown (the baseline reads .md only)"})
            continue
        try:
            docs = split_statute(path.read_text(encoding="utf-8"), str(path), splitter)
        except (OSError, UnicodeDecodeError, StatuteFormatError) as exc:
            corpus.skipped.append({"file": str(path), "reason": str(exc)})
            continue
        corpus.files.append(str(path))
        corpus.documents.extend(docs)
    corpus.seconds = time.perf_counter() - t0
    return corpus


def default_cache_dir(index_dir: Path) -> Path:
    """Beside the index (where `legal-rag ingest` keeps its own cache), never inside a checksummed build."""
    return index_dir.parent / ".cache" / "baseline"


def index_source_files(index_dir: Path) -> list[Path]:
    """The statute files an index was built from: the manifest's corpus paths (relative ones are taken from
    the current directory, as `legal-rag ingest` wrote them), else the paths recorded in its article store."""
    from ingest.build import IngestError, discover_files
    from legal_rag.index_format import Manifest, resolve_index
    from legal_rag.store import STORE_FILE, ArticleStore

    directory = resolve_index(index_dir)
    manifest = Manifest.read(directory)
    paths = [Path(p) for p in manifest.corpus]
    store = ArticleStore(directory / STORE_FILE)
    try:
        indexed = {Path(st.path).resolve() for st, _ in store.statutes()}
    finally:
        store.close()
    if paths and all(p.exists() for p in paths):
        try:
            found = discover_files(paths)
        except IngestError:
            found = []
        # Only files the index really holds (a corpus folder may have gained files since the build).
        chosen = [p for p in found if p.resolve() in indexed]
        if chosen:
            return chosen
    existing = sorted(p for p in indexed if p.is_file())
    if not existing:
        raise FileNotFoundError(
            f"the statute files of index {index_dir} are not reachable (manifest corpus {manifest.corpus}) "
            "/ 색인의 원본 법령 파일을 찾을 수 없습니다"
        )
    return existing


# ---------------------------------------------------------------------------------------------- retrievers


def whitespace_split(text: str) -> list[str]:
    """LangChain's default_preprocessing_func, spelled out so the benchmark states what it measures."""
    return text.split()


def kiwi_tokens(texts: Sequence[str], cache_dir: Path | None = None) -> list[list[str]]:
    """kiwi tokens of every chunk; reused from `cache_dir` when the same chunks were tokenised before
    (minutes of kiwi time on the shared corpus, the same answer every run)."""
    import kiwipiepy

    from legal_rag.tokenizer import TOKENIZER_ID, tokenize_many

    path = None
    if cache_dir is not None:
        h = hashlib.sha256(f"{TOKENIZER_ID}|kiwipiepy {kiwipiepy.__version__}|{len(texts)}".encode())
        for t in texts:
            h.update(t.encode("utf-8"))
            h.update(b"\0")
        path = cache_dir / f"langchain-kiwi-{h.hexdigest()[:32]}.json.gz"
        try:
            with gzip.open(path, "rt", encoding="utf-8") as f:
                cached = json.load(f)
            if isinstance(cached, list) and len(cached) == len(texts):
                return cached
        except (OSError, ValueError):
            pass  # absent or damaged: tokenise again
    tokens = tokenize_many(texts)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=3) as f:
                json.dump(tokens, f, ensure_ascii=False)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache location only costs time
    return tokens


class LangChainBM25Baseline:
    """A BM25Retriever over the split corpus; `rank` returns (law, article) in rank order, deduplicated."""

    def __init__(self, name: str, corpus: BaselineCorpus, preprocess: str = "whitespace",
                 chunks_per_query: int = CHUNKS_PER_QUERY, cache_dir: Path | None = None) -> None:
        _quiet_langchain_imports()
        from langchain_community.retrievers import BM25Retriever

        self.name = name
        self.preprocess = preprocess
        t0 = time.perf_counter()
        docs = corpus.documents
        if not docs:
            raise ValueError("no statute text for the baseline / 기준선에 쓸 법령 본문이 없습니다")
        if preprocess == "whitespace":
            self.retriever = BM25Retriever.from_documents(docs, k=chunks_per_query)
        elif preprocess == "kiwi":
            from rank_bm25 import BM25Okapi

            from legal_rag.tokenizer import tokenize

            # Exactly what BM25Retriever.from_documents(docs, preprocess_func=tokenize) builds, with the
            # documents tokenised in one kiwi batch (its worker threads) instead of one call per chunk, and
            # cached on disk; kiwi's output does not depend on batching, and queries go through `tokenize`.
            tokens = kiwi_tokens([d.page_content for d in docs], cache_dir)
            self.retriever = BM25Retriever(vectorizer=BM25Okapi(tokens), docs=docs, k=chunks_per_query,
                                           preprocess_func=tokenize)
        else:
            raise ValueError(f"unknown preprocessing {preprocess!r}")
        self.build_seconds = time.perf_counter() - t0
        self.chunks = len(docs)

    def chunks_for(self, query: str) -> list[Any]:
        return list(self.retriever.invoke(query))

    def rank(self, query: str, top_k: int = 20) -> list[tuple[str, str]]:
        out: dict[tuple[str, str], None] = {}
        for d in self.chunks_for(query):
            for label in d.metadata.get("articles", ()):
                out.setdefault((d.metadata["law"], label))
                if len(out) >= top_k:
                    return list(out)
        return list(out)


def build_baselines(files: Sequence[Path], which: Sequence[str] = ("whitespace", "kiwi"),
                    log: Callable[[str], None] | None = None,
                    cache_dir: Path | None = None) -> dict[str, LangChainBM25Baseline]:
    corpus = load_corpus(files)
    if log:
        log(f"baseline corpus: {len(corpus.files)} files, {len(corpus.documents)} chunks "
            f"({corpus.seconds:.1f} s to split)")
        for s in corpus.skipped:
            log(f"baseline skipped {s['file']}: {s['reason']}")
    out = {}
    for pre in which:
        name = f"langchain-bm25-{pre}"
        out[name] = LangChainBM25Baseline(name, corpus, pre, cache_dir=cache_dir)
        if log:
            log(f"{name}: built in {out[name].build_seconds:.1f} s")
    return out
