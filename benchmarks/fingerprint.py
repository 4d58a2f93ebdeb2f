"""Throughput of text -> MinHash signature on one core: dedup against datasketch and rensa.

Run as ``python -m benchmarks.fingerprint`` (``make bench``). One run measures every method on
the same seeded corpus, built from the real paragraphs of ``data/web-articles.jsonl``:

* ``--docs`` news-length documents (default 10,000): paragraphs sampled and shuffled until a
  length drawn uniformly from 1,000..5,200 characters is reached (about 3.4 KB on average);
* ``--paragraphs`` paragraph-sized inputs (default 20,000): real paragraphs of 200..600
  characters, sampled with replacement.

Methods, all producing 128-permutation signatures of word 5-gram shingles (seed 1):

* ``dedup``: ``Fingerprinter.fingerprint`` in batches of 256, from raw text (NFKC, case folding,
  tokenising, shingling, hashing and MinHash all timed). A warm-up call comes first; its time
  (numba cache load or JIT compile) is reported separately, as is a cold compile in a child
  process with an empty numba cache.
* ``datasketch``: ``MinHash.update_batch`` with the default SHA-1 hash, and with
  ``xxh64 & 0xFFFFFFFF`` (which gives dedup's signatures exactly; checked).
* ``rensa``: ``RMinHash(num_perm=128, seed=1).update`` per document, and rensa's bulk
  ``RMinHash.digest_matrix_from_token_sets``.

The baselines are handed each text already normalised and tokenised by dedup (not timed, which
favours them); building the shingle strings from the tokens and encoding them *is* timed, as a
datasketch user has to do it. datasketch runs on a subset (``--subset``, default 2,000) because
it is slow. The process is pinned to one core with ``NUMBA_NUM_THREADS=1``; every timing is the
best of ``--repeats`` rounds, each round timing every method once.
"""

from __future__ import annotations

import os

# Before numpy and numba are imported: one thread everywhere.
for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from importlib.metadata import version  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks._common import cpu_model  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "web-articles.jsonl"
NUM_PERM = 128
SEED = 1
NGRAM = 5
BATCH = 256


# --- Corpus --------------------------------------------------------------------------------


def paragraphs() -> list[str]:
    with CORPUS.open(encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    return [p.strip() for t in texts for p in t.split("\n\n") if p.strip()]


def documents(n: int, seed: int) -> list[str]:
    """News-length documents stitched from shuffled real paragraphs."""
    rng = random.Random(seed)
    pool = paragraphs()
    docs = []
    for _ in range(n):
        target = rng.uniform(1000, 5200)
        parts: list[str] = []
        size = 0
        while size < target:
            p = pool[rng.randrange(len(pool))]
            parts.append(p)
            size += len(p) + 2
        rng.shuffle(parts)
        docs.append("\n\n".join(parts))
    return docs


def paragraph_inputs(n: int, seed: int) -> list[str]:
    """Paragraph-sized inputs: real paragraphs of 200..600 characters."""
    rng = random.Random(seed + 1)
    pool = [p for p in paragraphs() if 200 <= len(p) <= 600]
    return [pool[rng.randrange(len(pool))] for _ in range(n)]


# --- Methods -------------------------------------------------------------------------------


def shingle_strings(tokens: list[str]) -> list[str]:
    """Word 5-gram shingles by dedup's rule (a text of at most 5 tokens is one shingle)."""
    if len(tokens) <= NGRAM:
        return [" ".join(tokens)] if tokens else []
    return [" ".join(tokens[i : i + NGRAM]) for i in range(len(tokens) - NGRAM + 1)]


def run_dedup(texts: Sequence[str]) -> np.ndarray:
    from dedup import Config, Fingerprinter

    fp = Fingerprinter(Config(num_perm=NUM_PERM, seed=SEED, ngram=NGRAM))
    out = [fp.fingerprint(texts[i : i + BATCH]).signatures for i in range(0, len(texts), BATCH)]
    return np.concatenate(out)


def run_datasketch(
    token_lists: Sequence[list[str]], hashfunc: Callable[[bytes], int] | None
) -> np.ndarray:
    from datasketch import MinHash

    out = np.empty((len(token_lists), NUM_PERM), dtype=np.uint32)
    for d, tokens in enumerate(token_lists):
        m = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=hashfunc)
        m.update_batch([s.encode("utf-8") for s in shingle_strings(tokens)])
        out[d] = m.hashvalues
    return out


