"""Load test: start the service on 127.0.0.1 and drive /api/search and /api/ask (extractive) with N concurrent
HTTP clients for a bounded time; print requests, errors by status, throughput and latency percentiles as JSON.

    python -m bench.load_test --index index/default --clients 50 --seconds 60

The server runs in its own process (`legal-rag serve`), so the clients do not compete with it for the GIL.
Its generation queue is sized to the number of clients (override with --queue): an overloaded 503 is the
service's designed back-pressure, and this test is about the service staying correct under load, so any 5xx
makes it exit 1. --url drives a server that is already running instead (loopback addresses only).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

QUESTIONS = [
    "「국민건강보험법」제44조, 「국민건강보험법 시행령」제19조,「약관의 규제에 관한 법률」제5조, "
    "「민법」제54조 참조 판단 해설",
    "사업자가 폐업한 경우 부가가치세 신고는 언제까지 해야 하나요?",
    "근로기준법 제23조 해고의 제한",
    "사용자가 근로자를 해고하려면 언제까지 예고해야 하나요?",
    "약관의 뜻이 명백하지 아니한 경우 어떻게 해석하나요?",
    "민법 제54조",
    "법인의 설립등기 이외의 등기는 어떤 효력이 있나요?",
    "본인일부부담금은 어떻게 정해지나요?",
    "부가가치세 확정신고와 납부 기한",
    "휴게시간은 얼마나 주어야 하나요?",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return round((ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)) * 1000, 2)


def start_server(index: Path, port: int, queue: int, concurrency: int, log: Path | None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LEGAL_RAG_GENERATION_QUEUE": str(queue),
           "LEGAL_RAG_GENERATION_CONCURRENCY": str(concurrency), "LEGAL_RAG_GENERATOR": "extractive",
           "LEGAL_RAG_LOG_LEVEL": "WARNING"}
    out = log.open("wb") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "legal_rag.cli", "serve", "--index", str(index), "--host",
                             "127.0.0.1", "--port", str(port)], env=env, stdout=out, stderr=out)


def wait_ready(base: str, timeout: float, proc: subprocess.Popen[bytes] | None) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode} before it was ready")
        with suppress(httpx.HTTPError):
            r = httpx.get(f"{base}/readyz", timeout=5)
            if r.status_code == 200:
                return r.json()  # type: ignore[no-any-return]
            if r.json().get("status") == "failed":
                raise SystemExit(f"index failed to load: {r.json().get('reason')}")
        time.sleep(0.5)
    raise SystemExit(f"server not ready after {timeout:.0f} s")


async def drive(base: str, clients: int, seconds: float, ask_ratio: float, top_k: int,
                seed: int) -> dict[str, Any]:
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    failures: Counter[str] = Counter()
    deadline = time.monotonic() + seconds

    async def client(n: int) -> None:
        rng = random.Random(seed + n)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(120.0), limits=limits) as http:
            while time.monotonic() < deadline:
                q = rng.choice(QUESTIONS)
                kind = "ask" if rng.random() < ask_ratio else "search"
                t = time.perf_counter()
                try:
                    if kind == "ask":
                        r = await http.post("/api/ask", json={"question": q, "top_k": top_k})
                    else:
                        r = await http.get("/api/search", params={"q": q, "top_k": top_k})
                except httpx.HTTPError as exc:
                    failures[f"{kind}:{type(exc).__name__}"] += 1
                    continue
                latencies[kind].append(time.perf_counter() - t)
                statuses[kind][r.status_code] += 1
                if r.status_code == 503 and r.headers.get("retry-after"):
                    await asyncio.sleep(min(float(r.headers["retry-after"]), 1.0))

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - t0
    per_route = {}
    for kind in ("search", "ask"):
        lat = latencies[kind]
        per_route[kind] = {
            "requests": sum(statuses[kind].values()),
            "status": {str(k): v for k, v in sorted(statuses[kind].items())},
            "throughput_rps": round(len(lat) / elapsed, 2) if elapsed else 0.0,
            "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95), "p99_ms": percentile(lat, 99),
            "max_ms": round(max(lat) * 1000, 2) if lat else None,
        }
    all_status: Counter[int] = sum(statuses.values(), Counter())
    all_lat = [x for v in latencies.values() for x in v]
    return {
        "elapsed_s": round(elapsed, 2),
        "requests": sum(all_status.values()),
        "errors_by_status": {str(k): v for k, v in sorted(all_status.items()) if k >= 400},
        "server_errors_5xx": sum(v for k, v in all_status.items() if k >= 500),
        "transport_errors": dict(failures),
        "throughput_rps": round(len(all_lat) / elapsed, 2) if elapsed else 0.0,
        "p50_ms": percentile(all_lat, 50), "p95_ms": percentile(all_lat, 95), "p99_ms": percentile(all_lat, 99),
        "routes": per_route,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load_test", description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, default=Path("index/default"), help="index to serve")
    p.add_argument("--url", default=None, help="drive this running server instead (loopback only)")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--ask-ratio", type=float, default=0.3, help="share of requests that are /api/ask")
    p.add_argument("--top-k", type=int, default=8)
    p.add_argument("--queue", type=int, default=None, help="server generation queue (default: --clients)")
    p.add_argument("--concurrency", type=int, default=1, help="server generation concurrency")
    p.add_argument("--ready-timeout", type=float, default=300.0)
    p.add_argument("--server-log", type=Path, default=None, help="write the server's log here")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or not 0 <= args.ask_ratio <= 1:
        p.error("--clients >= 1, --seconds > 0, 0 <= --ask-ratio <= 1")

    proc = None
    if args.url:
        if not _is_loopback(args.url):
            p.error("--url must be a loopback address (127.0.0.1, ::1, localhost)")
        base = args.url.rstrip("/")
    else:
        if not args.index.exists():
            print(f"index not found: {args.index}; run `legal-rag ingest` first", file=sys.stderr)
            return 3
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_server(args.index, port, args.queue if args.queue is not None else args.clients,
                            args.concurrency, args.server_log)
    try:
        t = time.monotonic()
        ready = wait_ready(base, args.ready_timeout, proc)
        startup = time.monotonic() - t
        result = asyncio.run(drive(base, args.clients, args.seconds, args.ask_ratio, args.top_k, args.seed))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
    report = {
        "schema_version": 1, "target": base, "clients": args.clients, "seconds": args.seconds,
        "ask_ratio": args.ask_ratio, "build_id": (ready.get("index") or {}).get("build_id"),
        "generator": ready.get("generator"), "startup_s": round(startup, 1), **result,
        "ok": result["server_errors_5xx"] == 0 and not result["transport_errors"],
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
