"""Prometheus metrics of one app, in that app's own registry.

A registry per app (not prometheus-client's global one) keeps two apps in one process, as in the
tests, from counting into each other and from failing on duplicate metric names.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from service.problems import PROBLEM_KIND, Handler, Problem
from service.threadnames import child_pids

# Latency buckets around the 50 ms target, up to the slow tail of a bulk request.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Collector pauses: a young collection takes tens of microseconds, an unfrozen full one 40-80 ms
# (service.collector).
GC_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)


class Metrics:
    """Request counts and latencies by route and status, index size and queue depths."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ["method", "route", "status"]
        self.requests = Counter(
            "dedup_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            labels,
            registry=self.registry,
        )
        self.latency = Histogram(
            "dedup_http_request_duration_seconds",
            "Time from the start of handling to the end of the answer.",
            labels,
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "dedup_http_requests_in_flight", "Requests being handled.", registry=self.registry
        )
        self.documents = Gauge(
            "dedup_index_documents",
            "Documents in the index (as of the last scrape or readiness check).",
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "dedup_queue_depth",
            "Jobs accepted by a pool and waiting for a thread.",
            ["pool"],
            registry=self.registry,
        )
        self.queue_running = Gauge(
            "dedup_queue_running",
            "Jobs a pool's threads are running.",
            ["pool"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "dedup_queue_rejected",
            "Requests answered 503 because a pool's queue was full.",
            ["pool"],
            registry=self.registry,
        )
        self.gc_pauses = Histogram(
            "dedup_gc_pause_seconds",
            "Garbage collections of the service's process (not its reader processes), by "
            "generation (2 = full): every thread waits them out.",
            ["generation"],
            buckets=GC_BUCKETS,
            registry=self.registry,
        )
        self.preparations = Counter(
            "dedup_post_preparations",
            "Posts' text-only preparations by where they ran: on a reader ahead of the writer "
            "(ahead), on a reader while the writer waited (waited), on the writer (taker).",
            ["by"],
            registry=self.registry,
        )
        self.child_deaths = Counter(
            "dedup_child_process_deaths",
            "Writer and reader processes that died while serving; each fails the job it ran "
            "with a 503 and is started again for the next.",
            ["role"],
            registry=self.registry,
        )
        self.child_memory = Gauge(
            "dedup_child_resident_bytes",
            "Resident memory (VmRSS) of the writer's and the reader processes, summed by role: "
            "each holds the collection's rows inverted in memory (Linux only).",
            ["role"],
            registry=self.registry,
        )
        self.lane_posts = Gauge(
            "dedup_post_lane_posts",
            "Posts on the post lanes: sent to a reader's process and not yet answered.",
            registry=self.registry,
        )
        self.lanes_open = Gauge(
            "dedup_post_lanes_open",
            "Post lanes that take posts (one a reader process, when lanes run).",
            registry=self.registry,
        )
        self.problems = Counter(
            "dedup_http_problems",
            "Problem answers by type (the part after urn:dedup:problem:; untyped ones as "
            "about:blank), bulk answers' error lines included: tells a damaged index file "
            "(index-damaged) or a failing disk (storage-error) from the rest of the 500s and "
            "503s.",
            ["type"],
            registry=self.registry,
        )
        self.bulk_lines = Counter(
            "dedup_bulk_lines",
            "Lines of bulk requests, by outcome (stored, error).",
            ["outcome"],
            registry=self.registry,
        )

    def watch_pool(self, name: str, depth: Callable[[], int], running: Callable[[], int]) -> None:
        """Read a pool's queue depth and running jobs at every scrape."""
        self.queue_depth.labels(name).set_function(lambda: float(depth()))
        self.queue_running.labels(name).set_function(lambda: float(running()))

    def prepared(self, by: str) -> None:
        """Count one post's preparation (see :mod:`service.ahead`)."""
        self.preparations.labels(by).inc()

    def watch_lanes(self, posts: Callable[[], int], open_lanes: Callable[[], int]) -> None:
        """Read the post lanes' posts and open lanes at every scrape."""
        self.lane_posts.set_function(lambda: float(posts()))
        self.lanes_open.set_function(lambda: float(open_lanes()))

    def watch_children(self, role: str, name: str) -> None:
        """Read the resident memory of the child processes called ``name`` at every scrape."""
        self.child_memory.labels(role).set_function(lambda: resident_bytes(name))

    def child_died(self, role: str) -> Callable[[], None]:
        """What a child process of ``role`` (writer, reader) calls when it has died."""
        return self.child_deaths.labels(role).inc

    def gc_pause(self, generation: int, seconds: float) -> None:
        """Count one collection (see :func:`service.collector.watch_pauses`)."""
        self.gc_pauses.labels(str(generation)).observe(seconds)

    def refused(self, problem: Problem) -> None:
        """Count a request aiohttp's parser refused (:mod:`service.unparsable`), which no
        route and no middleware saw: method ``-``, route ``unparsable``."""
        self.requests.labels("-", "unparsable", str(problem.status)).inc()
        self.problems.labels(problem.kind or "about:blank").inc()

    def middleware(self) -> Callable[[web.Request, Handler], object]:
        """Count and time every request (outside the problem middleware: it sees final statuses)."""

        @web.middleware
        async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            route = _route(request)
            started = time.perf_counter()
            status = 500  # a handler that dies without an answer (cancelled) counts as one
            self.in_flight.inc()
            try:
                response = await handler(request)
                status = response.status
                kind = response.get(PROBLEM_KIND)
                if kind is not None:
                    self.problems.labels(kind or "about:blank").inc()
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            finally:
                self.in_flight.dec()
                labels = (request.method, route, str(status))
                self.requests.labels(*labels).inc()
                self.latency.labels(*labels).observe(time.perf_counter() - started)

        return metrics_middleware


def resident_bytes(name: str) -> float:
    """The resident memory of this process's children whose kernel name is ``name``
    (:mod:`service.threadnames`), summed; 0 without ``/proc``."""
    total = 0
    for pid in child_pids():
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() != name:
                continue
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:  # the child ended meanwhile
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return float(total)


def _route(request: web.Request) -> str:
    """The route template (``/v1/documents/{id}``), never the raw path: ids would explode labels."""
    resource = request.match_info.route.resource
    if resource is None:
        return "unmatched"
    return resource.canonical
