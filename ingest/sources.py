"""Statute files in: discovery, content hashes, parsing, chunking, kiwi tokens, and the per-file cache.

Work is cached per source file by content hash (parse, chunks, tokens), so a full rebuild re-parses and
re-tokenises only the files it has not seen with the same parser and tokenizer options.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from ingest.options import IngestError, IngestOptions
from legal_rag.articles import Article, Chunk, Paragraph, ParseReport, Statute
from legal_rag.chunking import chunk_article
from legal_rag.statute_markup import strip_placeholders
from legal_rag.store import is_repeal_stub
from legal_rag.tokenizer import tokenize_many

SOURCE_SUFFIXES = {".md", ".pdf"}
IGNORED_NAMES = {"README.md", "CONTRIBUTING.md", "CHANGELOG.md", "LICENSE.md"}


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_stamp(path: Path) -> tuple[int, int]:
    """(size, mtime in ns): an update trusts a file's recorded hash while both are unchanged, as make and git do;
    taken before the file is read, so a write during the build shows as a change next time."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def discover_files(paths: Iterable[Path]) -> list[Path]:
    """Statute files under the given paths (a legalize-kr checkout is read from its kr/ folder)."""
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
            continue
        if not path.is_dir():
            raise IngestError(
                f"corpus path not found: {path} / 코퍼스 경로가 없습니다. Get statutes with `legal-rag fetch --clone` "
                "(network) or `legal-rag fetch --from /path/to/legalize-kr`, or pass another path: "
                "`--corpus PATH` / `make run CORPUS=PATH`")
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
    d["effective"] = a.effective.isoformat() if a.effective else None
    return d


def _article_from_json(d: dict[str, Any]) -> Article:
    d = dict(d)
    d["paragraphs"] = tuple(Paragraph(m, t) for m, t in d["paragraphs"])
    d["chapter_path"] = tuple(d["chapter_path"])
    d["amendments"] = tuple(d["amendments"])
    d["effective"] = date.fromisoformat(d["effective"]) if d.get("effective") else None
    return Article(**d)


@dataclass
class ParsedFile:
    """Everything derived from one source file; cached as gzip JSON by content hash."""

    path: str
    statute: Statute
    articles: list[Article]
    chunks: list[Chunk]  # only chunks that go into the retrieval indexes
    tokens: list[list[str]]
    digest: str = ""  # sha256 of the file's bytes
    stamp: tuple[int, int] = (0, 0)  # (size, mtime_ns) when it was read

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


@dataclass(frozen=True)
class IndexText:
    """What BM25 reads for one chunk, in parts: `body` (the chunk's text under its header line) and the
    `fields` around it: the law's name, the article's number and title (1 + title_boost times, to weight that
    field; the number rides with the title so that `제839조의2` ranks 제839조의2 above articles that merely cite
    it) and the names of the 편/장/절/관 it sits in (their topic words, e.g. 친생자 for 제844조, numbers removed).

    The fields repeat across chunks (a law's name in each of its articles, a title three times), so each
    distinct field string is tokenised once: about a sixth of the characters kiwi would otherwise read again.
    """

    body: str
    fields: tuple[str, ...]


def chunk_index_text(chunk: Chunk, article: Article, title_boost: int) -> IndexText:
    header = article.header
    body = chunk.text[len(header) + 1:] if chunk.text.startswith(header) else chunk.text
    body = strip_placeholders(body)  # `[수식 이미지 #N]` is not a word of the statute
    title = f"{article.number} {article.title}".strip()
    chapters = _CHAPTER_NUMBER_RE.sub("", " ".join(article.chapter_path)).strip()
    return IndexText(body, (f"「{article.law_title}」", *([title] * (1 + title_boost)), chapters))


def tokenize_index_texts(texts: Sequence[IndexText], progress: bool = False) -> list[list[str]]:
    """Tokens of each chunk: its body's plus its fields', every distinct field tokenised once."""
    fields = list(dict.fromkeys(f for t in texts for f in t.fields if f))
    field_tokens = dict(zip(fields, tokenize_many(fields), strict=True))
    bodies = tokenize_many(_progress([t.body for t in texts], progress, desc="tokenize", unit="chunk"))
    return [
        [tok for f in t.fields if f for tok in field_tokens[f]] + body for t, body in zip(texts, bodies, strict=True)
    ]


class FileCache:
    def __init__(self, directory: Path | None, key_extra: str) -> None:
        self.directory = directory
        self.key_extra = key_extra
        if directory:
            directory.mkdir(parents=True, exist_ok=True)

    def key(self, digest: str) -> str:
        """Cache key of a file with content hash `digest` under this build's parser/tokenizer options."""
        return hashlib.sha256((digest + "|" + self.key_extra).encode()).hexdigest()

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

    def prune(self, keep_digests: set[str]) -> int:
        """Remove the entries of every file version except `keep_digests` (content hashes); returns how many.
        Entries written under other options are removed too: this cache serves this build's options only."""
        if not self.directory:
            return 0
        keep = {f"{self.key(d)}.json.gz" for d in keep_digests}
        removed = 0
        for entry in self.directory.glob("*.json.gz"):
            if entry.name not in keep:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed

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
            stamp = file_stamp(path)
            data = path.read_bytes()
        except OSError as exc:
            skipped.append({"file": str(path), "reason": f"unreadable / 읽을 수 없음: {exc}", "sha256": ""})
            continue
        digest = content_digest(data)
        key = cache.key(digest)
        hit = cache.get(key)
        if hit is not None:
            pf = ParsedFile.from_json(hit, str(path))
            pf.digest, pf.stamp = digest, stamp
            parsed.append(pf)
            reused += 1
            continue
        report = parse_source(path)
        if report.error or report.statute is None:
            skipped.append({"file": str(path), "reason": report.error or "no statute / 법령 정보 없음",
                            "sha256": digest})
            continue
        chunks = indexable_chunks(report.articles, opts.max_chars)
        pf = ParsedFile(str(path), report.statute, report.articles, chunks, [], digest, stamp)
        parsed.append(pf)
        pending.append((pf, key))
    _tokenize_pending(pending, cache, opts)
    return parsed, skipped, reused