def run_rensa(token_lists: Sequence[list[str]]) -> np.ndarray:
    from rensa import RMinHash

    out = np.empty((len(token_lists), NUM_PERM), dtype=np.uint32)
    for d, tokens in enumerate(token_lists):
        m = RMinHash(num_perm=NUM_PERM, seed=SEED)
        m.update(shingle_strings(tokens))
        out[d] = m.digest()
    return out


def run_rensa_bulk(token_lists: Sequence[list[str]]) -> np.ndarray:
    from rensa import RMinHash

    sets = [shingle_strings(tokens) for tokens in token_lists]
    return np.asarray(RMinHash.digest_matrix_from_token_sets(sets, NUM_PERM, SEED))


def xxh64_low32(b: bytes) -> int:
    import xxhash

    return xxhash.xxh64_intdigest(b) & 0xFFFFFFFF


# --- Measuring -----------------------------------------------------------------------------


@dataclass
class Row:
    method: str
    inputs: str
    docs: int
    nbytes: int
    seconds: float

    @property
    def docs_per_s(self) -> float:
        return self.docs / self.seconds

    @property
    def mb_per_s(self) -> float:
        return self.nbytes / 1e6 / self.seconds


def timed(repeats: int, cases: list[tuple[Row, Callable[[], object]]]) -> list[Row]:
    """Best time of each case over ``repeats`` rounds; each round runs every case once, so a
    machine busy for a while slows all methods alike instead of one."""
    for _ in range(repeats):
        for row, fn in cases:
            start = time.perf_counter()
            fn()
            row.seconds = min(row.seconds, time.perf_counter() - start)
    return [row for row, _ in cases]


def utf8_size(texts: Sequence[str]) -> int:
    return sum(len(t.encode("utf-8")) for t in texts)


