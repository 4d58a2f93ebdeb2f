"""Load on the service: POST /v1/documents (check + insert) at 1, 8 and 16 concurrent clients.

1. **Pre-load**: ``--docs`` documents of ``dedup.synth.news_corpus`` (seed 0, fresh bodies) are
   written as JSONL and stored with ``dedup bulk --db`` (the documented way to fill a collection
   for the service), unless ``--db`` already holds that many documents (of whatever corpus).
   A collection that holds an earlier run's posts is refused: the same posts again would be
   answered as re-posts of themselves, a cheaper path (copy the pre-loaded file per run).
2. **Serve**: ``python -m service --db ...`` runs as its own process on a free loopback port.
3. **Load**: an aiohttp client posts news-length documents (``news_corpus`` seed 1: new
   articles, 30 % of them reprints of articles posted earlier in the run, made and encoded
   before each level) with ``c`` requests in flight, for ``--requests`` requests or
   ``--max-seconds`` per level, whichever comes first, after a short warm-up. Latency is
   measured per request at the client (send to last byte); throughput is completed requests
   over the level's wall time.

Client and server share the machine's cores, as they would on a small host. The server's CPU
time per request is read from /proc. Only loopback addresses are used, and every loop is
bounded in count and time. The box's speed is probed before the levels and after everything
(:mod:`benchmarks._box`: a fixed loop's best and median time, a wake-up across cores): the
same code's figures moved twofold between sessions on boxes that looked alike.

Afterwards the same kind of posts go to ``Collection.post`` directly, without HTTP, on one thread:
the difference is what the service adds. Then the writer's part of a post is timed alone (its
CPU, in the service's batches): the ceiling one writer puts on posts per second; then a second
round, and a third after it deleted a sixth of those posts, whose rows stay dead in its memory
until a rebuild. Each level also splits the server's CPU by role, named in the kernel by
:mod:`service.threadnames` (writer thread and process, event loop, reader threads and
processes, checkpoint), with the load client's own CPU and the time the writer spent runnable
but waiting for a core. From the service's /metrics it
prints where posts were prepared (on a reader ahead of the writer, or by the writer) and its
garbage-collector pauses; under the mixed table, whether issue #9's p99 bound was met.

Run: ``python -m benchmarks.service_load [--docs 100000] [--requests 800] [--db PATH]
[--mixed 60] [--updates 0.1] [--boilerplate] [--recycled-bodies]``; ``--mixed S`` adds issue
#9's load: 32 clients for S seconds, half posts, half checks. ``--updates F`` makes that share
of the mixed load's requests updates instead: a client posts again an article it posted, with a
sentence added (a correction), which replaces the stored one. With none (the default) the load
is issue #9's, request for request. ``--boilerplate`` pre-loads with
``--strip-boilerplate``, so that the collection holds the corpus's boilerplate model as a real
one would: a post's judgement then looks up footers carried by thousands of stored articles.
Without it the model holds only the posts.

The corpus: originals' bodies are written afresh (``fresh_bodies=True``), so that no body
paragraph recurs across unrelated articles, as in news. ``--recycled-bodies`` builds originals
from the article pool's paragraphs as they are, the corpus of every figure before 2026-11-26:
at 100,000 documents each such paragraph is in about 300 articles, at 20,000 in about 60, which
a learned boilerplate model takes for boilerplate (3,455 patterns learned at 20,000 documents,
against the 47 real footers with fresh bodies) and the reuse finder reports as passages shared
with up to 20 unrelated articles a post. The figures, both ways, are in
``docs/performance-log.md`` (session 8).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import orjson

from benchmarks._baselines import WRITER_BATCH, library_line, writer_baseline
from benchmarks._box import probe
from benchmarks._common import ROOT, machine
from benchmarks._load_figures import Level, Mixed, mixed_table, roles_table, table
from benchmarks._proc import cpu_by_role, cpu_seconds
from benchmarks._service_metrics import gc_pauses, preparations, scrape
from dedup.synth import news_corpus
from dedup.types import Document

LOOPBACK = "127.0.0.1"
WARM_UP = 30


def preload(
    db: Path, n_docs: int, workdir: Path, boilerplate: bool = False, fresh: bool = True
) -> str:
    """Fill ``db`` with ``n_docs`` documents via ``dedup bulk --db``, unless it has them;
    with ``boilerplate``, ``--strip-boilerplate`` as well, which stores the corpus's
    boilerplate model (without it, the service learns boilerplate from the posts alone).
    ``fresh``: originals with bodies of their own (``news_corpus(fresh_bodies=True)``)."""
    if db.exists():
        from dedup.collection import Collection

        with Collection.open(db, readonly=True) as collection:
            if len(collection) >= n_docs:
                return f"reused {db} ({len(collection):,} documents)"
    corpus = workdir / "corpus.jsonl"
    with corpus.open("w", encoding="utf-8") as handle:
        for doc in news_corpus(n_docs, seed=0, fresh_bodies=fresh):
            record = {"id": doc.id, "text": doc.text, "source": doc.source}
            handle.write(json.dumps({**record, "published": doc.published}) + "\n")
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "dedup",
            "bulk",
            str(corpus),
            "--out",
            str(workdir / "out"),
            "--db",
            str(db),
            "--quiet",
            *(["--strip-boilerplate"] if boilerplate else []),
        ],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    corpus.unlink()
    seconds = time.perf_counter() - started
    size = db.stat().st_size / 1e9
    return f"dedup bulk --db stored {n_docs:,} documents in {seconds:.0f} s ({size:.2f} GB file)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def stored(url: str, doc_id: str) -> bool:
    """Whether the service at ``url`` holds ``doc_id``."""
    try:
        with urllib.request.urlopen(f"{url}/v1/documents/{doc_id}", timeout=10):
            return True
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return False
        raise


def start_service(db: Path, port: int, queue_size: int) -> subprocess.Popen[bytes]:
    """``python -m service`` on loopback; returns once /readyz answers 200 (≤ 120 s)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "service",
            "--db",
            str(db),
            "--port",
            str(port),
            "--queue-size",
            str(queue_size),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the service exited while starting")
        try:
            with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/readyz", timeout=5) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the service did not become ready in 120 s")


