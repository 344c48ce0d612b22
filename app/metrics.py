"""Prometheus metrics through prometheus_client: request counts, a latency histogram, generation and index gauges.

Labels are route templates (`/api/laws/{law}/articles/{article}`), never raw paths, so that the number of
series stays bounded whatever clients send.

One process: each app has its own registry (a test suite builds many apps in one process) and the gauges are
read from the live objects at scrape time. Several worker processes (`legal-rag serve --workers N`, or any
server started with PROMETHEUS_MULTIPROC_DIR set): prometheus_client keeps every process's values in files in
that directory and /metrics, whichever worker answers, adds up the counters and histograms of all workers;
each worker writes its gauges there after every request, reload and scrape (queue depth, in progress and
capacity are summed over live workers, `legal_rag_index_ready` is the minimum, `legal_rag_index_info` is
one series per worker, labelled `pid`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import disable_created_metrics as _disable_created_metrics
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# `*_created` timestamps per series double the exposition and no dashboard here reads them.
_disable_created_metrics()

GaugeMode = Literal["livesum", "livemin", "livemax", "liveall"]


def multiprocess_dir() -> str | None:
    """The shared metrics directory when several worker processes serve, else None."""
    path = os.environ.get(MULTIPROC_ENV) or os.environ.get(MULTIPROC_ENV.lower())
    return path or None


class _LiveGauges(Collector):
    """One-process gauges, read from the live objects when scraped."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        for name, (help_text, read, _mode) in sorted(self.metrics.gauges.items()):
            try:
                value = float(read())
            except Exception:  # a gauge must never break the scrape
                continue
            yield GaugeMetricFamily(name, help_text, value=value)
        info = GaugeMetricFamily("legal_rag_index_info", "The index being served (value 1), by build id.",
                                 labels=["build_id"])
        current = self.metrics.info()
        if current:
            info.add_metric([current.get("build_id", "")], 1)
        yield info


class Metrics:
    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.buckets = buckets
        self.multiprocess = multiprocess_dir() is not None
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._requests = Counter("legal_rag_http_requests", "HTTP requests by route, method and status.",
                                 ["route", "method", "status"], registry=r)
        self._latency = Histogram("legal_rag_http_request_duration_seconds", "Request latency by route.",
                                  ["route"], buckets=buckets, registry=r)
        self._overloads = Counter("legal_rag_generation_rejected",
                                  "Answers refused because the queue was full (503).", registry=r)
        self._timeouts = Counter("legal_rag_request_timeouts", "Requests that ran past the request timeout.",
                                 registry=r)
        self._reloads = Counter("legal_rag_index_reloads", "Index reloads by outcome.", ["outcome"], registry=r)
        # Gauges read at scrape time from the live objects (one process) or written by refresh() (several).
        self.gauges: dict[str, tuple[str, Callable[[], float], GaugeMode]] = {}
        self.info: Callable[[], dict[str, str]] = dict
        self._mp_gauges: dict[str, Gauge] = {}
        self._mp_info: Gauge | None = None
        self._mp_build: str | None = None
        if self.multiprocess:
            self._mp_info = Gauge("legal_rag_index_info", "The index being served (value 1), by build id.",
                                  ["build_id"], multiprocess_mode="liveall", registry=r)
        else:
            r.register(_LiveGauges(self))

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self._requests.labels(route, method, str(status)).inc()
        self._latency.labels(route).observe(seconds)
        if self.multiprocess:
            self.refresh()

    def count_overload(self) -> None:
        self._overloads.inc()

    def count_timeout(self) -> None:
        self._timeouts.inc()

    def count_reload(self, outcome: str) -> None:
        self._reloads.labels(outcome).inc()
        self.refresh()  # the holder swapped the engine before counting: the info gauge follows at once

    def gauge(self, name: str, help_text: str, read: Callable[[], float], mode: GaugeMode = "livesum") -> None:
        """A gauge read from `read()`; `mode` says how several workers' values combine."""
        self.gauges[name] = (help_text, read, mode)
        if self.multiprocess:
            self._mp_gauges[name] = Gauge(name, help_text, multiprocess_mode=mode, registry=self.registry)

    def refresh(self) -> None:
        """Several workers: write this worker's gauges to the shared files (no-op in one process)."""
        if not self.multiprocess:
            return
        for name, (_help, read, _mode) in self.gauges.items():
            try:
                self._mp_gauges[name].set(float(read()))
            except Exception:
                continue
        build = self.info().get("build_id")
        if build != self._mp_build and self._mp_info is not None:
            if self._mp_build is not None:
                self._mp_info.labels(self._mp_build).set(0)
            if build is not None:
                self._mp_info.labels(build).set(1)
            self._mp_build = build

    def render(self) -> str:
        if not self.multiprocess:
            return generate_latest(self.registry).decode()
        from prometheus_client import multiprocess

        self.refresh()
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry).decode()

    def process_exit(self) -> None:
        """Several workers: drop this process's live gauges (its counters stay in the totals)."""
        if self.multiprocess:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid())