def cold_compile_seconds() -> float:
    """First-call time in a child process whose numba cache is empty (a true JIT compile)."""
    code = (
        "import time\n"
        "from dedup import Config, Fingerprinter\n"
        "fp = Fingerprinter(Config())\n"
        "t = time.perf_counter(); fp.fingerprint(['warm up the kernels now please'])\n"
        "print(time.perf_counter() - t)\n"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
    return float(result.stdout.strip().splitlines()[-1])


def machine() -> list[str]:
    model = cpu_model()
    pinned = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "n/a"
    versions = ", ".join(
        f"{name} {version(name)}" for name in ("numpy", "numba", "datasketch", "rensa", "xxhash")
    )
    return [
        f"CPU: {model}; {os.cpu_count()} logical cores; pinned to core(s) {pinned}",
        f"Python {platform.python_version()} ({platform.platform()}); {versions}",
    ]


def table(rows: list[Row], baseline: Row) -> str:
    head = f"{'method':<40} {'inputs':<22} {'n':>7} {'docs/s':>10} {'MB/s':>8} {'vs ds':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        ratio = r.docs_per_s / baseline.docs_per_s
        lines.append(
            f"{r.method:<40} {r.inputs:<22} {r.docs:>7} {r.docs_per_s:>10,.0f} "
            f"{r.mb_per_s:>8.2f} {ratio:>6.1f}x"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--paragraphs", type=int, default=20_000)
    parser.add_argument("--subset", type=int, default=2_000, help="documents given datasketch")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-compile child")
    args = parser.parse_args(argv)

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})

    from dedup.normalize import tables, tokenize

    docs = documents(args.docs, args.seed)
    paras = paragraph_inputs(args.paragraphs, args.seed)
    subset = docs[: args.subset]
    para_subset = paras[: args.subset]

    t = time.perf_counter()
    tables()
    tables_s = time.perf_counter() - t
    t = time.perf_counter()
    run_dedup(["warm up the kernels now please"])
    first_call_s = time.perf_counter() - t
    cold_s = None if args.no_cold else cold_compile_seconds()

    # Pre-tokenised input for the baselines (not timed).
    doc_tokens = [tokenize(d).words for d in docs]
    para_tokens = [tokenize(p).words for p in paras]
    sub_tokens = doc_tokens[: args.subset]
    para_sub_tokens = para_tokens[: args.subset]

    # The baselines compute the same thing: datasketch with xxh64 must give our signatures.
    ours_sub = run_dedup(subset)
    if not np.array_equal(ours_sub, run_datasketch(sub_tokens, xxh64_low32)):
        raise SystemExit("datasketch (xxh64) signatures differ from dedup's: not comparable")

    n_docs = f"{len(docs)} docs"
    n_sub = f"{len(subset)} docs (subset)"
    n_par = f"{len(paras)} paragraphs"
    n_psub = f"{len(para_subset)} paragraphs (subset)"
    size, sub_size = utf8_size(docs), utf8_size(subset)
    p_size, psub_size = utf8_size(paras), utf8_size(para_subset)
    r = args.repeats

    inf = float("inf")
    rows = timed(r, [
        (Row("datasketch update_batch (SHA-1)", n_sub, len(subset), sub_size, inf),
         lambda: run_datasketch(sub_tokens, None)),
        (Row("datasketch update_batch (xxh64 & 2^32-1)", n_sub, len(subset), sub_size, inf),
         lambda: run_datasketch(sub_tokens, xxh64_low32)),
        (Row("rensa RMinHash.update", n_docs, len(docs), size, inf),
         lambda: run_rensa(doc_tokens)),
        (Row("rensa digest_matrix_from_token_sets", n_docs, len(docs), size, inf),
         lambda: run_rensa_bulk(doc_tokens)),
        (Row("dedup Fingerprinter (batches of 256)", n_docs, len(docs), size, inf),
         lambda: run_dedup(docs)),
    ])  # fmt: skip
    para_rows = timed(r, [
        (Row("datasketch update_batch (SHA-1)", n_psub, len(para_subset), psub_size, inf),
         lambda: run_datasketch(para_sub_tokens, None)),
        (Row("rensa RMinHash.update", n_par, len(paras), p_size, inf),
         lambda: run_rensa(para_tokens)),
        (Row("dedup Fingerprinter (batches of 256)", n_par, len(paras), p_size, inf),
         lambda: run_dedup(paras)),
    ])  # fmt: skip

    print("dedup fingerprinting benchmark: text -> 128-permutation MinHash, word 5-grams, 1 core")
    for line in machine():
        print(line)
    mean_doc = size / len(docs)
    mean_par = p_size / len(paras)
    print(
        f"Corpus (seed {args.seed}): {len(docs)} documents, mean {mean_doc:,.0f} bytes "
        f"({size / 1e6:.1f} MB); {len(paras)} paragraphs, mean {mean_par:,.0f} bytes"
    )
    cold = "skipped" if cold_s is None else f"{cold_s:.2f} s"
    print(
        f"One-off costs: Unicode tables {tables_s:.2f} s; first call (numba cache load) "
        f"{first_call_s:.2f} s; cold JIT compile (empty cache) {cold}"
    )
    print(f"Best of {r} rounds; MB = 10^6 bytes of UTF-8 text; 'vs ds' = docs/s over datasketch")
    print("(SHA-1) on the same kind of input. Baselines get pre-tokenised text (not timed).")
    print()
    print("Documents")
    print(table(rows, rows[0]))
    print()
    print("Paragraphs")
    print(table(para_rows, para_rows[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
