"""Writing a bulk run's outputs: ``write_outputs`` end to end, and pairs.jsonl both ways.

Runs the bulk job in this process on a generated news corpus (``dedup.synth.news_corpus``,
30 % reprints), keeping every document's record as the CLI does, then times writing the six
output files (``deduped.jsonl`` copied from the record spool, the fsyncs and the directory
swap included) several times into fresh directories, alternately with one job and with two
(``deduped.jsonl`` then copied and synced by a forked child process while the parent writes
the other files), and checks that both give the same files. In the same run it times ``pairs.jsonl``
written line by line (:func:`dedup.bulk.outputs.write_pairs`) against the dict +
``json.dumps`` path it replaced, and checks the two give the same bytes.

Last measured (100,000 documents, 38,540 pairs, load about 1): ``write_outputs`` 0.654 s
(median of three; 0.74-0.79 s before the kernel copy and the line-by-line pairs, timed around
the call in alternating CLI runs); pairs.jsonl 0.238 s through dicts, 0.164 s line by line.

Run: ``python -m benchmarks.bulk_outputs [--docs 100000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks._common import machine
from dedup import Config
from dedup.bulk import BulkOptions, run_bulk, write_outputs
from dedup.bulk.outputs import pair_records, write_pairs
from dedup.bulk.records import RecordSpool
from dedup.io import write_jsonl
from dedup.synth import news_corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="dedup-outputs-") as tmp, RecordSpool(tmp) as records:
        result = run_bulk(
            news_corpus(args.docs, seed=7), Config(), BulkOptions(jobs=1), records=records
        )
        records.seal()
        print(f"{args.docs} documents, {len(result.pairs)} pairs, {result.clusters} clusters")
        outputs: dict[int, list[float]] = {1: [], 2: []}
        for k in range(args.repeat):
            for jobs in (1, 2):  # alternating: two jobs copy deduped.jsonl in a child process
                start = time.perf_counter()
                write_outputs(
                    str(Path(tmp) / f"out{k}-{jobs}"), result, None, records=records, jobs=jobs
                )
                outputs[jobs].append(time.perf_counter() - start)
        for name in ("clusters.jsonl", "pairs.jsonl", "deduped.jsonl", "samples.jsonl"):
            one, two = (Path(tmp) / f"out0-{jobs}" / name for jobs in (1, 2))
            if one.read_bytes() != two.read_bytes():
                raise SystemExit(f"{name} differs between one and two jobs")
        generic, direct = [], []
        for _ in range(args.repeat):
            a, b = io.StringIO(), io.StringIO()
            start = time.perf_counter()
            write_jsonl(a, pair_records(result))
            middle = time.perf_counter()
            write_pairs(b, result)
            direct.append(time.perf_counter() - middle)
            generic.append(middle - start)
            if a.getvalue() != b.getvalue():
                raise SystemExit("pairs.jsonl differs between the two ways")
    alone, beside = (statistics.median(outputs[jobs]) for jobs in (1, 2))
    print(
        f"write_outputs: median of {args.repeat} runs {alone:.3f} s with one job, "
        f"{beside:.3f} s with two (deduped.jsonl by a child process; same bytes)"
    )
    g, d = statistics.median(generic), statistics.median(direct)
    print(f"pairs.jsonl: dicts + json.dumps {g:.3f} s, line by line {d:.3f} s ({g / d:.2f}x)")


if __name__ == "__main__":
    main()
