"""End-to-end bulk dedup: ours at --jobs 1 and 2 against the datasketch pipeline.

Generates a news-like corpus with ``dedup.synth.news_corpus`` (30 % near-duplicate reprints),
then runs each job as its own process, measuring wall time and that process's peak RSS:

* ``dedup bulk`` with ``--jobs 1`` and ``--jobs 2`` on the whole corpus;
* the same on the first ``--baseline-docs`` documents, and the datasketch pipeline
  (``benchmarks.datasketch_pipeline``) on those: datasketch runs ~1,000 docs/s, so it gets a
  subset, and ours is measured on the very same subset for the ratio.

With ``--large N``, a separate corpus of ``N`` documents is generated and run once with every
core (``--jobs 0``): the scale check of issue #4 (1,000,000 documents in under 10 minutes on 2
cores, peak RSS at most 4 GB). It needs about 12 GB of free disk per million documents (input,
temporary spools and outputs).

Each row also gives the job's CPU time (user + system), steadier than wall time when other
jobs share the machine. With ``--jobs 2`` on a ``.jsonl`` corpus the job's ingest runs in
worker processes (:mod:`dedup.bulk.procs`), forked on Linux, started by a forkserver elsewhere,
and a forked child writes ``deduped.jsonl``: CPU time and memory are sampled from /proc over
the job's session (see :func:`benchmarks._common.run_child`). RSS is summed over the processes
(an upper bound: a forked process's shared pages count in each) every 50 ms; PSS divides
shared pages among their sharers, read every 0.5 s only (reading it costs the job time), so
its peak can be missed.

Last measured (2026-11-26, load 1.0): datasketch 870-976 docs/s; ``--jobs 1`` 9.3-10.1 s,
11.0-11.3x datasketch; ``--jobs 2`` 6.1-6.2 s, 1.52-1.64x from 1 to 2 jobs, with 9.7-9.8 CPU s
against 9.4-10.1 at ``--jobs 1``. Over seven runs of this round's commits: 9.3-11.3x and
1.52-1.78x. With each run's input read before it (``warm``), two runs in a slow hour: 12.2x and
11.4x, 1.68x and 1.62x. Issue #4 asks for 10x and 1.7x: the first is met in most runs, the
second is not reliably met. Four runs on 2026-11-26 after numba's BLAS probe left start-up
(anchor 826-1,017 docs/s): 10.8-12.5x, and 1.66x, 1.56x, 1.69x and 1.62x. Later that day
PSS was found to cost the two-job runs: read every 50 ms, it took 0.3-0.6 s from a job using
both cores (see :class:`benchmarks._common._SessionSampler`); read every 0.5 s, the next run
(anchor 1,001 docs/s) gave 10.2-10.7x at ``--jobs 1`` and 1.82x, 1.64x and 1.81x over three
alternating pairs (median 1.81x), ``--jobs 2`` 5.4-5.7 s with 9.4-9.8 CPU s. The 1M run
(``--large 1000000``, 2 cores): 147.7 s wall, 239.5 CPU s, peak RSS 2.8 GB summed over its
processes.

``--jobs 1`` and ``--jobs 2`` run in ``--pairs`` alternating pairs (3 by default): this box's
speed drifts by 15-30 % within minutes, so one pair's ratio swung by more than the
difference it measures; every pair's ratio is printed, and their median.

Run: ``python -m benchmarks.bulk_bench [--docs 100000] [--baseline-docs 20000] [--pairs 3]
[--large 0]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import ROOT, ChildRun, machine, run_child
from dedup.synth import news_corpus


def write_corpus(path: Path, n_docs: int, seed: int = 7) -> float:
    """Write ``n_docs`` generated documents as JSONL; returns the size in MB."""
    with path.open("w", encoding="utf-8") as handle:
        for doc in news_corpus(n_docs, seed=seed):
            record = {"id": doc.id, "text": doc.text, "source": doc.source}
            if doc.published:
                record["published"] = doc.published
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path.stat().st_size / 1e6


def head(source: Path, target: Path, n: int) -> None:
    """The first ``n`` lines of a JSONL file."""
    with source.open(encoding="utf-8") as src, target.open("w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i >= n:
                break
            dst.write(line)


def large_run(work: Path, n_docs: int) -> None:
    """Generate ``n_docs`` documents and run them once with every core; print the figures."""
    corpus = work / "large.jsonl"
    size = write_corpus(corpus, n_docs, seed=11)
    print(f"\nlarge corpus: {n_docs} documents, {size:.0f} MB")
    run = ours(corpus, work / "large-out", 0)
    rate = n_docs / run.seconds
    print(
        f"dedup --jobs 0 (all cores): {run.seconds:.1f} s wall, {run.cpu_seconds:.1f} s CPU, "
        f"{rate:.0f} docs/s, peak RSS {run.peak_rss_mb:.0f} MB summed over its processes "
        f"(peak PSS {run.peak_pss_mb:.0f} MB)"
    )
    if n_docs < 1_000_000:
        print(f"  at this rate 1,000,000 documents take {1_000_000 / rate:.0f} s (linear)")


def warm(path: Path) -> None:
    """Read a file whole, untimed, so that a run finds its input in the page cache.

    This machine's kernel reclaims cold pages on its own (DAMON): between runs, part of a
    corpus written minutes before can be gone and read from disk again inside the timing,
    which slowed some runs by a quarter and more than others.
    """
    with path.open("rb") as handle:
        while handle.read(1 << 24):
            pass


def ours(corpus: Path, out: Path, jobs: int) -> ChildRun:
    warm(corpus)
    run = run_child(
        [
            sys.executable,
            "-m",
            "dedup",
            "bulk",
            str(corpus),
            "--out",
            str(out),
            "--jobs",
            str(jobs),
            "--quiet",
        ],
        env={"PYTHONPATH": str(ROOT)},
    )
    if run.returncode != 0:
        raise SystemExit(f"dedup bulk failed:\n{run.stderr}")
    return run


def baseline(corpus: Path, out: Path) -> ChildRun:
    warm(corpus)
    run = run_child(
        [sys.executable, "-m", "benchmarks.datasketch_pipeline", str(corpus), str(out)],
        env={"PYTHONPATH": str(ROOT)},
    )
    if run.returncode != 0:
        raise SystemExit(f"datasketch pipeline failed:\n{run.stderr}")
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--baseline-docs", type=int, default=20_000)
    parser.add_argument("--large", type=int, default=0, help="scale run size, 0 = none")
    parser.add_argument(
        "--pairs", type=int, default=3, help="alternating --jobs 1 / --jobs 2 runs of the corpus"
    )
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="dedup-bench-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus.jsonl"
        start = time.perf_counter()
        size = write_corpus(corpus, args.docs)
        made = args.docs / (time.perf_counter() - start)
        subset = work / "subset.jsonl"
        head(corpus, subset, args.baseline_docs)
        print(
            f"corpus: {args.docs} documents, {size:.0f} MB, generated and written at "
            f"{made:,.0f} docs/s; subset {args.baseline_docs}"
        )
        # One warm-up run fills numba's on-disk cache so no run below pays for compiling.
        ours(subset, work / "warm", 1)
        rows: list[tuple[str, int, ChildRun]] = []
        rows.append(("datasketch pipeline", args.baseline_docs, baseline(subset, work / "ds")))
        rows.append(("dedup --jobs 1 (subset)", args.baseline_docs, ours(subset, work / "s1", 1)))
        for k in range(args.pairs):
            for jobs in (1, 2):
                out = work / f"o{jobs}-{k}"
                rows.append(
                    (f"dedup --jobs {jobs} (pair {k + 1})", args.docs, ours(corpus, out, jobs))
                )
        summary = json.loads((work / "o1-0" / "summary.json").read_text())
    anchor = rows[0][1] / rows[0][2].seconds
    header = ("job", "docs", "seconds", "CPU s", "docs/s", "x datasketch", "RSS MB", "PSS MB")
    print("\n{:<26}{:>9}{:>10}{:>8}{:>10}{:>14}{:>9}{:>9}".format(*header))
    for name, n, run in rows:
        rate = n / run.seconds
        cells = (
            name,
            n,
            f"{run.seconds:.1f}",
            f"{run.cpu_seconds:.1f}",
            f"{rate:.0f}",
            f"{rate / anchor:.1f}",
        )
        peaks = f"{run.peak_rss_mb:>9.0f}{run.peak_pss_mb:>9.0f}"
        print("{:<26}{:>9}{:>10}{:>8}{:>10}{:>14}".format(*cells) + peaks)
    print("(peak RSS summed over the job's processes every 50 ms; PSS every 0.5 s, a lower bound)")
    pairs = rows[2:]
    ratios = [
        one.seconds / two.seconds
        for (_, _, one), (_, _, two) in zip(pairs[::2], pairs[1::2], strict=True)
    ]
    each = ", ".join(f"{r:.2f}x" for r in ratios)
    print(
        f"\nspeed-up from 1 to 2 jobs: median {statistics.median(ratios):.2f}x over "
        f"{len(ratios)} alternating pair(s): {each}"
    )
    print(f"stage timings at --jobs 1 (s): {summary['timings']}")
    print(
        f"found: {summary['clusters']} clusters, {summary['duplicates']} duplicates, "
        f"{summary['pairs']} verified pairs of {summary['candidate_pairs']} candidates"
    )
    if args.large:
        with tempfile.TemporaryDirectory(prefix="dedup-bench-large-") as tmp:
            large_run(Path(tmp), args.large)


if __name__ == "__main__":
    main()