async def run_level(
    url: str, docs: Iterator[Document], clients: int, requests: int, max_seconds: float, pid: int
) -> Level:
    """``requests`` posts (or ``max_seconds``) with ``clients`` in flight.

    The level's documents are made and encoded before it starts: made during it, they took
    about 0.12 ms of the client's CPU a post (by hand; ``news_corpus`` writes each article afresh),
    CPU the service's processes then lacked on the same two cores. Figures from before
    2026-11-27 include that cost (``docs/performance-log.md``, session 16).
    """
    latencies: list[float] = []
    failed = 0
    connector = aiohttp.TCPConnector(limit=clients)
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=connector) as session:

        async def post(body: bytes) -> bool:
            started = time.perf_counter()
            async with session.post(f"{url}/v1/documents", data=body, headers=headers) as response:
                await response.read()
                ok = response.status in (200, 201)
            if ok:
                latencies.append(time.perf_counter() - started)
            return ok

        for _ in range(WARM_UP):
            await post(_body(next(docs)))
        latencies.clear()
        bodies = iter([_body(next(docs)) for _ in range(requests)])
        deadline = time.monotonic() + max_seconds

        async def client() -> int:
            bad = 0
            while time.monotonic() < deadline and (body := next(bodies, None)) is not None:
                bad += not await post(body)
            return bad

        cpu, roles, own = cpu_seconds(pid), cpu_by_role(pid), _own_cpu()
        started = time.perf_counter()
        failed = sum(await asyncio.gather(*(client() for _ in range(clients))))
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(pid) - cpu
        after = cpu_by_role(pid)
        roles = {role: after[role] - roles[role] for role in after}
        own = _own_cpu() - own
    load = os.getloadavg()[0]
    return Level(clients, len(latencies), failed, seconds, latencies, cpu, load, roles, own)


def _body(doc: Document) -> bytes:
    """A post's JSON body."""
    return orjson.dumps({"id": doc.id, "text": doc.text, "source": doc.source})


def _own_cpu() -> float:
    """This process's CPU seconds so far: the load client's own cost."""
    times = os.times()
    return times.user + times.system


