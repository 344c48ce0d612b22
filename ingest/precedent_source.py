"""Court decisions in the ingest job: precedent-kr files -> decisions.sqlite + BM25 over their issues.

The precedent part of a build lives in `<build>/precedents/` and is checksummed in the build's manifest like
every other artifact, so it is published atomically with the statutes. It is built after the statute store,
because 참조조문 are resolved against that store (legal_rag.precedents.parse).

Updates. Parsing and tokenising a decision file is cached by content hash (like statute files); resolving
citations and writing the store and BM25 are redone whenever the precedent part is rebuilt, which happens
- on every statute build or update (the articles decisions resolve to may have changed), and
- when only decision files changed (or the exclude list): a new build with the statute artifacts hard-linked
  from the previous one and the precedent part rebuilt (`update_precedents_only`).
So a changed decision file never needs a statute rebuild, but the precedent part is rebuilt whole (from
cache) rather than patched row by row; docs/precedents.md says what that costs at full scale.

Bad files are reported with the file and the reason and skipped: no frontmatter, no 판시사항/판결요지,
a malformed 사건번호, an unparseable 참조조문 group, two files with the same source path.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ingest.options import IngestError, IngestOptions, IngestSummary
from ingest.output import new_build
from ingest.sources import FileCache, content_digest, file_stamp
from legal_rag.bm25 import BM25Counts
from legal_rag.citations import LawCatalog
from legal_rag.index_format import FILES_FILE, MANIFEST, PRECEDENTS_DIR, Manifest, publish, read_json, write_json
from legal_rag.precedents.model import Decision
from legal_rag.precedents.parse import DecisionFormatError, parse_decision_markdown, resolve_statute_citations
from legal_rag.precedents.store import DECISIONS_FILE, write_decision_store
from legal_rag.store import STORE_FILE, ArticleStore
from legal_rag.tokenizer import TOKENIZER_ID, iter_tokenize
from legal_rag.versions import today_kst

log = logging.getLogger(__name__)

PRECEDENT_PARSER = "prec1"
MAX_DECISION_BYTES = 20 * 1024 * 1024  # a decision is tens of KB; anything this large is not one


@dataclass
class DecisionFile:
    source: str  # path relative to its collection root (the eval sets' `source`)
    path: Path
    digest: str
    stamp: tuple[int, int]
    decision: Decision | None = None
    tokens: list[list[str]] = field(default_factory=list)  # per issue


def discover_decisions(dirs: list[Path]) -> list[tuple[str, Path]]:
    """(source, path) of every decision file under the given collection roots, sorted by source."""
    found: dict[str, Path] = {}
    dup: list[tuple[str, Path]] = []
    for root in dirs:
        if not root.is_dir():
            raise IngestError(f"precedent folder not found: {root} / 판례 폴더가 없습니다")
        for p in sorted(root.rglob("*.md")):
            if p.name == "README.md" or not p.is_file():
                continue
            source = p.relative_to(root).as_posix()
            if source in found:
                dup.append((source, p))
                continue
            found[source] = p
    out = sorted(found.items())
    # a second file with the same source path is reported by load_decisions as a duplicate
    return out + [(f"{s}#dup{i}", p) for i, (s, p) in enumerate(dup)]


def read_exclude_list(path: Path | None) -> set[str]:
    """Sources to leave out: one path per line, or JSON lines with a "source" field (an eval set itself)."""
    if path is None:
        return set()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise IngestError(f"cannot read exclude list {path}: {exc} / 제외 목록을 읽을 수 없습니다") from exc
    out: set[str] = set()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("{"):
            try:
                value = json.loads(line).get("source")
            except (ValueError, AttributeError):
                raise IngestError(f"{path}: not JSON: {line[:60]} / JSON 형식 오류") from None
            if value:
                out.add(str(value))
        else:
            out.add(line)
    return out


def precedent_cache(cache_dir: Path | None) -> FileCache:
    return FileCache(cache_dir / "precedents" if cache_dir else None, f"{PRECEDENT_PARSER}|{TOKENIZER_ID}")


def load_decisions(
    files: list[tuple[str, Path]], excluded: set[str], cache: FileCache
) -> tuple[list[DecisionFile], list[dict[str, Any]], int]:
    """Parse (or take from cache) and tokenise every decision; returns (decisions, file records of the skipped
    and excluded, files reused from cache)."""
    out: list[DecisionFile] = []
    records: list[dict[str, Any]] = []
    pending: list[tuple[DecisionFile, str]] = []
    reused = 0
    for source, path in files:
        if "#dup" in source:
            records.append({"source": source.split("#dup")[0], "path": str(path), "sha256": "",
                            "status": "duplicate", "reason": "same source path in two precedent folders / 중복"})
            continue
        if source in excluded:
            records.append({"source": source, "path": str(path), "sha256": "", "status": "excluded",
                            "reason": "in the exclude list / 제외 목록"})
            continue
        try:
            stamp = file_stamp(path)
            if stamp[0] > MAX_DECISION_BYTES:
                raise DecisionFormatError(f"file too large ({stamp[0]} bytes) / 파일이 너무 큽니다")
            data = path.read_bytes()
            digest = content_digest(data)
        except (OSError, DecisionFormatError) as exc:
            records.append({"source": source, "path": str(path), "sha256": "", "status": "skipped",
                            "reason": f"unreadable / 읽을 수 없음: {exc}"})
            continue
        df = DecisionFile(source, path, digest, stamp)
        key = cache.key(digest + "|" + source)
        hit = cache.get(key)
        if hit is not None:
            df.decision = Decision.from_json(hit["decision"])
            df.tokens = hit["tokens"]
            out.append(df)
            reused += 1
            continue
        try:
            df.decision = parse_decision_markdown(data.decode("utf-8"), source)
        except UnicodeDecodeError:
            records.append({"source": source, "path": str(path), "sha256": digest, "status": "skipped",
                            "reason": "not UTF-8 text / UTF-8 텍스트가 아닙니다"})
            continue
        except DecisionFormatError as exc:
            records.append({"source": source, "path": str(path), "sha256": digest, "status": "skipped",
                            "reason": str(exc)})
            continue
        out.append(df)
        pending.append((df, key))
    texts = [i.text for df, _ in pending for i in df.decision.issues]  # type: ignore[union-attr]
    tokens = iter(iter_tokenize(texts))
    for df, key in pending:
        df.tokens = [next(tokens) for _ in df.decision.issues]  # type: ignore[union-attr]
        cache.put(key, {"decision": df.decision.to_json(), "tokens": df.tokens})  # type: ignore[union-attr]
    return out, records, reused


def _file_table(build: Path) -> list[dict[str, Any]]:
    path = build / PRECEDENTS_DIR / FILES_FILE
    return list(read_json(path)) if path.is_file() else []


def build_precedent_part(build: Path, opts: IngestOptions, cache_dir: Path | None,
                         as_of: date | None = None) -> dict[str, Any]:
    """Write `<build>/precedents/` from opts.precedents against the statute store already in `build`.
    Returns the summary recorded in the manifest ({} when no precedent folder was given)."""
    if not opts.precedents:
        return {}
    started = time.perf_counter()
    excluded = read_exclude_list(opts.exclude_sources)
    files = discover_decisions(opts.precedents)
    decisions, records, reused = load_decisions(files, excluded, precedent_cache(cache_dir))
    store = ArticleStore(build / STORE_FILE)
    try:
        catalog = LawCatalog.from_store(store)
        day = as_of or today_kst()
        kept: list[tuple[DecisionFile, Decision]] = []
        memo: dict[str, Any] = {}
        for df in decisions:
            assert df.decision is not None
            try:
                cits = resolve_statute_citations(df.decision, catalog, store, day, memo)
            except DecisionFormatError as exc:
                records.append({"source": df.source, "path": str(df.path), "sha256": df.digest, "status": "skipped",
                                "reason": str(exc)})
                continue
            d = df.decision
            kept.append((df, Decision(**{**d.__dict__, "citations": cits})))
    finally:
        store.close()
    out = build / PRECEDENTS_DIR
    out.mkdir(exist_ok=True)
    rows = write_decision_store(out / DECISIONS_FILE, (d for _df, d in kept))
    counts = BM25Counts.from_tokens([tok for df, _d in kept for tok in df.tokens])
    if counts.n_docs != rows:
        raise AssertionError(f"precedent BM25 has {counts.n_docs} rows, the store {rows}")
    counts.save(out)
    records += [{"source": df.source, "path": str(df.path), "sha256": df.digest, "status": "indexed", "reason": "",
                 "stamp": list(df.stamp)} for df, _d in kept]
    records.sort(key=lambda r: (r["source"], r["path"]))
    write_json(out / FILES_FILE, records)
    skipped = [{"file": r["path"], "source": r["source"], "reason": r["reason"]}
               for r in records if r["status"] in ("skipped", "duplicate")]
    for s in skipped:
        log.warning("decision skipped: %s: %s", s["file"], s["reason"])
    return {
        "folders": [str(p) for p in opts.precedents], "files": len(files), "decisions": len(kept), "issues": rows,
        "excluded": sum(1 for r in records if r["status"] == "excluded"), "skipped": skipped,
        "reused_files": reused, "exclude_list": str(opts.exclude_sources) if opts.exclude_sources else None,
        "seconds": round(time.perf_counter() - started, 2),
    }


def published_summary(build: Path) -> dict[str, Any]:
    """The precedent summary recorded in a published build's manifest ({} when it has no decisions)."""
    return dict(Manifest.read(build).options.get("precedents") or {})