def _tokenize_pending(pending: list[tuple[ParsedFile, str]], cache: FileCache, opts: IngestOptions) -> None:
    by_doc = {a.doc_id: a for pf, _ in pending for a in pf.articles}
    texts = [chunk_index_text(c, by_doc[c.doc_id], opts.title_boost) for pf, _ in pending for c in pf.chunks]
    if not texts:
        return
    tokens_iter = iter(tokenize_index_texts(texts, opts.progress))
    for pf, key in pending:
        pf.tokens = [next(tokens_iter) for _ in pf.chunks]
        cache.put(key, pf.to_json())


# ---------------------------------------------------------------------------------------------- PDF versions


@dataclass(frozen=True)
class PdfLink:
    """What a PDF statute is in a corpus: a version of `law_id`, or (`same_as`) a copy of a version it holds."""

    law_id: str
    same_as: Statute | None = None


def _same_number(a: str, b: str) -> bool:
    """공포번호 as printed (`제21454호`) and as legalize-kr stores it (`'00467'`) compare by value."""
    a, b = a.strip().lstrip("0"), b.strip().lstrip("0")
    return not a or not b or a == b


def link_pdf(pdf: Statute, known: Sequence[tuple[Statute, bool]]) -> PdfLink:
    """Which law a PDF print belongs to, among the non-PDF statute versions `known` (with repeal-stub flags).

    The title identifies the law (a repeal stub of the same title never does, as for citations); the print's
    `[시행 …] [법률 제N호, …]` line identifies the version: the same 시행일자 and 공포번호 as a version the corpus
    holds makes the PDF that version again, any other date a version of its own under the law's 법령ID.
    A law the corpus does not hold stays a statute of its own (`pdf-<title>`).
    """
    from ingest.pdf_source import pdf_law_id

    same_title = [(s, stub) for s, stub in known if not s.from_pdf and s.key == pdf.key]
    live = [v for v in same_title if not v[1]] or same_title
    if not live:
        return PdfLink(pdf_law_id(pdf.title))
    # one title under two 법령IDs: the law whose newest version is newest
    law_id = max(live, key=lambda v: (v[0].effective or date.min, v[0].law_id))[0].law_id
    for s, _ in live:
        if s.law_id == law_id and s.effective == pdf.effective and _same_number(s.promulgation_no,
                                                                                 pdf.promulgation_no):
            return PdfLink(law_id, s)
    return PdfLink(law_id)


def as_version_of(pf: ParsedFile, law_id: str) -> None:
    """Move a parsed PDF under another 법령ID (its statute and articles; chunks and tokens do not name it)."""
    if pf.statute.law_id == law_id:
        return
    pf.statute = replace(pf.statute, law_id=law_id)
    pf.articles = [replace(a, law_id=law_id) for a in pf.articles]


def link_pdf_files(
    parsed: Sequence[ParsedFile], known: Sequence[tuple[Statute, bool]] = ()
) -> tuple[list[ParsedFile], list[tuple[ParsedFile, str]]]:
    """Make each parsed PDF a version of the corpus law it prints (see `link_pdf`).

    `known`: statute versions held elsewhere (an update's unchanged files). Returns the files to index and the
    PDFs that only repeat a version the corpus holds, with the reason; the Markdown copy is kept, since its
    법령MST is law.go.kr's own.
    """
    known = [*known, *((pf.statute, is_repeal_stub(pf.articles)) for pf in parsed if not pf.statute.from_pdf)]
    kept: list[ParsedFile] = []
    same: list[tuple[ParsedFile, str]] = []
    for pf in parsed:
        if not pf.statute.from_pdf:
            kept.append(pf)
            continue
        link = link_pdf(pf.statute, known)
        if link.same_as is not None:
            same.append((pf, f"same version as {link.same_as.path} (법령MST {link.same_as.mst}) "
                             "/ 이미 있는 법령과 같은 시행일·공포번호의 PDF"))
            continue
        as_version_of(pf, link.law_id)
        kept.append(pf)
    return kept, same


def stale_pdf_link(kept: Sequence[tuple[Statute, bool]], parsed: Sequence[ParsedFile]) -> str:
    """Why an update cannot keep the stored PDF versions `kept` as they are ('' when it can): a change of
    the Markdown files makes one of them belong to another law, or a copy of a version."""
    known = [v for v in kept if not v[0].from_pdf]
    known += [(pf.statute, is_repeal_stub(pf.articles)) for pf in parsed if not pf.statute.from_pdf]
    for st, _ in kept:
        if not st.from_pdf:
            continue
        link = link_pdf(st, known)
        if link.same_as is not None or link.law_id != st.law_id:
            return f"the PDF {st.path} now belongs to another statute version: full build"
    return ""
