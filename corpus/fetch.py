"""`legal-rag fetch`: put the default statutes where ingest looks for them.

Three ways, all ending in the same tree `<dest>/kr/<법령>/<법률|시행령|시행규칙…>.md`:
- `--list`: print the default statute list (corpus/default.txt).
- `--from PATH`: copy the default statutes from a local legalize-kr checkout (works offline).
- `--clone`: `git clone --depth 1` legalize-kr, then copy as with `--from`. Without a network this fails
  fast and says what to do offline instead.

Copies are plain files (never the read-only modes of a shared checkout), and each statute directory is
replaced as a whole so that a file dropped upstream does not linger in `<dest>`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

LEGALIZE_KR_URL = "https://github.com/legalize-kr/legalize-kr"
DEFAULT_DEST = Path("corpus/legalize-kr")
DEFAULT_LIST = Path(__file__).with_name("default.txt")
CLONE_TIMEOUT_S = 900

OFFLINE_HELP = (
    "오프라인이면 / if offline:\n"
    "  1) 네트워크가 되는 곳에서 `git clone --depth 1 {url}` 한 뒤 그 폴더를 이 컴퓨터로 옮기고\n"
    "     clone {url} where a network exists and copy the folder here, then\n"
    "     legal-rag fetch --from /path/to/legalize-kr --dest {dest}\n"
    "  2) 또는 국가법령정보센터(https://www.law.go.kr)에서 법령을 PDF로 저장해 그 PDF들을 색인하세요\n"
    "     or save statutes as PDF from law.go.kr and ingest those PDFs (see corpus/README.md)."
)


def read_default_list(path: Path = DEFAULT_LIST) -> list[str]:
    """Directory names from the list file, in order, without comments, blanks or duplicates."""
    names: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and line not in names:
            names.append(line)
    return names


def _statute_root(source: Path) -> Path | None:
    """The `kr/` folder of a legalize-kr checkout given the checkout itself or its `kr/` folder."""
    if (source / "kr").is_dir():
        return source / "kr"
    if source.name == "kr" and source.is_dir():
        return source
    return None


def _copy_tree(src: Path, dst: Path) -> int:
    """Copy the .md files of one statute directory; returns how many were written."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    count = 0
    for f in sorted(src.rglob("*.md")):
        target = dst / f.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, target)  # contents only: a shared checkout's read-only modes must not follow
        count += 1
    return count


def _snapshot(checkout: Path) -> str | None:
    """`<commit> <date>` of the source, from its SNAPSHOT file or its git HEAD."""
    snap = checkout / "SNAPSHOT"
    if snap.is_file():
        return snap.read_text(encoding="utf-8").strip()
    if (checkout / ".git").exists():
        try:
            out = subprocess.run(
                ["git", "-C", str(checkout), "log", "-1", "--format=%H %cd"],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            )
            return out.stdout.strip() or None
        except (OSError, subprocess.SubprocessError):
            return None
    return None


def copy_statutes(source: Path, dest: Path, names: list[str] | None) -> tuple[int, list[str]]:
    """Copy statute directories from a checkout into `dest/kr`. `names=None` copies every statute.

    Returns (files copied, names missing from the source). Raises ValueError for a source that is not a
    legalize-kr checkout or a destination inside the source.
    """
    source = source.expanduser().resolve()
    root = _statute_root(source)
    if root is None:
        raise ValueError(
            f"{source} is not a legalize-kr checkout (no kr/ folder) / "
            f"{source}에 kr/ 폴더가 없습니다: legalize-kr 저장소 경로를 주세요"
        )
    dest = dest.expanduser().resolve()
    if dest == source or source in dest.parents or dest == root or dest / "kr" == root:
        raise ValueError(f"--dest {dest} lies inside the source / 대상 폴더가 원본 안에 있습니다")
    if names is None:
        names = sorted(p.name for p in root.iterdir() if p.is_dir())
    missing = [n for n in names if not (root / n).is_dir()]
    copied = 0
    for name in names:
        if name not in missing:
            copied += _copy_tree(root / name, dest / "kr" / name)
    checkout = root.parent if root.name == "kr" else root
    for extra in ("README.md",):
        if (checkout / extra).is_file():
            shutil.copyfile(checkout / extra, dest / extra)
    snapshot = _snapshot(checkout)
    if snapshot:
        (dest / "SNAPSHOT").write_text(snapshot + "\n", encoding="utf-8")
    return copied, missing


