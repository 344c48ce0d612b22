"""The on-disk index format: file names, manifest.json with checksums, verification and atomic publish.

An index name (e.g. `index/default`) is a symbolic link to a complete build directory
(`index/.default.builds/<build-id>`). A build is written in full, checksummed, then published by replacing
the link with os.replace, which is atomic: a reader sees the old build or the new one, never half of one,
and a build killed midway leaves only an unreferenced directory that the next build removes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# 2: BM25 term counts, chunk table and source-file table (incremental rebuilds); 3: articles carry their own
# 시행일 from the 부칙 (store columns effective, effective_note) and PDF 법령MSTs hold no ':'
FORMAT_VERSION = 3
MANIFEST = "manifest.json"
DENSE_FILE = "dense.faiss"
EMBEDDER_DIR = "embedder"
CHUNKS_FILE = "chunks.json"  # row -> (article doc_id, piece) for the BM25 and FAISS rows
FILES_FILE = "files.json"  # every source file of the build: content hash, status, its rows
# Court decisions, when ingested (legal_rag.precedents): their own store, BM25 and file table in this folder of
# the build, checksummed in the same manifest (artifact_files walks sub-folders).
PRECEDENTS_DIR = "precedents"


class IndexIntegrityError(RuntimeError):
    """The index on disk does not match its manifest (missing, truncated or tampered artifact)."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def artifact_files(directory: Path) -> list[str]:
    """Every file of a build except the manifest, as sorted relative POSIX paths."""
    return sorted(
        p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST
    )


@dataclass
class Manifest:
    corpus: list[str]
    corpus_snapshot: str
    files: int
    statutes: int
    articles: int
    addenda: int
    chunks: int
    skipped: list[dict[str, str]]
    tokenizer: str
    embedder: dict[str, Any]
    dense: dict[str, Any]
    build_seconds: float
    built_at: str
    checksums: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    build_id: str = ""
    options: dict[str, Any] = field(default_factory=dict)  # build options and host, for reproducibility

    def write(self, directory: Path, reuse: dict[str, str] | None = None) -> None:
        """Checksum every artifact and write manifest.json. `reuse` (name -> sha256, from a previous manifest)
        skips hashing files hard-linked unchanged from that build; a file whose size differs is hashed."""
        known = reuse or {}
        sizes = dict(self.sizes)
        self.checksums = {
            name: known[name] if name in known and sizes.get(name) == (directory / name).stat().st_size
            else sha256_file(directory / name)
            for name in artifact_files(directory)
        }
        self.sizes = {name: (directory / name).stat().st_size for name in self.checksums}
        tmp = directory / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(self.__dict__, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, directory / MANIFEST)

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST
        if not path.is_file():
            raise IndexIntegrityError(f"no manifest in {directory} / 색인 매니페스트가 없습니다")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except (ValueError, TypeError) as exc:
            raise IndexIntegrityError(f"unreadable manifest {path}: {exc} / 매니페스트를 읽을 수 없습니다") from exc


def write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_chunk_table(directory: Path, doc_ids: list[str], pieces: list[int]) -> None:
    write_json(directory / CHUNKS_FILE, {"doc_ids": doc_ids, "pieces": pieces})


def read_chunk_table(directory: Path) -> tuple[list[str], list[int]]:
    """(article doc_id, piece) of every retrieval row, in row order."""
    table = read_json(directory / CHUNKS_FILE)
    return list(table["doc_ids"]), [int(p) for p in table["pieces"]]


@dataclass
class SourceRecord:
    """One source file of a build (files.json): what it was, what became of it, which rows are its chunks."""

    path: str
    sha256: str
    status: str  # 'indexed' (in the store; `rows` are its retrieval rows), 'skipped' or 'duplicate'
    mst: str = ""
    rows: tuple[int, int] = (0, 0)  # [start, end) in the chunk table, BM25 and FAISS
    reason: str = ""
    stamp: tuple[int, int] = (0, 0)  # (size, mtime_ns) when read; (0, 0): unknown, always re-hashed


def write_source_table(directory: Path, records: list[SourceRecord]) -> None:
    write_json(directory / FILES_FILE, [
        {"path": r.path, "sha256": r.sha256, "status": r.status, "mst": r.mst, "rows": list(r.rows),
         "reason": r.reason, "stamp": list(r.stamp)} for r in records
    ])


def _stamp(value: Any) -> tuple[int, int]:
    return (int(value[0]), int(value[1])) if isinstance(value, list) and len(value) == 2 else (0, 0)


def read_source_table(directory: Path) -> list[SourceRecord]:
    return [
        SourceRecord(d["path"], d["sha256"], d["status"], d.get("mst", ""), (int(d["rows"][0]), int(d["rows"][1])),
                     d.get("reason", ""), _stamp(d.get("stamp")))
        for d in read_json(directory / FILES_FILE)
    ]


def verify_index(directory: Path) -> Manifest:
    """Check every artifact against the manifest; raise IndexIntegrityError on any difference."""
    directory = resolve_index(directory)
    manifest = Manifest.read(directory)
    if manifest.format_version != FORMAT_VERSION:
        raise IndexIntegrityError(
            f"index format {manifest.format_version}, expected {FORMAT_VERSION}: rebuild with `legal-rag ingest` "
            "/ 색인 형식이 다릅니다. 다시 만드십시오"
        )
    present = set(artifact_files(directory))
    missing = sorted(set(manifest.checksums) - present)
    extra = sorted(present - set(manifest.checksums))
    if missing or extra:
        raise IndexIntegrityError(f"index files differ from manifest (missing {missing}, unexpected {extra}) "
                                  "/ 색인 파일이 매니페스트와 다릅니다")
    for name, digest in manifest.checksums.items():
        path = directory / name
        if path.stat().st_size != manifest.sizes.get(name, -1) or sha256_file(path) != digest:
            raise IndexIntegrityError(f"checksum mismatch for {name}: truncated or modified "
                                      "/ 체크섬 불일치: 손상되었거나 변경된 파일")
    return manifest


def resolve_index(path: Path) -> Path:
    return path.resolve() if path.is_symlink() else path


def builds_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.builds"


def new_build_dir(out: Path) -> Path:
    """A fresh directory beside `out` to build into; stale unfinished builds are removed first."""
    root = builds_dir(out)
    root.mkdir(parents=True, exist_ok=True)
    current = resolve_index(out) if out.exists() else None
    for old in root.iterdir():
        if old.is_dir() and old != current and not (old / MANIFEST).exists():
            shutil.rmtree(old, ignore_errors=True)
    build = Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%dT%H%M%S-"), dir=root))
    return build


def publish(build: Path, out: Path, keep: int = 1) -> None:
    """Point `out` at `build` atomically and drop older builds beyond `keep` previous ones."""
    previous = resolve_index(out) if out.is_symlink() else None
    if out.exists() and not out.is_symlink():
        # A plain directory from elsewhere: move it aside (not atomic, but nothing is deleted before the swap).
        aside = builds_dir(out) / f"legacy-{int(time.time())}"
        os.replace(out, aside)
        previous = aside
    link_tmp = out.parent / f".{out.name}.link-{os.getpid()}"
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    os.symlink(os.path.relpath(build, out.parent), link_tmp)
    os.replace(link_tmp, out)
    finished = sorted(
        (d for d in builds_dir(out).iterdir() if d.is_dir() and d != build and (d / MANIFEST).exists()),
        key=lambda d: d.stat().st_mtime,
    )
    keep_set = {previous} if previous and keep > 0 else set()
    for old in finished:
        if old not in keep_set:
            shutil.rmtree(old, ignore_errors=True)
