"""`legal-rag serve --workers 2` as a real process on 127.0.0.1: two worker processes behind one port, one
metrics exposition for both, one CSRF secret, and a reload through either worker (or SIGHUP to the parent)
reaching both."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

pytest.register_assert_rewrite("index_fixture")

from index_fixture import ADMIN_TOKEN, ServiceIndex, copy_index  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from app.reload_sync import ReloadGeneration, ReloadWatcher  # noqa: E402
from app.web import CSRF_COOKIE, CSRF_FIELD  # noqa: E402

pytest_plugins = ("index_fixture",)

REPO = Path(__file__).resolve().parents[1]
WAIT_S = 600  # a bound on waiting, not a speed target: two workers load the index on a busy 2-core box


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(x) for x in path.read_text().split()} if path.exists() else set()


def _builds_by_worker(base: str) -> dict[str, str]:
    """pid -> build id each live worker serves, from the shared /metrics (legal_rag_index_info, one series
    per worker)."""
    text = httpx.get(f"{base}/metrics", timeout=30).text
    out: dict[str, str] = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name == "legal_rag_index_info" and s.value == 1:
                out[s.labels["pid"]] = s.labels["build_id"]
    return out


def _wait(what: str, check: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, f"server exited: {log.read_text(errors='replace')[-3000:]}"
        assert time.monotonic() < deadline, f"{what}: {log.read_text(errors='replace')[-3000:]}"
        time.sleep(0.3)


def test_reload_watcher_follows_the_shared_generation(service_index: ServiceIndex, tmp_path: Path) -> None:
    """The in-process part: a bump by another worker makes this one reload; its own bump does not."""
    from index_fixture import make_settings

    from app.index_holder import EngineHolder, default_engine_loader
    from app.metrics import Metrics

    a = copy_index(service_index.index, tmp_path / "a")
    b = copy_index(service_index.index, tmp_path / "b")
    manifest = json.loads((b / "manifest.json").read_text(encoding="utf-8"))
    manifest["build_id"] = "rebuilt-b"
    (b / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    link = tmp_path / "current"
    link.symlink_to(a)
    settings = make_settings(link)
    holder = EngineHolder(settings, default_engine_loader(settings), Metrics())  # type: ignore[arg-type]
    generation = ReloadGeneration(tmp_path / "gen")
    watcher = ReloadWatcher(generation, holder)
    holder.load_initial()
    try:
        assert holder.current is not None and holder.current.info["build_id"] == service_index.build_id
        assert watcher.poll() is False  # nothing asked
        tmp = tmp_path / "current.tmp"
        tmp.symlink_to(b)
        os.replace(tmp, link)
        ReloadGeneration(generation.path).bump()  # another worker reloaded
        assert watcher.poll() is True
        assert holder.current.info["build_id"] == "rebuilt-b"
        assert watcher.poll() is False  # once per generation
        watcher.reloaded_here()  # this worker reloaded itself: the others follow, it does not repeat
        assert generation.read() == 2 and watcher.poll() is False
    finally:
        holder.close()


def test_serve_with_two_workers(service_index: ServiceIndex, tmp_path: Path) -> None:
    a = copy_index(service_index.index, tmp_path / "a")
    b = copy_index(service_index.index, tmp_path / "b")
    manifest = json.loads((b / "manifest.json").read_text(encoding="utf-8"))
    manifest["build_id"] = "rebuilt-b"  # the manifest is not part of its own checksums
    (b / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    link = tmp_path / "current"
    link.symlink_to(a)

    def point(target: Path) -> None:
        tmp = tmp_path / "current.tmp"
        tmp.symlink_to(target)
        os.replace(tmp, link)  # publish atomically, as ingest does

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items()
           if k not in ("LEGAL_RAG_CSRF_SECRET", "PROMETHEUS_MULTIPROC_DIR", "LEGAL_RAG_WORKERS")}
    env.update(LEGAL_RAG_WARMUP="false", LEGAL_RAG_ADMIN_TOKEN=ADMIN_TOKEN, PYTHONPATH=str(REPO))
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "legal_rag.cli", "serve", "--index", str(link), "--port",
                                 str(port), "--workers", "2"], env=env, stdout=out, stderr=out, cwd=REPO)
    try:
        _wait("both workers serving build a",
              lambda: set(_builds_by_worker(base).values()) == {service_index.build_id}
              and len(_builds_by_worker(base)) == 2, proc, log)
        workers = {int(p) for p in _builds_by_worker(base)}
        assert workers <= _children(proc.pid), (workers, _children(proc.pid))  # two processes, one port

        # Requests spread over both workers (a new connection each); the counters are summed over both.
        n = 24
        for i in range(n):
            r = httpx.get(f"{base}/api/search", params={"q": "근로기준법 제23조 해고의 제한", "top_k": 3},
                          timeout=120)
            assert r.status_code == 200, r.text
            assert r.json()["hits"][0]["law"] == "근로기준법", i
        text = httpx.get(f"{base}/metrics", timeout=30).text
        m = re.search(r'^legal_rag_http_requests_total\{method="GET",route="/api/search",status="200"\} (\S+)$',
                      text, re.M)
        assert m and float(m.group(1)) == n, text[:2000]

        # The form's CSRF token from one worker is accepted by whichever worker takes the POST.
        for _ in range(6):
            with httpx.Client(base_url=base, timeout=120) as c:
                page = c.get("/")
                token = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', page.text)
                assert token and c.cookies.get(CSRF_COOKIE) == token.group(1)
            with httpx.Client(base_url=base, timeout=120, cookies={CSRF_COOKIE: token.group(1)}) as c:
                r = c.post("/ask", data={"question": "민법 제54조", CSRF_FIELD: token.group(1)})
                assert r.status_code == 200, r.text[:500]
                assert "설립등기 이외의" in r.text

        # An admin reload reaches one worker; both end up on the rebuilt index.
        point(b)
        r = httpx.post(f"{base}/api/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                       timeout=300)
        assert r.status_code == 200 and r.json()["build_id"] == "rebuilt-b", r.text
        _wait("both workers on rebuilt-b", lambda: _builds_by_worker(base) == dict.fromkeys(
            _builds_by_worker(base), "rebuilt-b") and len(_builds_by_worker(base)) == 2, proc, log)
        assert {int(p) for p in _builds_by_worker(base)} == workers  # reloaded in place, not restarted

        # SIGHUP to the parent: every worker reloads (back to build a).
        point(a)
        proc.send_signal(signal.SIGHUP)
        _wait("both workers back on build a", lambda: set(_builds_by_worker(base).values()) == {
            service_index.build_id} and len(_builds_by_worker(base)) == 2, proc, log)

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) in (0, -signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = [json.loads(ln) for ln in log.read_text(encoding="utf-8").splitlines() if ln.startswith("{")]
    assert sum(x.get("msg") == "Application shutdown complete." for x in lines) == 2  # both workers drained
    assert not [x for x in lines if x.get("level") == "ERROR"], [x for x in lines if x.get("level") == "ERROR"]
