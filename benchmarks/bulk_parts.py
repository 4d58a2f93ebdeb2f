"""Parts of the bulk job, each timed against the way it replaced, in one run on one corpus.

On a generated news corpus (``dedup.synth.news_corpus``, 30 % reprints, written as JSONL):

1. **Ingest start-up** with two worker processes: workers forked after this process loaded
   the kernels, against workers started cold from a forkserver. Each run is a fresh Python
   process (``--ingest-child``) that imports dedup and runs :class:`ProcessIngest`, as the
   CLI would; the corpora they build are checked equal.
2. **Distinct candidate codes**: ``np.unique`` against :func:`dedup._arrays.sorted_unique` on
   the concatenated pair codes of the 32 bands (the candidates stage's last step).
3. **Verification**: the sets walked where the spool's files are mapped, against read into
   arrays chunk by chunk (a memory budget under the spool's size), with one thread and two;
   the verified pairs are checked equal. Runs in this process, whose memory is warm by then:
   a fresh CLI process pays more for the reads (the arrays are memory it has never touched).
4. **Exit**: a process that has loaded numba and the kernels, leaving as usual against leaving
   after ``gc.freeze()`` (what the ``dedup`` program does): time from its last statement to
   its end, seen from here.
5. **Start-up**: a fresh process from its first statement until the fingerprinting kernels have
   run once (what the bulk job does before forking its workers), with numba's BLAS probe
   (``numba.np.arraymath`` imported before dedup, so the probe runs as it did before
   :mod:`dedup._numba_start`) against without (the kernel modules answer it as they load, as
   in every program).

``write_outputs`` with one job against two is timed by :mod:`benchmarks.bulk_outputs`.

Run: ``python -m benchmarks.bulk_parts [--docs 100000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks._common import ROOT, machine
from benchmarks.bulk_bench import write_corpus
from dedup.bulk.ingest import Corpus
from dedup.bulk.spool import ShingleSpool
from dedup.cluster import canonical_order

_EXIT_CHILD = """
import gc, sys, time
from dedup.config import Config
from dedup.fingerprint import Fingerprinter
Fingerprinter(Config()).fingerprint(["the kernels are loaded", "here"])
if sys.argv[1] == "freeze":
    gc.freeze()
print(time.time(), flush=True)
"""


_START_CHILD = """
import sys, time
start = time.perf_counter()
if sys.argv[1] == "probe":
    import numba.np.arraymath
from dedup.bulk._ingest_worker import load_kernels
from dedup.config import Config
load_kernels(Config())
print(time.perf_counter() - start, "scipy.linalg" in sys.modules, flush=True)
"""


def ingest_child(path: str, method: str, out: str) -> None:
    """One process ingesting ``path`` with two workers; writes seconds and a digest to ``out``."""
    start = time.perf_counter()
    from dedup import Config
    from dedup.bulk.procs import JsonlFiles, ProcessIngest
    from dedup.io import FieldNames

    with ShingleSpool() as spool:
        corpus = ProcessIngest(Config(), 2, start_method=method).run(
            JsonlFiles([path], FieldNames()), spool
        )
        seconds = time.perf_counter() - start
        digest = [len(corpus), int(corpus.keys.sum() % 2**61), int(spool.sizes.sum())]
    Path(out).write_text(json.dumps({"seconds": seconds, "digest": digest}))


def _ingest(corpus: Path, work: Path, repeat: int) -> None:
    times: dict[str, list[float]] = {"forkserver": [], "fork": []}
    digests = set()
    for k in range(repeat):
        for method in times:  # alternating
            out = work / f"ingest-{method}-{k}.json"
            start = time.perf_counter()
            child = ["-m", "benchmarks.bulk_parts", "--ingest-child", str(corpus), method]
            subprocess.run(
                [sys.executable, *child, str(out)],
                check=True,
                env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            )
            times[method].append(time.perf_counter() - start)
            digests.add(json.dumps(json.loads(out.read_text())["digest"]))
    if len(digests) != 1:
        raise SystemExit("fork and forkserver workers built different corpora")
    cold, forked = (statistics.median(times[m]) for m in ("forkserver", "fork"))
    print(
        f"1. ingest, 2 workers, whole process (median of {repeat}): forkserver {cold:.2f} s, "
        f"forked {forked:.2f} s ({cold - forked:+.2f} s)"
    )


def _best(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def _codes(corpus: Corpus, spool: ShingleSpool) -> np.ndarray:
    """What the candidates stage merges at its end: every band's sorted pair codes."""
    from dedup.bulk.candidates import CandidatePairs

    rank = canonical_order(corpus.ids, corpus.published, corpus.lengths.tolist())
    keys = corpus.keys
    docs = np.flatnonzero(spool.sizes > 0).astype(np.int64)
    docs = docs[np.argsort(rank[docs], kind="stable")]
    n = np.int64(keys.shape[0])
    pairs = CandidatePairs()
    return np.concatenate([pairs._band(keys, docs, b, n)[0] for b in range(keys.shape[1])])


