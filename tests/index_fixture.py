"""One small real index for every service test, built once per session.

Loaded by the service tests with `pytest_plugins = ("index_fixture",)`.

The corpus is a temporary folder of symlinks to a few shared-corpus laws, plus three files made here:
- `근로기준법/법률(법률)-2025.md`: a copy of the live 근로기준법 with 시행일자 2025-01-01 and another 법령MST,
  i.e. an older version of the same statute (same 법령ID), so that as-of tests see both sides of a date
  (the shared copy takes effect 2027-01-01). Its 제1조 carries OLD_VERSION_MARK to tell the texts apart.
- `보안시험법/법률.md`: a copy of 약관의 규제에 관한 법률 시행령 under another title and 법령ID whose 제1조 holds
  SCRIPT_PAYLOAD, to check that statute text is escaped in HTML.

The parse/token cache lives in pytest's cache folder (keyed by content hash and parser version), so a rerun
of the suite does not re-tokenise the corpus; the index itself is rebuilt into a fresh tmp folder each session.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

OLD_LABOR_MST = "990001"
OLD_LABOR_EFFECTIVE = "2025-01-01"
LIVE_LABOR_MST = "284443"
LIVE_LABOR_EFFECTIVE = "2027-01-01"
OLD_VERSION_MARK = "(시험용 구판 조문)"
SCRIPT_LAW = "보안시험법"
SCRIPT_LAW_MST = "990002"
SCRIPT_PAYLOAD = "<script>alert(1)</script>"

# law folder -> files to include (None: every file)
LAWS: dict[str, tuple[str, ...] | None] = {
    "민법": ("법률.md",),
    "국민건강보험법": ("법률.md", "시행령.md"),
    "약관의규제에관한법률": None,
    "근로기준법": None,
    "부가가치세법": ("법률.md", "시행령.md"),
}


@dataclass(frozen=True)
class ServiceIndex:
    corpus: Path  # the tmp corpus folder the index was built from
    index: Path  # the published index name (a symlink to the build)
    build_id: str
    embedder: str


def _set_front(text: str, key: str, value: str) -> str:
    new, n = re.subn(rf"(?m)^{re.escape(key)}:.*$", f"{key}: {value}", text, count=1)
    assert n == 1, f"frontmatter key {key} not found"
    return new


def make_corpus(shared_kr: Path, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for law, files in LAWS.items():
        src = shared_kr / law
        dst = out / law
        dst.mkdir(exist_ok=True)
        names = files if files is not None else tuple(sorted(p.name for p in src.glob("*.md")))
        for name in names:
            (dst / name).symlink_to(src / name)

    # An older version of the live 근로기준법 (same 법령ID 001872, another 법령MST, in force from 2025-01-01).
    labor = (shared_kr / "근로기준법" / "법률(법률).md").read_text(encoding="utf-8")
    assert f"법령MST: {LIVE_LABOR_MST}" in labor and f"시행일자: {LIVE_LABOR_EFFECTIVE}" in labor
    old = _set_front(labor, "법령MST", OLD_LABOR_MST)
    old = _set_front(old, "시행일자", OLD_LABOR_EFFECTIVE)
    old = _set_front(old, "공포일자", "2024-12-31")
    old = old.replace("이 법은 헌법에 따라", f"{OLD_VERSION_MARK} 이 법은 헌법에 따라", 1)
    assert OLD_VERSION_MARK in old
    (out / "근로기준법" / "법률(법률)-2025.md").write_text(old, encoding="utf-8")

    # A statute whose text contains markup, under a title of its own.
    src = (shared_kr / "약관의규제에관한법률" / "시행령.md").read_text(encoding="utf-8")
    title = re.search(r"(?m)^제목: (.+)$", src).group(1)  # type: ignore[union-attr]
    fake = _set_front(src, "제목", SCRIPT_LAW)
    fake = _set_front(fake, "법령MST", SCRIPT_LAW_MST)
    fake = _set_front(fake, "법령ID", f"'{SCRIPT_LAW_MST}'")
    fake = _set_front(fake, "법령구분", "법률")
    fake = fake.replace(f"# {title}\n", f"# {SCRIPT_LAW}\n", 1)
    first = re.search(r"(?m)^##### 제1조.*\n\n", fake)
    assert first is not None
    fake = fake[: first.end()] + f"{SCRIPT_PAYLOAD} " + fake[first.end() :]
    (out / SCRIPT_LAW).mkdir(exist_ok=True)
    (out / SCRIPT_LAW / "법률.md").write_text(fake, encoding="utf-8")
    return out


def choose_embedder() -> str:
    """'kiwi-static' once the dense side exists (legal_rag.dense), else BM25 only; LEGAL_RAG_TEST_EMBEDDER wins."""
    forced = os.environ.get("LEGAL_RAG_TEST_EMBEDDER")
    if forced:
        return forced
    return "kiwi-static" if importlib.util.find_spec("legal_rag.dense") is not None else "none"


def build_service_index(shared_kr: Path, root: Path, cache_dir: Path | None = None) -> ServiceIndex:
    from ingest.build import IngestOptions, build_index
    from legal_rag.index_format import resolve_index

    corpus = make_corpus(shared_kr, root / "corpus")
    embedder = choose_embedder()
    out = root / "index" / "default"
    build_index(IngestOptions(corpus=[corpus], out=out, embedder=embedder, embedder_pairs=3000, progress=False,
                              cache_dir=cache_dir))
    return ServiceIndex(corpus=corpus, index=out, build_id=resolve_index(out).name, embedder=embedder)


@pytest.fixture(scope="session")
def service_index(law_dir: Path, tmp_path_factory: pytest.TempPathFactory,
                  request: pytest.FixtureRequest) -> ServiceIndex:
    cache = getattr(request.config, "cache", None)  # absent with -p no:cacheprovider
    cache_dir = cache.mkdir("legal-rag-ingest") if cache is not None else None
    return build_service_index(law_dir, tmp_path_factory.mktemp("service"), cache_dir)


def copy_index(src: Path, dst_root: Path) -> Path:
    """A plain-directory copy of a published build (for tampering tests that must not touch the shared one)."""
    from legal_rag.index_format import resolve_index

    dst = dst_root / "index"
    shutil.copytree(resolve_index(src), dst)
    return dst


def two_builds(src: Path, root: Path) -> tuple[Path, Path, Path]:
    """Two copies of a build, the second with another build_id (a rebuild), and a link `current` -> the first:
    what a reload test swaps between."""
    import json

    a = copy_index(src, root / "a")
    b = copy_index(src, root / "b")
    manifest = json.loads((b / "manifest.json").read_text(encoding="utf-8"))
    manifest["build_id"] = "rebuilt-b"  # the manifest is not part of its own checksums
    (b / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    link = root / "current"
    link.symlink_to(a)
    return a, b, link


# ---------------------------------------------------------------------------------------------- the service

SEED_QUESTION = ("「국민건강보험법」제44조, 「국민건강보험법 시행령」제19조,「약관의 규제에 관한 법률」제5조, "
                 "「민법」제54조 참조 판단 해설")
SEED_ARTICLES = {
    ("국민건강보험법", "제44조"),
    ("국민건강보험법 시행령", "제19조"),
    ("약관의 규제에 관한 법률", "제5조"),
    ("민법", "제54조"),
}
# A phrase of each seed article's real text (shared corpus), to check that the text itself comes back.
SEED_TEXT = {
    ("국민건강보험법", "제44조"): "본인일부부담금",
    ("국민건강보험법 시행령", "제19조"): "본인일부부담금",
    ("약관의 규제에 관한 법률", "제5조"): "고객에게 유리하게 해석",
    ("민법", "제54조"): "설립등기 이외의",
}
ACCOUNTANT_QUESTION = "사업자가 폐업한 경우 부가가치세 신고는 언제까지 해야 하나요?"
ADMIN_TOKEN = "test-admin-token-0123456789"
# An as-of date before 국민건강보험법's pending version (2026-12-24) and after the test copy of 근로기준법
# (2025-01-01): results do not depend on the day the suite runs.
AS_OF = "2026-06-01"


def wait_ready(client: object, timeout: float = 300.0) -> dict:
    """Poll /readyz until 200; fail with the last answer when it never comes."""
    import time

    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        r = client.get("/readyz")  # type: ignore[attr-defined]
        last = r
        if r.status_code == 200:
            return r.json()  # type: ignore[no-any-return]
        if r.json().get("status") == "failed":
            break
        time.sleep(0.2)
    pytest.fail(f"service not ready: {last.status_code if last else None} {last.text if last else ''}")


def make_settings(index: Path, **overrides: object) -> object:
    from app.settings import Settings

    values: dict[str, object] = {"index_dir": index, "csrf_secret": "test-secret-" + "x" * 20, "log_json": True}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def engine(service_index: ServiceIndex) -> Iterator[object]:
    """One loaded Engine over the test index for the session (tests read it, none reconfigures it)."""
    from legal_rag.search.engine import Engine

    e = Engine(service_index.index)
    yield e
    e.close()


@pytest.fixture(scope="session")
def service_settings(service_index: ServiceIndex) -> object:
    return make_settings(service_index.index, admin_token=ADMIN_TOKEN)


@pytest.fixture(scope="session")
def service_app(service_settings: object) -> object:
    from app.service import create_app

    return create_app(service_settings)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def client(service_app: object) -> Iterator[object]:
    """One started app for the session (its worker threads load the tokenizer once)."""
    from fastapi.testclient import TestClient

    with TestClient(service_app, client=("127.0.0.1", 50000)) as c:  # type: ignore[arg-type]
        wait_ready(c)
        yield c


@dataclass
class LiveServer:
    """The app under a real uvicorn server in a thread, on a free loopback port."""

    base: str
    server: object
    thread: object

    def stop(self, timeout: float = 30.0) -> None:
        self.server.should_exit = True  # type: ignore[attr-defined]  # what uvicorn's SIGTERM handler sets
        self.thread.join(timeout)  # type: ignore[attr-defined]


def start_server(app: object, ready_timeout: float = 300.0, **config: object) -> LiveServer:
    """Start uvicorn in a daemon thread and wait until /readyz answers 200 (fails the test otherwise)."""
    import socket
    import threading
    import time

    import httpx
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + ready_timeout
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return LiveServer(base, server, thread)
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not become ready")
        time.sleep(0.1)
