"""What ``--db`` costs the bulk job: ``dedup bulk`` against ``dedup bulk --db`` on one corpus.

For each size (default 20,000 and 100,000 generated articles, written as
:mod:`benchmarks.bulk_bench` writes them) both commands run as their own processes, with every
core (``--jobs 0``), a fresh output directory and a fresh collection file. Each row gives wall
time, the child's CPU time (user + system: steadier when other jobs share the machine), its
peak RSS, the bytes it wrote (``write_bytes`` of ``/proc/self/io`` at exit: the outputs, the
WAL, its checkpoint and any temporary files) and the collection file's size, with the
1-minute load average just before the run.

A third run per size stores with ``--commit-every 4096`` (one commit per loading step instead
of one for the run: what a file a service is using should be loaded with; ``--commit-every 0``
leaves it out).

``--root DIR`` runs the code of another checkout (the same corpus and settings), for a
before/after comparison; ``--skip-plain`` leaves out the runs without ``--db``.

Run: ``python -m benchmarks.bulk_db_bench [--docs 20000 100000] [--root DIR] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks._common import ROOT, ChildRun, machine, run_child
from benchmarks.bulk_bench import write_corpus

# The CLI in a child that records its own I/O counters when it exits. ``python -c`` puts the
# working directory first on sys.path: dropped, so that PYTHONPATH (--root) decides the code.
CHILD = """
import atexit, os, sys
sys.path = [p for p in sys.path if p]

def _io():
    with open('/proc/self/io') as src, open(os.environ['DEDUP_BENCH_IO'], 'w') as dst:
        dst.write(src.read())

atexit.register(_io)
from dedup.cli import main
main(prog_name='dedup')
"""


def bulk(
    corpus: Path, work: Path, root: Path, db: bool, flags: list[str]
) -> tuple[ChildRun, int, int]:
    """One ``dedup bulk`` run (``flags`` added); returns it, the bytes it wrote and the
    collection's size."""
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    path = work / "articles.db"
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    io_file = work / "io.txt"
    args = [sys.executable, "-c", CHILD, "bulk", str(corpus), "--out", str(out), "--jobs", "0"]
    args += ["--quiet", *(["--db", str(path)] if db else []), *flags]
    run = run_child(args, env={"PYTHONPATH": str(root), "DEDUP_BENCH_IO": str(io_file)})
    if run.returncode != 0:
        raise SystemExit(f"dedup bulk failed:\n{run.stderr}")
    counters = dict(line.split(": ") for line in io_file.read_text().splitlines())
    return run, int(counters["write_bytes"]), path.stat().st_size if db else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose code runs")
    parser.add_argument("--skip-plain", action="store_true", help="only the --db runs")
    parser.add_argument("--keep", type=Path, help="directory to write corpora to and keep")
    parser.add_argument("--commit-every", type=int, default=4096, help="0 = no such run")
    args = parser.parse_args()
    print(f"machine: {machine()}; code: {args.root}")
    header = ("job", "docs", "load", "seconds", "CPU s", "peak RSS MB", "written MB", "db MB")
    print("{:<38}{:>9}{:>6}{:>9}{:>8}{:>13}{:>12}{:>8}".format(*header))
    jobs: list[tuple[str, bool, list[str]]] = [
        ("dedup bulk", False, []),
        ("dedup bulk --db", True, []),
    ]
    if args.skip_plain:
        jobs = jobs[1:]
    if args.commit_every:
        every = ["--commit-every", str(args.commit_every)]
        jobs.append((f"dedup bulk --db {' '.join(every)}", True, every))
    with tempfile.TemporaryDirectory(prefix="dedup-dbbench-") as tmp:
        work = Path(tmp)
        for n in args.docs:
            corpus = (args.keep or work) / f"corpus-{n}.jsonl"
            if not corpus.exists():
                write_corpus(corpus, n)
            for name, db, flags in jobs:
                load = os.getloadavg()[0]
                run, written, size = bulk(corpus, work, args.root, db, flags)
                cells = (
                    name,
                    n,
                    f"{load:.1f}",
                    f"{run.seconds:.1f}",
                    f"{run.cpu_seconds:.1f}",
                    f"{run.peak_rss_mb:.0f}",
                    f"{written / 1e6:.0f}",
                    f"{size / 1e6:.0f}" if db else "-",
                )
                print("{:<38}{:>9}{:>6}{:>9}{:>8}{:>13}{:>12}{:>8}".format(*cells), flush=True)


if __name__ == "__main__":
    main()
