"""``dedup bulk --strip-boilerplate``: a corpus of many copies against as many distinct
articles, and one job against two.

    python -m benchmarks.strip_bench [--stories 130] [--copies 20] [--runs 2]

A dedup tool's input is full of copies: a wire story is reprinted dozens of times, and a
scraped corpus often has no source field, so every copy is of one source. Each paragraph of
such a story is then carried by every copy, and deciding that it is not boilerplate means
reading all of them and finding them one story: per key, per batch judged. And learning the
model (each document's paragraphs, masks and keys, in Python) is most of a stripped run. This
runs ``dedup bulk --strip-boilerplate`` (each run a process of its own, as a user runs it) on:

* **copies**: ``--stories`` articles of ``dedup.synth.news_corpus`` (fresh bodies, no
  reprints), each ``--copies`` times with a word of its own appended, without sources;
* **distinct**: as many distinct articles of the same generator, without sources: the
  baseline of the copies, measured in the same run;
* **copies, not stripped**: the first corpus without ``--strip-boilerplate``;
* **large**: ``--large`` distinct articles with ``--jobs 2`` (the default here, with two
  cores), whose learning runs in worker processes (:mod:`dedup.bulk.learn_procs`), and with
  ``--jobs 1``, its baseline. Peak RSS is summed over the job's processes: the workers are
  forked, and the pages they share with the parent count in each.

and prints each run's wall and CPU time, its ingest and learning stages (from its
``summary.json``) and peak RSS, with the ratios of copies to distinct and of one job to two.

Measured 2026-11-28 (2 cores, two rounds): copies 4.41 and 4.66 s, distinct 4.43 and 4.62 s
(1.00x); not stripped 2.03 and 2.44 s. Large: 25.03 and 24.58 s with two jobs (learning 13.14
and 12.75 s, 38.1 and 37.0 CPU s) against 28.34 and 33.82 s with one (15.28 and 19.73 s;
28.3 and 33.8 CPU s): 1.25x. By hand, two jobs with the learning in worker processes
against two jobs learning in the job's process, alternating: learning 12.4 and 14.1 s
against 18.1 and 17.1 s, the run 28.3 and 31.8 s against 34.3 and 33.8 s.

Before the story counts were compiled and decisions kept from batch to batch (2026-11-28, by
hand), the copies took 12.6 s (ingest 8.7 s) against 4.3 s (0.8) after; and 130 real
articles of ``data/web-articles.jsonl`` x 20 copies, 38.5 s against 5.6 s (ingest 28.6
against 1.8), the outputs the same byte for byte.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks._common import ROOT, ChildRun, machine, run_child
from dedup.synth import news_corpus


def write(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def corpora(work: Path, stories: int, copies: int, large: int) -> tuple[Path, Path, Path]:
    """The copies corpus, as many distinct articles, and ``large`` distinct ones."""
    docs = list(news_corpus(max(stories * copies, large), seed=5, dup_rate=0.0, fresh_bodies=True))
    copied = [
        {"id": f"{d.id}-{k}", "text": f"{d.text} {k}"}
        for k in range(copies)
        for d in docs[:stories]
    ]
    distinct = [{"id": d.id, "text": d.text} for d in docs]
    return (
        write(work / "copies.jsonl", copied),
        write(work / "distinct.jsonl", distinct[: stories * copies]),
        write(work / "large.jsonl", distinct[:large]),
    )


def bulk(corpus: Path, out: Path, strip: bool, jobs: int) -> tuple[ChildRun, dict[str, float]]:
    """One ``dedup bulk`` process; its measures and its stages' timings."""
    args = [sys.executable, "-m", "dedup", "bulk", str(corpus), "--out", str(out), "--quiet"]
    args += ["--jobs", str(jobs)] + (["--strip-boilerplate"] if strip else [])
    run = run_child(args, {"PYTHONPATH": str(ROOT)})
    if run.returncode != 0:
        raise SystemExit(f"dedup bulk failed:\n{run.stderr}")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return run, summary["timings"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=130)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--large", type=int, default=20_000, help="distinct, for one job or two")
    parser.add_argument("--runs", type=int, default=2, help="alternating rounds of them all")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="dedup-bench-") as tmp:
        work = Path(tmp)
        copies, distinct, large = corpora(work, args.stories, args.copies, args.large)
        bulk(distinct, work / "warm", True, 2)  # numba's cache filled: no run below compiles
        docs = args.stories * args.copies
        kinds = {
            "copies": (copies, docs, True, 2),
            "distinct": (distinct, docs, True, 2),
            "copies, not stripped": (copies, docs, False, 2),
            "large, --jobs 2": (large, args.large, True, 2),
            "large, --jobs 1": (large, args.large, True, 1),
        }
        walls: dict[str, list[float]] = {kind: [] for kind in kinds}
        print(
            f"\ncopies: {args.stories} stories x {args.copies} copies; distinct: as many "
            f"articles; large: {args.large:,} articles; no sources\n"
        )
        print("| corpus | docs | run | wall s | CPU s | ingest s | learn s | peak RSS MB |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for k in range(args.runs):
            for kind, (corpus, count, strip, jobs) in kinds.items():
                run, timings = bulk(corpus, work / f"out-{k}", strip, jobs)
                walls[kind].append(run.seconds)
                print(
                    f"| {kind} | {count:,} | {k + 1} | {run.seconds:.2f} | "
                    f"{run.cpu_seconds:.2f} | {timings.get('ingest', 0.0):.2f} | "
                    f"{timings.get('learn_boilerplate', 0.0):.2f} | {run.peak_rss_mb:.0f} |"
                )
        median = {kind: statistics.median(seconds) for kind, seconds in walls.items()}
        print(
            f"\ncopies / distinct, stripped (median wall): "
            f"{median['copies'] / median['distinct']:.2f}x; large, one job / two: "
            f"{median['large, --jobs 1'] / median['large, --jobs 2']:.2f}x"
        )


if __name__ == "__main__":
    main()