async def run_mixed(
    url: str,
    docs: Iterator[Document],
    clients: int,
    seconds: float,
    pid: int,
    updates: float = 0.0,
) -> Mixed:
    """``clients`` clients for ``seconds``, each request a post or a check (half each, seeded):
    issue #9's load; a share ``updates`` of them posts again an article the client posted,
    corrected. Every answer counts, whatever its status."""
    latencies: dict[str, list[float]] = {"post": [], "check": []}
    if updates:
        latencies["update"] = []
    statuses: dict[int, int] = {}
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        deadline = time.monotonic() + seconds

        async def client(k: int) -> None:
            rng = random.Random(k)
            posted: list[Document] = []
            while time.monotonic() < deadline:
                if updates and posted and rng.random() < updates:
                    kind, old = "update", rng.choice(posted)
                    doc = Document(
                        old.id, f"{old.text} Corrected at {time.time():.3f}.", old.source
                    )
                else:
                    doc = next(docs)
                    kind = "post" if rng.random() < 0.5 else "check"
                    if kind == "post":
                        posted.append(doc)
                path = "/v1/check" if kind == "check" else "/v1/documents"
                body = {"id": doc.id, "text": doc.text, "source": doc.source}
                started = time.perf_counter()
                async with session.post(f"{url}{path}", json=body) as response:
                    await response.read()
                latencies[kind].append(time.perf_counter() - started)
                statuses[response.status] = statuses.get(response.status, 0) + 1

        cpu = cpu_seconds(pid)
        started = time.perf_counter()
        await asyncio.gather(*(client(k) for k in range(clients)))
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(pid) - cpu
    return Mixed(elapsed, latencies, statuses, cpu, os.getloadavg()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="documents pre-loaded")
    parser.add_argument("--requests", type=int, default=800, help="posts per level")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="cap per level")
    parser.add_argument("--clients", default="1,8,16", help="concurrency levels")
    parser.add_argument("--baseline", type=int, default=100, help="direct posts, 0 = none")
    parser.add_argument("--db", type=Path, help="collection file to reuse (else a temporary one)")
    parser.add_argument("--mixed", type=float, default=0.0, help="s of mixed load, 0 = none")
    parser.add_argument("--mixed-clients", type=int, default=32, help="clients of the mixed load")
    parser.add_argument("--updates", type=float, default=0.0, help="share of mixed updates")
    parser.add_argument(
        "--recycled-bodies",
        action="store_true",
        help="originals made of recycled pool paragraphs (the corpus of figures before 2026-11-26)",
    )
    parser.add_argument(
        "--boilerplate",
        action="store_true",
        help="pre-load with --strip-boilerplate (the corpus's boilerplate model stored too)",
    )
    args = parser.parse_args()
    if not 0.0 <= args.updates < 1.0:
        parser.error("--updates must be at least 0 and below 1")
    levels = [int(c) for c in args.clients.split(",")]
    print(machine())
    print(probe().line(), flush=True)
    with tempfile.TemporaryDirectory(prefix="service-load-") as tmp:
        db = args.db or Path(tmp) / "index.db"
        fresh = not args.recycled_bodies
        print(preload(db, args.docs, Path(tmp), args.boilerplate, fresh), flush=True)
        port = free_port()
        url = f"http://{LOOPBACK}:{port}"
        process = start_service(db, port, queue_size=64)
        mixed: Mixed | None = None
        try:
            # Enough documents for the mixed load at well over 1,000 requests/s.
            total = sum(WARM_UP + args.requests for _ in levels) + 10 + args.baseline
            total += 9 * args.baseline + 2 * WRITER_BATCH
            total += int(args.mixed * 2_000)
            made = (
                Document(f"load-{d.id}", d.text, d.source, d.published, d.title)
                for d in news_corpus(total, seed=1, fresh_bodies=fresh)
            )
            first = next(made)
            if stored(url, first.id):
                raise SystemExit(
                    f"{db} already holds this benchmark's posts ({first.id}: an earlier run's):"
                    " they would be answered as re-posts of themselves; give a fresh copy"
                )
            docs = itertools.chain([first], made)
            results = []
            for clients in levels:
                level = asyncio.run(
                    run_level(
                        url,
                        docs,
                        clients,
                        args.requests,
                        args.max_seconds,
                        process.pid,
                    )
                )
                results.append(level)
                print(
                    f"  {clients} client(s): {level.done} posts in {level.seconds:.1f} s",
                    flush=True,
                )
            levels_metrics = scrape(url)
            if args.mixed:
                mixed = asyncio.run(
                    run_mixed(url, docs, args.mixed_clients, args.mixed, process.pid, args.updates)
                )
            final_metrics = scrape(url)
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(60)
        print(f"\nPOST /v1/documents into {args.docs:,} stored documents (service exit {code}):\n")
        print(table(results))
        print("\nCPU ms a post by role (the writer is the ceiling):\n")
        print(roles_table(results))
        if mixed is not None:
            updated = f" ({args.updates:.0%} of them updates)" if args.updates else ""
            print(
                f"\nmixed load: {args.mixed_clients} clients for {args.mixed:g} s, "
                f"half posts, half checks{updated}:\n"
            )
            print(mixed_table(mixed, args.mixed_clients))
        print(f"\nposts prepared (levels): {preparations(levels_metrics)}")
        if mixed is not None:
            print(f"posts prepared (mixed): {preparations(final_metrics, levels_metrics)}")
        print(f"collector pauses in the service's process: {gc_pauses(final_metrics)}")
        if args.baseline:
            print("\n" + library_line(db, docs, args.baseline))
            writer, later, after = writer_baseline(db, docs, 3 * args.baseline)
            print(
                f"the writer's part alone (post_pending after prepare, batches of "
                f"{WRITER_BATCH}, {3 * args.baseline} posts a round): {writer:.2f} ms CPU each, "
                f"so at most {1e3 / writer:,.0f} posts/s through one writer; the next round "
                f"{later:.2f} ms; after it deleted every sixth post of those, {after:.2f} ms "
                f"({after / later:.2f}x the round before)"
            )
        load = os.getloadavg()
        print(f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
        print(probe().line())


if __name__ == "__main__":
    main()
