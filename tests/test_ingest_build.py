"""The ingest job end to end on real statutes: index layout, manifest, skips, caching, atomic publish."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.build import IngestError, IngestOptions, build_index
from legal_rag.bm25 import BM25Index
from legal_rag.index_format import (
    IndexIntegrityError,
    Manifest,
    builds_dir,
    read_chunk_table,
    read_source_table,
    resolve_index,
    verify_index,
)
from legal_rag.store import STORE_FILE, ArticleStore
from legal_rag.tokenizer import TOKENIZER_ID, tokenize

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def small_corpus(tmp_path: Path, law_dir: Path) -> Path:
    root = tmp_path / "corpus" / "kr"
    for law in ("민법", "약관의규제에관한법률"):
        shutil.copytree(law_dir / law, root / law)
    return tmp_path / "corpus"


def _opts(corpus: Path, out: Path, **kw) -> IngestOptions:
    return IngestOptions(corpus=[corpus], out=out, progress=False, **{"embedder": "none", **kw})


def test_build_writes_checksummed_index(small_corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "index" / "default"
    summary = build_index(_opts(small_corpus, out))
    assert out.is_symlink() and summary.statutes == 3
    manifest = verify_index(out)
    assert manifest.articles == summary.articles > 1200
    assert set(manifest.checksums) == {"articles.sqlite", "bm25_counts.npz", "bm25_vocab.json", "chunks.json",
                                       "files.json", "citation_edges.json", "citation_graph.json"}
    assert manifest.tokenizer == TOKENIZER_ID and manifest.embedder == {"id": "none"}
    store = ArticleStore(resolve_index(out) / STORE_FILE)
    titles = {s.title for s, _ in store.statutes()}
    assert titles == {"민법", "약관의 규제에 관한 법률", "약관의 규제에 관한 법률 시행령"}
    # BM25 finds 민법 제839조의2 by its number and by its words
    bm25 = BM25Index.load(resolve_index(out))
    ids, _ = read_chunk_table(resolve_index(out))
    for query in ("제839조의2", "이혼한 자의 재산분할청구권"):
        assert ids[int(bm25.score(tokenize(query)).argmax())].endswith(":제839조의2")
    # 부칙 and 삭제 articles are in the store but not in the retrieval index
    assert not any("부칙" in d for d in ids)
    assert store.article("284415:제436조").deleted and "284415:제436조" not in ids


def test_corrupt_and_malformed_files_are_skipped_with_reasons(small_corpus: Path, tmp_path: Path) -> None:
    (small_corpus / "kr" / "민법" / "broken.md").write_text("no frontmatter at all", encoding="utf-8")
    (small_corpus / "kr" / "민법" / "corrupt.pdf").write_bytes(b"%PDF-1.4\n garbage \x00\x01")
    out = tmp_path / "index" / "default"
    summary = build_index(_opts(small_corpus, out))
    reasons = {Path(s["file"]).name: s["reason"] for s in summary.skipped}
    assert set(reasons) == {"broken.md", "corrupt.pdf"}
    assert "frontmatter" in reasons["broken.md"]
    assert summary.statutes == 3  # the rest is indexed
    assert Manifest.read(resolve_index(out)).skipped == summary.skipped


def test_reingest_reuses_unchanged_files(small_corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "index" / "default"
    first = build_index(_opts(small_corpus, out))
    assert first.reused_files == 0
    law = small_corpus / "kr" / "약관의규제에관한법률" / "법률.md"
    law.write_text(law.read_text(encoding="utf-8").replace("이 법은 사업자가", "이 법은 모든 사업자가"), encoding="utf-8")
    second = build_index(_opts(small_corpus, out))
    assert second.reused_files == 2 and second.articles == first.articles
    store = ArticleStore(resolve_index(out) / STORE_FILE)
    purpose = next(a for a in store.articles_of(next(s.mst for s, _ in store.statutes() if s.title == "약관의 규제에 관한 법률"))
                   if a.number == "제1조")
    assert "모든 사업자가" in purpose.text
    # the previous build is kept as the one fallback, older ones are removed
    assert len([d for d in builds_dir(out).iterdir() if (d / "manifest.json").exists()]) == 2


def test_no_files_and_unwritable_output_give_clear_errors(tmp_path: Path, small_corpus: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(IngestError, match="no statute files"):
        build_index(_opts(tmp_path / "empty", tmp_path / "index" / "x"))
    if os.geteuid() == 0:
        # root ignores permission bits; an output parent that is a file is unwritable for everyone
        blocker = tmp_path / "blocker"
        blocker.write_text("")
        with pytest.raises((IngestError, OSError)):
            build_index(_opts(small_corpus, blocker / "index"))
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        with pytest.raises(IngestError, match="not writable"):
            build_index(_opts(small_corpus, ro / "index"))


def test_tampered_index_fails_verification(small_corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "index" / "default"
    build_index(_opts(small_corpus, out))
    target = resolve_index(out) / "bm25_vocab.json"
    data = bytearray(target.read_bytes())
    data[10] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(IndexIntegrityError, match="checksum mismatch"):
        verify_index(out)


def test_killed_build_leaves_previous_index_loadable(small_corpus: Path, tmp_path: Path, law_dir: Path) -> None:
    out = tmp_path / "index" / "default"
    build_index(_opts(small_corpus, out))
    before = resolve_index(out)
    shutil.copytree(law_dir / "상법", small_corpus / "kr" / "상법")  # more work, so the kill lands mid-build
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest", "--corpus", str(small_corpus), "--out", str(out), "--embedder", "none",
         "--no-progress", "--cache-dir", str(tmp_path / "fresh-cache")],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    partial = None
    while time.monotonic() < deadline and proc.poll() is None:
        fresh = [d for d in builds_dir(out).iterdir() if d != before and d.is_dir()]
        if fresh:
            partial = fresh[0]
            break
        time.sleep(0.01)
    assert partial is not None, "the build finished or failed before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert resolve_index(out) == before  # the link still points at the previous complete build
    verify_index(out)
    assert not (partial / "manifest.json").exists()
    # the next build cleans the unfinished directory away and publishes
    build_index(_opts(small_corpus, out))
    assert not partial.exists()
    assert json.loads((resolve_index(out) / "manifest.json").read_text(encoding="utf-8"))["statutes"] == 5


# ---------------------------------------------------------------------------------------------- incremental


def _index_contents(out: Path) -> dict:
    """What a user of the index sees: chunk rows, BM25 scores, vectors, store rows, manifest counts."""
    import sqlite3

    import numpy as np

    from legal_rag.dense import DenseIndex

    d = resolve_index(out)
    verify_index(out)
    bm25 = BM25Index.load(d)
    queries = ("이혼한 자의 재산분할청구권", "모든 사업자가 약관을 작성", "요양급여비용의 산정", "제839조의2")
    con = sqlite3.connect(d / STORE_FILE)
    rows = sorted(con.execute("SELECT doc_id, text, is_addendum FROM articles").fetchall())
    statutes = sorted(r[0] for r in con.execute("SELECT title FROM statutes"))
    con.close()
    m = Manifest.read(d)
    dense = DenseIndex.load(d, use_gpu=False) if (d / "dense.faiss").exists() else None
    return {
        "chunks": read_chunk_table(d),
        "scores": [np.round(bm25.score(tokenize(q)), 5).tolist() for q in queries],
        "vectors": None if dense is None else np.round(dense.vectors(), 5).tolist(),
        "articles": rows,
        "statutes": statutes,
        "counts": (m.files, m.statutes, m.articles, m.addenda, m.chunks, m.skipped),
    }


def test_update_after_changes_equals_a_full_build(small_corpus: Path, tmp_path: Path, law_dir: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from legal_rag import dense

    monkeypatch.setattr(dense, "IVF_THRESHOLD", 500)  # exercise the IVF path on a small corpus
    cache = tmp_path / "cache"
    out = tmp_path / "index" / "inc"
    first = build_index(_opts(small_corpus, out, embedder="kiwi-static", cache_dir=cache))
    assert first.mode == "full" and first.fallback_reason == "no previous index"
    base = dense.DenseIndex.load(resolve_index(out), use_gpu=False)
    assert base.kind == "ivf"

    law = small_corpus / "kr" / "약관의규제에관한법률" / "법률.md"
    law.write_text(law.read_text(encoding="utf-8").replace("이 법은 사업자가", "이 법은 모든 사업자가"), encoding="utf-8")
    (small_corpus / "kr" / "약관의규제에관한법률" / "시행령.md").unlink()
    shutil.copytree(law_dir / "국민건강보험법", small_corpus / "kr" / "국민건강보험법")
    update = build_index(_opts(small_corpus, out, embedder="kiwi-static", cache_dir=cache))
    assert (update.mode, update.changed_files, update.removed_files) == ("incremental", 4, 1)
    assert update.reused_files == 1  # 민법 carried over untouched
    assert "국민건강보험법" in {s for s in _index_contents(out)["statutes"]}

    full_out = tmp_path / "index" / "full"
    full = build_index(_opts(small_corpus, full_out, embedder="kiwi-static", cache_dir=cache, full=True))
    assert full.mode == "full" and (full.statutes, full.articles, full.chunks) == (
        update.statutes, update.articles, update.chunks)
    assert _index_contents(out) == _index_contents(full_out)
    # The citation graph: the update re-mined the changed files only and re-counted, to the full build's bytes.
    for name in ("citation_edges.json", "citation_graph.json"):
        assert (resolve_index(out) / name).read_bytes() == (resolve_index(full_out) / name).read_bytes(), name
    # The update kept the IVF centroids of the first build and only assigned the new vectors.
    updated = dense.DenseIndex.load(resolve_index(out), use_gpu=False)
    assert updated.kind == "ivf"
    assert np_equal(updated.ivf_contents()[1], base.ivf_contents()[1])
    # files.json: every file in path order, each indexed file's rows following the previous one's
    records = read_source_table(resolve_index(out))
    assert [r.path for r in records] == sorted(r.path for r in records)
    indexed = [r for r in records if r.status == "indexed"]
    assert indexed[0].rows[0] == 0 and indexed[-1].rows[1] == update.chunks
    assert all(a.rows[1] == b.rows[0] for a, b in zip(indexed, indexed[1:], strict=False))


def np_equal(a, b) -> bool:  # type: ignore[no-untyped-def]
    import numpy as np

    return bool(np.array_equal(a, b))


def test_unchanged_corpus_is_not_rebuilt(small_corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "index" / "default"
    first = build_index(_opts(small_corpus, out))
    again = build_index(_opts(small_corpus, out))
    assert again.mode == "unchanged" and again.build_dir == first.build_dir
    assert again.articles == first.articles and resolve_index(out) == Path(first.build_dir)
    # touched but not changed: its size/mtime differ from files.json, so it is hashed again, and still unchanged
    law = small_corpus / "kr" / "민법" / "법률.md"
    os.utime(law, ns=(law.stat().st_atime_ns, law.stat().st_mtime_ns + 5_000_000_000))
    assert build_index(_opts(small_corpus, out)).mode == "unchanged"
    # same size, same mtime, different bytes would be trusted (as make and git do); a real edit is seen
    law.write_text(law.read_text(encoding="utf-8").replace("신의에 좇아", "신의에 따라"), encoding="utf-8")
    assert build_index(_opts(small_corpus, out)).mode == "incremental"


def test_update_falls_back_to_a_full_build_when_it_cannot_be_exact(small_corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "index" / "default"
    build_index(_opts(small_corpus, out))
    # other options change every chunk
    other = build_index(_opts(small_corpus, out, max_chars=800))
    assert other.mode == "full" and "options changed" in other.fallback_reason
    # a second copy of a statute version (same 법령MST): which copy wins is a full build's decision
    copy = small_corpus / "kr" / "민법" / "복사본.md"
    shutil.copy(small_corpus / "kr" / "민법" / "법률.md", copy)
    dup = build_index(_opts(small_corpus, out, max_chars=800))
    assert dup.mode == "full" and "법령MST" in dup.fallback_reason
    # a damaged previous build is never carried over
    with (resolve_index(out) / "bm25_counts.npz").open("r+b") as f:
        f.truncate(100)
    law = small_corpus / "kr" / "민법" / "법률.md"
    law.write_text(law.read_text(encoding="utf-8").replace("신의에 좇아", "신의에 따라"), encoding="utf-8")
    repaired = build_index(_opts(small_corpus, out, max_chars=800))
    assert repaired.mode == "full" and "damaged (bm25_counts.npz" in repaired.fallback_reason
    verify_index(out)
    assert [s["file"] for s in dup.skipped] == [str(copy.resolve())] and "중복" in dup.skipped[0]["reason"]


def test_a_file_that_turns_malformed_is_reported_and_the_rest_kept(small_corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "index" / "default"
    first = build_index(_opts(small_corpus, out))
    bad = small_corpus / "kr" / "약관의규제에관한법률" / "시행령.md"
    bad.write_text("---\n제목: [unterminated\n", encoding="utf-8")
    update = build_index(_opts(small_corpus, out))
    assert update.mode == "incremental" and [s["file"] for s in update.skipped] == [str(bad.resolve())]
    assert update.statutes == first.statutes - 1
    contents = _index_contents(out)
    assert "약관의 규제에 관한 법률 시행령" not in contents["statutes"] and "민법" in contents["statutes"]


def test_cli_says_what_each_run_did_and_prunes_the_cache(small_corpus: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from legal_rag.cli import main

    out, cache = tmp_path / "index" / "default", tmp_path / "cache"
    args = ["ingest", "--corpus", str(small_corpus), "--out", str(out), "--cache-dir", str(cache),
            "--embedder", "none", "--no-progress"]
    assert main(args) == 0
    assert "full build (no previous index)" in capsys.readouterr().out
    assert main(args) == 0
    assert "is up to date" in capsys.readouterr().out
    law = small_corpus / "kr" / "약관의규제에관한법률" / "법률.md"
    law.write_text(law.read_text(encoding="utf-8").replace("이 법은 사업자가", "이 법은 모든 사업자가"), encoding="utf-8")
    entries = set((cache / "files").glob("*.json.gz"))
    assert len(entries) == 3
    assert main([*args, "--prune-cache"]) == 0
    printed = capsys.readouterr().out
    assert "updated for 1 changed and 0 removed files" in printed
    assert "cache: removed 1 entries" in printed  # the old version of the amended law
    after = set((cache / "files").glob("*.json.gz"))
    assert len(after) == 3 and len(after & entries) == 2


def test_cli_without_a_terminal_prints_a_line_per_stage(small_corpus: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Output to a file or CI log: no progress bars, but one line as each stage ends (not minutes of nothing)."""
    from legal_rag.cli import main

    out = tmp_path / "index" / "default"
    assert main(["ingest", "--corpus", str(small_corpus), "--out", str(out), "--embedder", "none"]) == 0
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("ingest: ")]
    assert lines[0] == f"ingest: {small_corpus} -> {out} (one line per stage)"
    stages = [ln.split()[1] for ln in lines[1:]]
    assert stages[:3] == ["hash", "parse+tokenize", "store"] or stages[:2] == ["parse+tokenize", "store"]
    assert stages[-1] == "publish" and all(" done in " in ln for ln in lines[1:])


def test_faiss_loader_info_lines_are_kept_out_of_normal_output() -> None:
    """faiss logs 'Could not load library with AVX512 support' at INFO while picking its generic build."""
    code = ("import logging, sys; logging.basicConfig(level=logging.INFO); "
            "from legal_rag.logs import quiet_third_party_logs; "
            "quiet_third_party_logs() if sys.argv[1] == 'quiet' else None; import faiss")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    loud = subprocess.run([sys.executable, "-c", code, "loud"], capture_output=True, text=True, env=env, check=True)
    quiet = subprocess.run([sys.executable, "-c", code, "quiet"], capture_output=True, text=True, env=env, check=True)
    assert "Loading faiss" in loud.stderr  # the noise exists without the filter
    assert "faiss" not in quiet.stderr and "AVX" not in quiet.stderr
