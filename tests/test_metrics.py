"""/metrics through prometheus_client: one process (per-app registry, live gauges) and several worker
processes sharing PROMETHEUS_MULTIPROC_DIR (counters summed over workers, gauges per live worker)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from app.metrics import Metrics

REPO = Path(__file__).resolve().parents[1]


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def test_one_process_metrics_are_per_app_and_live() -> None:
    a, b = Metrics(), Metrics()
    depth = [3]
    a.gauge("legal_rag_generation_queue_depth", "waiting", lambda: depth[0])
    a.info = lambda: {"build_id": "build-a"}
    for status, seconds in ((200, 0.02), (200, 0.3), (422, 0.001)):
        a.observe_request("/api/search", "GET", status, seconds)
    a.count_overload()
    a.count_reload("ok")
    depth[0] = 1  # read at scrape time, not when registered
    got = samples(a.render())
    assert got[("legal_rag_http_requests_total",
                frozenset({("route", "/api/search"), ("method", "GET"), ("status", "200")}))] == 2
    assert got[("legal_rag_http_request_duration_seconds_bucket",
                frozenset({("route", "/api/search"), ("le", "0.025")}))] == 2
    assert got[("legal_rag_http_request_duration_seconds_count", frozenset({("route", "/api/search")}))] == 3
    assert got[("legal_rag_generation_rejected_total", frozenset())] == 1
    assert got[("legal_rag_index_reloads_total", frozenset({("outcome", "ok")}))] == 1
    assert got[("legal_rag_generation_queue_depth", frozenset())] == 1
    assert got[("legal_rag_index_info", frozenset({("build_id", "build-a")}))] == 1
    # A second app in the same process starts from zero (tests build many apps; each counts its own).
    other = samples(b.render())
    assert ("legal_rag_generation_rejected_total", frozenset()) in other
    assert other[("legal_rag_generation_rejected_total", frozenset())] == 0
    assert not [k for k in other if k[0] == "legal_rag_http_requests_total"]


WORKER = """
import sys
from app.metrics import Metrics
m = Metrics()
assert m.multiprocess
n, build, ready = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
m.gauge("legal_rag_generation_queue_depth", "waiting", lambda: n)
m.gauge("legal_rag_index_ready", "ready", lambda: ready, mode="livemin")
m.info = lambda: {"build_id": build}
for _ in range(n):
    m.observe_request("/api/search", "GET", 200, 0.01)
m.count_reload("ok")
if sys.argv[4] == "render":
    print(m.render())
elif sys.argv[4] == "exit":
    m.process_exit()
"""


def run_worker(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([sys.executable, "-c", WORKER, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_several_processes_share_one_exposition(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    run_worker(env, "2", "build-x", "1", "keep")   # a worker that is still "alive" (its files stay)
    run_worker(env, "5", "build-x", "1", "exit")   # a worker that exited cleanly: its live gauges go
    got = samples(run_worker(env, "3", "build-x", "0", "render"))  # the worker answering the scrape
    key = frozenset({("route", "/api/search"), ("method", "GET"), ("status", "200")})
    assert got[("legal_rag_http_requests_total", key)] == 2 + 5 + 3  # counters: every worker, dead or alive
    assert got[("legal_rag_index_reloads_total", frozenset({("outcome", "ok")}))] == 3
    assert got[("legal_rag_generation_queue_depth", frozenset())] == 2 + 3  # livesum: live workers only
    assert got[("legal_rag_index_ready", frozenset())] == 0  # livemin: one live worker is not ready
    info = {dict(k[1])["pid"]: v for k, v in got.items() if k[0] == "legal_rag_index_info"}
    assert len(info) == 2 and set(info.values()) == {1}  # one series per live worker
