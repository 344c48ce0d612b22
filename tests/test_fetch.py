"""`legal-rag fetch`: the default list, copying from a checkout, cloning (local repositories only)."""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

import pytest

from corpus import fetch
from legal_rag.cli import main as cli_main


def _run(*argv: str | Path) -> int:
    parser = argparse.ArgumentParser()
    fetch.add_arguments(parser)
    return fetch.run(parser.parse_args([str(a) for a in argv]))


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _has_korean_and_english(text: str) -> bool:
    return any("가" <= ch <= "힣" for ch in text) and any(ch.isascii() and ch.isalpha() for ch in text)


def test_default_list_is_the_shared_statute_set(law_dir: Path) -> None:
    names = fetch.read_default_list()
    assert len(names) == 30
    assert sorted(names) == sorted(p.name for p in law_dir.iterdir() if p.is_dir())
    assert "민법" in names and "국민건강보험법" in names and "약관의규제에관한법률" in names


def test_list_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["fetch", "--list"]) == 0
    assert capsys.readouterr().out.split() == fetch.read_default_list()


def test_from_copies_the_default_statutes(corpus_dir: Path, tmp_path: Path, capsys) -> None:
    dest = tmp_path / "legalize-kr"
    assert _run("--from", corpus_dir, "--dest", dest) == 0
    assert "74" in capsys.readouterr().out
    want = _files(corpus_dir / "kr")
    got = _files(dest / "kr")
    assert got == want  # every file of the 30 statutes, byte for byte
    assert len(got) == 74 and "민법/법률.md" in got and "근로기준법/법률(법률).md" in got
    assert (dest / "SNAPSHOT").read_text().strip() == (corpus_dir / "SNAPSHOT").read_text().strip()
    assert (dest / "README.md").read_bytes() == (corpus_dir / "README.md").read_bytes()
    # the shared checkout is read-only; the copies must not be, or the next fetch could not replace them
    assert all(os.access(p, os.W_OK) for p in (dest / "kr").rglob("*"))

    # a second fetch replaces each statute directory whole and leaves other files alone
    (dest / "kr" / "민법" / "stale.md").write_text("removed upstream", encoding="utf-8")
    (dest / "notes.txt").write_text("mine", encoding="utf-8")
    assert _run("--from", corpus_dir, "--dest", dest) == 0
    assert not (dest / "kr" / "민법" / "stale.md").exists()
    assert (dest / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert _files(dest / "kr") == want


def test_from_the_kr_folder_with_a_custom_list(corpus_dir: Path, tmp_path: Path, capsys) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("# two statutes\n민법\n\n없는법률  # not in the checkout\n민법\n", encoding="utf-8")
    dest = tmp_path / "out"
    assert _run("--from", corpus_dir / "kr", "--dest", dest, "--list-file", listing) == 1
    err = capsys.readouterr().err
    assert "없는법률" in err and "missing" in err
    assert sorted(p.name for p in (dest / "kr").iterdir()) == ["민법"]  # copied once, despite the duplicate
    assert _files(dest / "kr" / "민법") == _files(corpus_dir / "kr" / "민법")


def test_from_a_folder_that_is_not_a_checkout(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _run("--from", empty, "--dest", tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert "legalize-kr" in err and _has_korean_and_english(err)
    assert not (tmp_path / "out").exists()


def test_dest_inside_the_source_is_refused(corpus_dir: Path, tmp_path: Path, capsys) -> None:
    src = tmp_path / "checkout"
    (src / "kr" / "민법").mkdir(parents=True)
    original = (corpus_dir / "kr" / "민법" / "법률.md").read_bytes()
    (src / "kr" / "민법" / "법률.md").write_bytes(original)
    listing = tmp_path / "list.txt"
    listing.write_text("민법\n", encoding="utf-8")
    for dest in (src, src / "nested"):
        assert _run("--from", src, "--dest", dest, "--list-file", listing) == 1
        assert "inside the source" in capsys.readouterr().err
    assert (src / "kr" / "민법" / "법률.md").read_bytes() == original  # nothing deleted


def test_clone_without_a_reachable_repository_says_what_to_do(tmp_path: Path, capsys) -> None:
    dest = tmp_path / "out"
    bogus = tmp_path / "no-such-repository.git"  # a local path: fails at once, no network involved
    assert _run("--clone", "--url", bogus, "--dest", dest, "--timeout", "60") == 1
    err = capsys.readouterr().err
    assert "could not clone" in err and "내려받지 못했습니다" in err
    assert "legal-rag fetch --from" in err and "오프라인" in err and "offline" in err
    assert "law.go.kr" in err
    assert not dest.exists()


def _git(*args: str, cwd: Path) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return out.stdout.strip()


def test_clone_from_a_local_repository(corpus_dir: Path, tmp_path: Path) -> None:
    """The success path of --clone, against a git repository on disk (file:// URL, so --depth applies)."""
    repo = tmp_path / "legalize-kr"
    for name in ("민법", "국민건강보험법"):
        (repo / "kr" / name).mkdir(parents=True)
        for f in (corpus_dir / "kr" / name).glob("*.md"):
            (repo / "kr" / name / f.name).write_bytes(f.read_bytes())
    _git("init", "-q", cwd=repo)
    _git("add", ".", cwd=repo)
    _git("commit", "-q", "-m", "snapshot", cwd=repo)
    head = _git("rev-parse", "HEAD", cwd=repo)
    listing = tmp_path / "list.txt"
    listing.write_text("민법\n국민건강보험법\n", encoding="utf-8")
    dest = tmp_path / "out"
    keep = tmp_path / "clone"
    url = repo.as_uri()
    assert _run("--clone", "--url", url, "--dest", dest, "--list-file", listing, "--keep-clone", keep) == 0
    assert _files(dest / "kr") == _files(repo / "kr")
    assert (dest / "SNAPSHOT").read_text(encoding="utf-8").startswith(head)
    assert (keep / ".git").is_dir()  # kept as asked
    # a clone into a folder that is not empty is refused before anything runs
    assert _run("--clone", "--url", url, "--dest", dest, "--list-file", listing, "--keep-clone", keep) == 1


REPO = Path(__file__).resolve().parents[1]


def _make(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=cwd, capture_output=True, text=True,
                          check=False)


def test_make_run_without_a_corpus_says_what_to_do_before_installing(tmp_path: Path) -> None:
    """A fresh clone with no ../shared: `make run` stops at the corpus check, before creating the venv."""
    clone = tmp_path / "clone"
    clone.mkdir()
    (clone / "Makefile").write_bytes((REPO / "Makefile").read_bytes())
    (clone / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    result = _make(clone, "run")
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "legal-rag fetch --clone" in out and "make run CORPUS=" in out
    assert not (clone / ".venv").exists()  # nothing was installed first


def test_make_and_fetch_agree_on_where_statutes_live(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    clone.mkdir()
    (clone / "Makefile").write_bytes((REPO / "Makefile").read_bytes())
    printed = _make(clone, "--eval", "print-corpus: ; @echo $(CORPUS)", "print-corpus")
    assert printed.stdout.strip() == str(fetch.DEFAULT_DEST)  # no ../shared: the folder fetch writes
    (tmp_path / "shared" / "corpus" / "legalize-kr").mkdir(parents=True)
    printed = _make(clone, "--eval", "print-corpus: ; @echo $(CORPUS)", "print-corpus")
    assert printed.stdout.strip() == "../shared/corpus/legalize-kr"  # the shared checkout wins when present


def test_make_ingests_the_shared_decisions_when_they_are_there(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    clone.mkdir()
    (clone / "Makefile").write_bytes((REPO / "Makefile").read_bytes())
    printed = _make(clone, "--eval", "print-prec: ; @echo [$(PRECEDENTS)]", "print-prec")
    assert printed.stdout.strip() == "[]"  # no ../shared: statutes only
    (tmp_path / "shared" / "corpus" / "precedent-kr-sample").mkdir(parents=True)
    printed = _make(clone, "--eval", "print-prec: ; @echo [$(PRECEDENTS)]", "print-prec")
    assert printed.stdout.strip() == "[../shared/corpus/precedent-kr-sample]"