def precedent_changes(opts: IngestOptions, previous: Path) -> str:
    """Why the precedent part of `previous` does not match opts ('' when it does): other folders or exclude
    list, or a decision file added, removed or changed."""
    manifest = Manifest.read(previous)
    had = manifest.options.get("precedents") or {}
    wanted_folders = [str(p) for p in opts.precedents]
    if not opts.precedents:
        return "precedent part dropped (no --precedents)" if had else ""
    if had.get("folders") != wanted_folders:
        return "precedent folders changed"
    if had.get("exclude_list") != (str(opts.exclude_sources) if opts.exclude_sources else None):
        return "exclude list changed"
    excluded = read_exclude_list(opts.exclude_sources)
    old = {r["source"]: r for r in _file_table(previous)}
    files = discover_decisions(opts.precedents)
    if {s for s, _p in files} != set(old):
        return "decision files added or removed"
    for source, path in files:
        r = old[source]
        if (r["status"] == "excluded") != (source in excluded):
            return "exclude list changed"
        if r["status"] == "excluded":
            continue
        try:
            stamp = file_stamp(path)
        except OSError:
            return f"{source} unreadable"
        if r.get("stamp") and tuple(r["stamp"]) == stamp:
            continue
        try:
            if content_digest(path.read_bytes()) != r["sha256"]:
                return f"{source} changed"
        except OSError:
            return f"{source} unreadable"
    return ""