def _in_process(corpus_path: Path, repeat: int) -> None:
    from dedup import Config
    from dedup._arrays import sorted_unique
    from dedup.bulk.candidates import CandidatePairs
    from dedup.bulk.procs import JsonlFiles, ProcessIngest
    from dedup.bulk.verify import PairVerifier
    from dedup.io import FieldNames

    config = Config()
    with ShingleSpool() as spool:
        corpus = ProcessIngest(config, 2).run(JsonlFiles([str(corpus_path)], FieldNames()), spool)
        codes = _codes(corpus, spool)
        hashed = _best(lambda: np.unique(codes), repeat)
        sorted_ = _best(lambda: sorted_unique(codes, kind="stable"), repeat)
        if not np.array_equal(np.unique(codes), sorted_unique(codes, kind="stable")):
            raise SystemExit("sorted_unique differs from np.unique")
        print(
            f"2. distinct codes of {codes.size:,} band pairs (best of {repeat}): np.unique "
            f"{hashed * 1e3:.0f} ms, sorted_unique {sorted_ * 1e3:.0f} ms ({hashed / sorted_:.1f}x)"
        )
        rank = canonical_order(corpus.ids, corpus.published, corpus.lengths.tolist())
        left, right, _ = CandidatePairs().find(corpus.keys, rank, spool.sizes > 0)
        hashes = corpus.content_hashes
        small = spool.nbytes // 2  # under the spool's size: read chunk by chunk
        for jobs in (1, 2):
            found = {}
            times = {}
            for way, memory in (("read", small), ("mapped", spool.nbytes)):
                verifier = PairVerifier(config.threshold, jobs=jobs, memory=memory)

                def verify(v: PairVerifier = verifier) -> object:
                    return v.verify(left, right, spool, hashes)

                times[way] = _best(verify, repeat)
                found[way] = verifier.verify(left, right, spool, hashes)
            if not all(
                np.array_equal(getattr(found["read"], f), getattr(found["mapped"], f))
                for f in ("left", "right", "jaccard", "relation")
            ):
                raise SystemExit("mapped and read verification differ")
            print(
                f"3. verify {left.size:,} candidates, {jobs} thread(s) (best of {repeat}), spool "
                f"{spool.nbytes / 2**20:.0f} MiB: read in chunks {times['read']:.2f} s, "
                f"mapped {times['mapped']:.2f} s"
            )


def _fresh(program: str, way: str) -> list[str]:
    """The words ``program`` printed last, run in a fresh Python process with ``way``."""
    proc = subprocess.run(
        [sys.executable, "-c", program, way],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    return proc.stdout.splitlines()[-1].split()


def _exit(repeat: int) -> None:
    after: dict[str, list[float]] = {"plain": [], "freeze": []}
    for _ in range(repeat):
        for way in after:
            last_statement = float(_fresh(_EXIT_CHILD, way)[-1])
            after[way].append(time.time() - last_statement)
    plain, frozen = (statistics.median(after[w]) for w in ("plain", "freeze"))
    print(
        f"4. exit after loading the kernels (median of {repeat}): {plain:.3f} s as usual, "
        f"{frozen:.3f} s after gc.freeze() ({plain - frozen:+.3f} s)"
    )


def _start(repeat: int) -> None:
    took: dict[str, list[float]] = {"probe": [], "none": []}
    scipy: dict[str, bool] = {}
    for _ in range(repeat):
        for way in took:
            seconds, imported = _fresh(_START_CHILD, way)[-2:]
            took[way].append(float(seconds))
            scipy[way] = imported == "True"
    probe, none = (statistics.median(took[w]) for w in ("probe", "none"))
    print(
        f"5. start-up until the kernels have run (median of {repeat}): {probe:.3f} s with "
        f"numba's BLAS probe (scipy.linalg imported: {scipy['probe']}), {none:.3f} s without "
        f"(imported: {scipy['none']}) ({none - probe:+.3f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ingest-child", nargs=3, metavar=("PATH", "METHOD", "OUT"))
    args = parser.parse_args()
    if args.ingest_child:
        ingest_child(*args.ingest_child)
        return
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="dedup-parts-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus.jsonl"
        size = write_corpus(corpus, args.docs)
        print(f"corpus: {args.docs} documents, {size:.0f} MB")
        _ingest(corpus, work, args.repeat)
        _in_process(corpus, args.repeat)
    _exit(args.repeat * 3)
    _start(args.repeat * 3)


if __name__ == "__main__":
    main()
