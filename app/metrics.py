"""Prometheus text exposition without a client library: request counts, latency histogram, gauges.

Labels are route templates (`/api/laws/{law}/articles/{article}`), never raw paths, so that the number of
series stays bounded whatever clients send.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    inner = ",".join(f'{k}="{_escape(str(v))}"' for k, v in pairs)
    return "{" + inner + "}" if inner else ""


def _num(v: float) -> str:
    if v == float("inf"):
        return "+Inf"
    return repr(float(v)) if not float(v).is_integer() else str(int(v))


class Metrics:
    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.buckets = buckets
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._hist: dict[str, list[int]] = {}
        self._hist_sum: dict[str, float] = defaultdict(float)
        self._hist_count: dict[str, int] = defaultdict(int)
        self._overloads = 0
        self._timeouts = 0
        self._reloads: dict[str, int] = defaultdict(int)
        # Gauges read at scrape time from the live objects.
        self.gauges: dict[str, tuple[str, Callable[[], float]]] = {}
        self.info: Callable[[], dict[str, str]] = dict

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests[(route, method, str(status))] += 1
            counts = self._hist.setdefault(route, [0] * len(self.buckets))
            for i, b in enumerate(self.buckets):
                if seconds <= b:
                    counts[i] += 1
            self._hist_sum[route] += seconds
            self._hist_count[route] += 1

    def count_overload(self) -> None:
        with self._lock:
            self._overloads += 1

    def count_timeout(self) -> None:
        with self._lock:
            self._timeouts += 1

    def count_reload(self, outcome: str) -> None:
        with self._lock:
            self._reloads[outcome] += 1

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        self.gauges[name] = (help_text, read)

    def render(self) -> str:
        out: list[str] = []
        with self._lock:
            requests = dict(self._requests)
            hist = {k: list(v) for k, v in self._hist.items()}
            sums, counts = dict(self._hist_sum), dict(self._hist_count)
            overloads, timeouts, reloads = self._overloads, self._timeouts, dict(self._reloads)
        out += ["# HELP legal_rag_http_requests_total HTTP requests by route, method and status.",
                "# TYPE legal_rag_http_requests_total counter"]
        for (route, method, status), n in sorted(requests.items()):
            labels = _labels([("route", route), ("method", method), ("status", status)])
            out.append(f"legal_rag_http_requests_total{labels} {n}")
        out += ["# HELP legal_rag_http_request_duration_seconds Request latency by route.",
                "# TYPE legal_rag_http_request_duration_seconds histogram"]
        for route in sorted(hist):
            for b, n in zip(self.buckets, hist[route], strict=True):
                labels = _labels([("route", route), ("le", _num(b))])
                out.append(f"legal_rag_http_request_duration_seconds_bucket{labels} {n}")
            out.append(f"legal_rag_http_request_duration_seconds_bucket{_labels([('route', route), ('le', '+Inf')])} "
                       f"{counts[route]}")
            out.append(f"legal_rag_http_request_duration_seconds_sum{_labels([('route', route)])} {sums[route]:.6f}")
            out.append(f"legal_rag_http_request_duration_seconds_count{_labels([('route', route)])} {counts[route]}")
        out += ["# HELP legal_rag_generation_rejected_total Answers refused because the queue was full (503).",
                "# TYPE legal_rag_generation_rejected_total counter",
                f"legal_rag_generation_rejected_total {overloads}",
                "# HELP legal_rag_request_timeouts_total Requests that ran past the request timeout.",
                "# TYPE legal_rag_request_timeouts_total counter", f"legal_rag_request_timeouts_total {timeouts}",
                "# HELP legal_rag_index_reloads_total Index reloads by outcome.",
                "# TYPE legal_rag_index_reloads_total counter"]
        for outcome, n in sorted(reloads.items()):
            out.append(f"legal_rag_index_reloads_total{_labels([('outcome', outcome)])} {n}")
        for name, (help_text, read) in sorted(self.gauges.items()):
            try:
                value = float(read())
            except Exception:  # a gauge must never break the scrape
                continue
            out += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {_num(value)}"]
        info = self.info()
        out += ["# HELP legal_rag_index_info The index being served (value 1), by build id.",
                "# TYPE legal_rag_index_info gauge"]
        if info:
            out.append(f"legal_rag_index_info{_labels(sorted(info.items()))} 1")
        return "\n".join(out) + "\n"