def update_precedents_only(opts: IngestOptions, summary: IngestSummary, cache_dir: Path | None,
                           on_stage: Callable[[str], None] | None = None) -> IngestSummary:
    """The statutes are unchanged but the decisions are not: a new build with every statute artifact hard-linked
    from the published one and the precedent part rebuilt, published atomically with a fresh manifest."""
    previous = Path(summary.build_dir)
    manifest = Manifest.read(previous)
    started = time.perf_counter()
    with new_build(opts.out) as build:
        for f in previous.rglob("*"):
            rel = f.relative_to(previous)
            if rel.parts[0] in (PRECEDENTS_DIR, MANIFEST) or not f.is_file():
                continue
            target = build / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(f, target)
            except OSError:
                shutil.copy2(f, target)
        info = build_precedent_part(build, opts, cache_dir)
        reuse = {k: v for k, v in manifest.checksums.items() if not k.startswith(PRECEDENTS_DIR + "/")}
        manifest.options = {**manifest.options, "precedents": info}
        manifest.build_id = build.name
        manifest.built_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        manifest.build_seconds = round(time.perf_counter() - started, 2)
        manifest.write(build, reuse=reuse)
        publish(build, opts.out)
        if on_stage:
            on_stage("precedents")
    summary.build_dir = str(build)
    summary.mode = "precedents"
    summary.precedents = info
    summary.seconds = round(summary.seconds + time.perf_counter() - started, 2)
    return summary
