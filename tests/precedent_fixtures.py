"""Where the precedent sample lives (../shared/corpus/precedent-kr-sample, never copied into the repo)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import shared_dir


def sample_dir() -> Path:
    return shared_dir() / "corpus" / "precedent-kr-sample"


def sample_files() -> list[Path]:
    return sorted(p for p in sample_dir().rglob("*.md") if p.name != "README.md")


def sample(relative: str) -> Path:
    return sample_dir() / relative


# Statutes the sample decisions cite most (민법, 형법, 국세기본법, 지방세법 and their 시행령), enough to resolve
# their 참조조문 and small enough to build in seconds.
PRECEDENT_LAWS = {"민법": ("법률.md",), "형법": ("법률.md",), "국세기본법": ("법률.md",), "지방세법": ("법률.md", "시행령.md")}


def make_statute_corpus(shared_kr: Path, out: Path) -> Path:
    for law, names in PRECEDENT_LAWS.items():
        (out / law).mkdir(parents=True, exist_ok=True)
        for name in names:
            (out / law / name).symlink_to(shared_kr / law / name)
    return out


def copy_sample(dst: Path) -> Path:
    import shutil

    shutil.copytree(sample_dir(), dst)
    return dst
