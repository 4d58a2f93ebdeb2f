"""The bulk job done the way a datasketch user would: the baseline of benchmarks.bulk_bench.

Per document: word 5-gram shingles (lower-cased ``\\w+`` tokens, like ours), a datasketch
``MinHash`` (default hash) fed with ``update_batch``, inserted into ``MinHashLSH`` at the same
threshold and permutations; then every document queries the index, and union-find over the
candidate pairs gives clusters, written as ``clusters.jsonl``. No verification: that is how
datasketch is usually used, and it is what makes it this simple.

Run: ``python -m benchmarks.datasketch_pipeline INPUT.jsonl OUT_DIR [threshold]``
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from datasketch import MinHash, MinHashLSH

_TOKEN = re.compile(r"[^\W_]+")


def shingles(text: str, n: int = 5) -> list[bytes]:
    """Word n-grams of the lower-cased tokens, as bytes (one text shingle if shorter)."""
    tokens = _TOKEN.findall(text.lower())
    if len(tokens) <= n:
        return [" ".join(tokens).encode()] if tokens else []
    return [" ".join(tokens[i : i + n]).encode() for i in range(len(tokens) - n + 1)]


def main(source: str, out_dir: str, threshold: float = 0.7) -> None:
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    ids: list[str] = []
    sketches: list[MinHash] = []
    with open(source, encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            m = MinHash(num_perm=128)
            m.update_batch(shingles(record["text"]))
            lsh.insert(str(len(ids)), m)
            ids.append(record["id"])
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
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "clusters.jsonl").open("w", encoding="utf-8") as handle:
        for i, doc_id in enumerate(ids):
            handle.write(json.dumps({"id": doc_id, "cluster": ids[find(i)]}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 0.7)
