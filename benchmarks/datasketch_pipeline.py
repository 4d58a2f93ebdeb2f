"""The bulk job done the way a datasketch user would: the baseline of benchmarks.bulk_bench.

Per document: word 5-gram shingles (lower-cased ``\\w+`` tokens, like ours), a datasketch
``MinHash`` (default hash) fed with ``update_batch``, inserted into ``MinHashLSH`` at the same
threshold and permutations; then every document queries the index, and union-find over the
candidate pairs gives clusters, written as ``clusters.jsonl``. No verification: that is how
datasketch is usually used, and it is what makes it this simple.

Run: ``python -m benchmarks.datasketch_pipeline INPUT.jsonl OUT_DIR [threshold]``;
:func:`cluster_ids` is the same pipeline as a function (``benchmarks.eval_compare`` scores it).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from datasketch import MinHash, MinHashLSH

_TOKEN = re.compile(r"[^\W_]+")


def shingles(text: str, n: int = 5) -> list[bytes]:
    """Word n-grams of the lower-cased tokens, as bytes (one text shingle if shorter)."""
    tokens = _TOKEN.findall(text.lower())
    if len(tokens) <= n:
        return [" ".join(tokens).encode()] if tokens else []
    return [" ".join(tokens[i : i + n]).encode() for i in range(len(tokens) - n + 1)]


def cluster_ids(
    documents: Iterable[tuple[str, str]], threshold: float = 0.7
) -> list[tuple[str, str]]:
    """``(id, cluster)`` of each ``(id, text)`` in input order (streamed: texts are not kept);
    a cluster is named by its member that came first."""
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    ids: list[str] = []
    sketches: list[MinHash] = []
    for doc_id, text in documents:
        m = MinHash(num_perm=128)
        m.update_batch(shingles(text))
        lsh.insert(str(len(ids)), m)
        ids.append(doc_id)
        sketches.append(m)
    parent = list(range(len(ids)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in enumerate(sketches):
        for key in lsh.query(m):
            j = int(key)
            if j != i:
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
    return [(doc_id, ids[find(i)]) for i, doc_id in enumerate(ids)]


def _records(source: str) -> Iterable[tuple[str, str]]:
    with open(source, encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            yield record["id"], record["text"]


def main(source: str, out_dir: str, threshold: float = 0.7) -> None:
    clusters = cluster_ids(_records(source), threshold)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "clusters.jsonl").open("w", encoding="utf-8") as handle:
        for doc_id, cluster in clusters:
            handle.write(json.dumps({"id": doc_id, "cluster": cluster}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 0.7)