def clone(url: str, target: Path, timeout_s: int = CLONE_TIMEOUT_S) -> tuple[bool, str]:
    """`git clone --depth 1 url target`; (ok, git's message). Never prompts for credentials."""
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true", SSH_ASKPASS="true")
    cmd = [
        "git",
        # give up on a stalled connection instead of hanging until the timeout
        "-c",
        "http.lowSpeedLimit=1000",
        "-c",
        "http.lowSpeedTime=30",
        "clone",
        "--depth",
        "1",
        "--quiet",
        url,
        str(target),
    ]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        return False, "git is not installed / git이 설치되어 있지 않습니다"
    except subprocess.TimeoutExpired:
        return False, f"git clone took longer than {timeout_s}s / {timeout_s}초 안에 끝나지 않았습니다"
    if out.returncode != 0:
        return False, (out.stderr or out.stdout).strip() or f"git exited with {out.returncode}"
    return True, ""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--list", action="store_true", help="print the default statute list / 기본 법령 목록 출력")
    mode.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="PATH",
        help="copy from a local legalize-kr checkout / 로컬 legalize-kr 저장소에서 복사",
    )
    mode.add_argument(
        "--clone", action="store_true", help="git clone legalize-kr (needs a network) / legalize-kr 내려받기"
    )
    parser.add_argument(
        "--dest",
        type=Path,
        default=DEFAULT_DEST,
        help=f"where the statutes go (default {DEFAULT_DEST}, keep it git-ignored) / 저장 위치",
    )
    parser.add_argument("--url", default=LEGALIZE_KR_URL, help="repository to clone / 내려받을 저장소 주소")
    parser.add_argument(
        "--keep-clone",
        type=Path,
        metavar="DIR",
        help="clone into DIR and keep it (default: a temporary folder, removed after copying)",
    )
    parser.add_argument(
        "--all", action="store_true", help="copy every statute, not only the default list / 전체 법령 복사"
    )
    parser.add_argument("--list-file", type=Path, default=DEFAULT_LIST, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=int, default=CLONE_TIMEOUT_S, help="git clone time limit in seconds")


def _copy_and_report(source: Path, args: argparse.Namespace, names: list[str] | None) -> int:
    try:
        copied, missing = copy_statutes(source, args.dest, names)
    except (ValueError, OSError) as exc:
        print(f"legal-rag fetch: {exc}", file=sys.stderr)
        return 1
    wanted = "all" if names is None else len(names)
    print(f"copied {copied} files of {wanted} statutes into {args.dest} / {copied}개 파일을 복사했습니다")
    if missing:
        print(
            "missing in the source / 원본에 없는 법령: " + ", ".join(missing),
            file=sys.stderr,
        )
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        names = read_default_list(args.list_file)
    except OSError as exc:
        print(f"legal-rag fetch: cannot read the list / 목록을 읽을 수 없습니다: {exc}", file=sys.stderr)
        return 1
    if args.list:
        print("\n".join(names))
        return 0
    selection = None if args.all else names
    if args.source is not None:
        return _copy_and_report(args.source, args, selection)

    # --clone
    temp: tempfile.TemporaryDirectory[str] | None = None
    if args.keep_clone is not None:
        target = args.keep_clone
        if target.exists() and any(target.iterdir()):
            print(f"legal-rag fetch: {target} is not empty / 비어 있지 않은 폴더입니다", file=sys.stderr)
            return 1
    else:
        temp = tempfile.TemporaryDirectory(prefix="legalize-kr-")
        target = Path(temp.name) / "legalize-kr"
    try:
        print(f"cloning {args.url} … / 내려받는 중", file=sys.stderr)
        ok, message = clone(args.url, target, args.timeout)
        if not ok:
            print(
                f"legal-rag fetch: could not clone {args.url} / 저장소를 내려받지 못했습니다\n  {message}\n"
                + OFFLINE_HELP.format(url=LEGALIZE_KR_URL, dest=args.dest),
                file=sys.stderr,
            )
            return 1
        return _copy_and_report(target, args, selection)
    finally:
        if temp is not None:
            temp.cleanup()
