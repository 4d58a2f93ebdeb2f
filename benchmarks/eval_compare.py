"""Our figures on a labelled corpus next to the datasketch pipeline's, measured in one run.

``make eval`` runs this on ``examples/labelled.jsonl``. Rows:

* ``dedup`` at the default settings, and with ``--strip-boilerplate`` (the same code as
  ``dedup eval``: :func:`dedup.evaluate.evaluate`);
* ``datasketch``: :mod:`benchmarks.datasketch_pipeline` - ``MinHashLSH`` at the same threshold
  and permutations, word 5-grams, union-find over the LSH candidates, no verification.

Every row is scored with the same functions (:func:`dedup.evaluate.pair_scores`,
:func:`dedup.evaluate.adjusted_rand_index`). Seconds are wall time of one run after one
warm-up run of each method (the compiled kernels are loaded by then), on this machine; dedup's
include learning and scoring the boilerplate, since the sample has gold spans.

Run: ``python -m benchmarks.eval_compare [LABELLED.jsonl] [--json]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from benchmarks._common import ROOT, machine
from benchmarks.datasketch_pipeline import cluster_ids
from dedup.config import Config
from dedup.evaluate import adjusted_rand_index, evaluate, pair_scores, read_labels
from dedup.io import read_documents

DEFAULT_INPUT = ROOT / "examples" / "labelled.jsonl"


def compare(path: Path) -> dict[str, Any]:
    """Scores and seconds of each method on the labelled file ``path``."""
    labels = read_labels([str(path)])
    config = Config()
    rows: dict[str, Any] = {}
    methods = (  # name, --strip-boilerplate, --excerpts, --passages
        ("dedup", False, False, False),
        ("dedup --strip-boilerplate", True, False, False),
        ("dedup --excerpts", False, True, False),
        ("dedup --strip-boilerplate --excerpts", True, True, False),
        ("dedup --passages", False, False, True),
        ("dedup --strip-boilerplate --passages", True, False, True),
    )
    for name, strip, excerpts, passages in methods:
        for _ in range(2):  # the first run warms the kernels and caches; the second is timed
            ev = evaluate(
                lambda: read_documents([str(path)]),
                labels,
                config,
                strip_boilerplate=strip,
                excerpts=excerpts,
                passages=passages,
            )
        rows[name] = _scores(ev.pairs.to_dict(), ev.ari, ev.seconds)
        rows[name]["boilerplate"] = ev.boilerplate.to_dict() if ev.boilerplate else None
    docs = [(doc.id, doc.text) for doc in read_documents([str(path)])]
    cluster_ids(docs, config.threshold)
    started = time.perf_counter()
    found = cluster_ids(docs, config.threshold)
    seconds = time.perf_counter() - started
    gold = [labels.cluster_of(doc_id) for doc_id, _ in found]
    predicted = [cluster for _, cluster in found]
    rows[f"datasketch MinHashLSH({config.threshold:g}) + union-find"] = _scores(
        pair_scores(gold, predicted).to_dict(), adjusted_rand_index(gold, predicted), seconds
    )
    return {
        "input": str(path),
        "documents": len(docs),
        "gold_clusters": len(set(gold)),
        "gold_pairs": pair_scores(gold, gold).gold,
        "machine": machine(),
        "rows": rows,
    }


def _scores(pairs: dict[str, Any], ari: float, seconds: float) -> dict[str, Any]:
    return {"pairwise": pairs, "ari": round(ari, 6), "seconds": round(seconds, 3)}


def render(result: dict[str, Any]) -> str:
    """The comparison as a table."""
    lines = [
        f"{result['input']}: {result['documents']} documents, {result['gold_clusters']} gold "
        f"clusters, {result['gold_pairs']} gold pairs ({result['machine']})",
        "",
        f"{'method':<44}{'precision':>10}{'recall':>8}{'F1':>8}{'ARI':>8}{'pairs':>7}{'s':>7}",
    ]
    for name, row in result["rows"].items():
        p = row["pairwise"]
        lines.append(
            f"{name:<44}{p['precision']:>10.4f}{p['recall']:>8.4f}{p['f1']:>8.4f}"
            f"{row['ari']:>8.4f}{p['predicted']:>7}{row['seconds']:>7.2f}"
        )
    for name, row in result["rows"].items():
        bp = row.get("boilerplate")
        if bp:
            lines.append(
                f"boilerplate ({name}, characters): precision {bp['precision']:.4f} "
                f"recall {bp['recall']:.4f} F1 {bp['f1']:.4f}"
            )
    lines.append("datasketch has no boilerplate stage: it is scored on clusters only.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input", nargs="?", default=str(DEFAULT_INPUT))
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    result = compare(Path(args.input))
    print(json.dumps(result, indent=2) if args.json else render(result))


if __name__ == "__main__":
    main()
