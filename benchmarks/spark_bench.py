"""The bulk job on the local engine against the Spark engine in local mode, same corpus.

Generates ``--docs`` documents with ``dedup.synth.news_corpus`` (as ``bulk_bench`` does) and
measures wall time of whole processes, so every fixed cost is counted where it falls:

* ``local``: ``dedup bulk --engine local`` (all cores);
* ``spark cold``: ``dedup bulk --engine spark --spark-master local[*]``: JVM and session
  start-up, Python workers starting and loading the compiled kernels, then the job;
* ``spark overhead``: the same on a 10-document corpus: the fixed cost of a Spark run here
  (start-up plus the job's few dozen small Spark jobs), whatever the corpus;
* ``spark warm``: a second run inside one live session (what a notebook or a long-lived
  application sees); and the session start-up alone.

It also checks that both engines wrote byte-identical clusters.jsonl and pairs.jsonl.
Run: ``python -m benchmarks.spark_bench [--docs 20000] [--master 'local[*]']`` (needs the
``spark`` extra and Java 17+). One warm-up run fills numba's on-disk cache first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._common import ROOT, ChildRun, machine, run_child
from benchmarks.bulk_bench import head, write_corpus

_WARM_SESSION = """
import json, sys, time
from dedup import Config
from dedup.engines.spark import run_spark_bulk, start_session
start = time.perf_counter()
spark = start_session(sys.argv[2])
session = time.perf_counter() - start
runs = []
for _ in range(2):
    start = time.perf_counter()
    run = run_spark_bulk(spark, [sys.argv[1]], Config())
    run.result()
    runs.append({"seconds": time.perf_counter() - start, "timings": run.timings})
    run.release()
spark.stop()
print(json.dumps({"session": session, "cold": runs[0], "warm": runs[1]}))
"""


def bulk(corpus: Path, out: Path, *args: str) -> ChildRun:
    """``dedup bulk`` as a child process; exits with its stderr if it fails."""
    run = run_child(
        [sys.executable, "-m", "dedup", "bulk", str(corpus), "--out", str(out), "--quiet", *args],
        env={"PYTHONPATH": str(ROOT)},
    )
    if run.returncode != 0:
        raise SystemExit(f"dedup bulk {' '.join(args)} failed:\n{run.stderr}")
    return run


def in_one_session(corpus: Path, master: str) -> dict[str, Any]:
    """Session start-up, then a cold and a warm run of the job in that one session."""
    done = subprocess.run(
        [sys.executable, "-c", _WARM_SESSION, str(corpus), master],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"in-session runs failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--master", default="local[*]")
    args = parser.parse_args()
    spark = ("--engine", "spark", "--spark-master", args.master)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="dedup-spark-bench-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus.jsonl"
        size = write_corpus(corpus, args.docs)
        tiny = work / "tiny.jsonl"
        head(corpus, tiny, 10)
        print(f"corpus: {args.docs} documents, {size:.0f} MB; Spark master {args.master}")
        bulk(tiny, work / "warm-up")  # numba's cache, so that no run below compiles
        rows = [
            ("local", args.docs, bulk(corpus, work / "local")),
            ("spark cold (process)", args.docs, bulk(corpus, work / "spark", *spark)),
            ("spark overhead (10 docs)", 10, bulk(tiny, work / "tiny", *spark)),
        ]
        same = all(
            (work / "local" / name).read_bytes() == (work / "spark" / name).read_bytes()
            for name in ("clusters.jsonl", "pairs.jsonl", "deduped.jsonl")
        )
        stages = json.loads((work / "spark" / "summary.json").read_text())["timings"]
        session = in_one_session(corpus, args.master)
    print("\n{:<28}{:>9}{:>10}{:>10}".format("run", "docs", "seconds", "docs/s"))
    for name, n, run in rows:
        print(f"{name:<28}{n:>9}{run.seconds:>10.1f}{n / run.seconds:>10.0f}")
    cold, warm = session["cold"], session["warm"]
    print(f"{'spark in-session, 1st run':<28}{args.docs:>9}{cold['seconds']:>10.1f}")
    print(f"{'spark in-session, 2nd run':<28}{args.docs:>9}{warm['seconds']:>10.1f}")
    print(f"\nsession start-up alone: {session['session']:.1f} s")
    print(f"spark stages, cold process (s): {stages}")
    print(f"spark stages, 2nd in-session run (s): {warm['timings']}")
    print(f"identical clusters/pairs/deduped: {same}")


if __name__ == "__main__":
    main()
