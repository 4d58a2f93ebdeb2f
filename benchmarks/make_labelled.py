"""Write examples/labelled.jsonl: the labelled sample that ``dedup eval`` and ``make eval`` use.

Two seeded parts from :mod:`dedup.synth`, on disjoint sets of real articles (so no story of one
part is a copy of a story of the other, and the gold stays complete):

* ``d....`` records: :func:`dedup.synth.dedup_corpus` (40 stories, bodies capped at 2,500
  characters): originals, their reprints (cut, edited, OCR noise, other outlets' chrome) and
  hard negatives; ``cluster`` is the original's id.
* ``b....`` records: :func:`dedup.synth.boilerplate_corpus_detailed` (6 outlets x 6 articles,
  bodies capped at 2,000 characters) with ``boilerplate``: the gold ``[start, end]`` spans of
  the outlets' headers, footers and inline blocks. Each is a distinct article, its own cluster.

Every record: ``id``, ``text``, ``source``, ``published``, ``title``, ``cluster`` and, for the
second part, ``boilerplate``. Keys sorted, UTF-8, ``\\n`` line ends: the file is byte-identical
for the same seed and ``data/web-articles.jsonl``.

Run: ``python -m benchmarks.make_labelled [OUT] [--seed N]`` (defaults: examples/labelled.jsonl,
seed 10).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks._common import ROOT
from dedup.synth import boilerplate_corpus_detailed, clean_articles, dedup_corpus, load_articles

DEFAULT_OUT = ROOT / "examples" / "labelled.jsonl"


def labelled_records(seed: int) -> list[dict[str, object]]:
    """Both parts' records, near-duplicate part first."""
    articles = clean_articles(load_articles())
    stories = dedup_corpus(seed=seed, n_stories=40, max_body_chars=2500, articles=articles)
    used = {record.origin for record in stories}
    rest = [article for article in articles if article.id not in used]
    pages = boilerplate_corpus_detailed(
        seed=seed, n_sources=6, docs_per_source=6, articles=rest, max_body_chars=2000
    )
    records: list[dict[str, object]] = []
    for story in stories:
        doc = story.document
        records.append(_record(doc.id, doc.text, doc.source, doc.published, doc.title))
        records[-1]["cluster"] = story.cluster
    for doc in pages.documents:
        records.append(_record(doc.id, doc.text, doc.source, doc.published, doc.title))
        records[-1]["cluster"] = doc.id
        records[-1]["boilerplate"] = [list(span) for span in pages.boilerplate[doc.id]]
    return records


def _record(
    doc_id: str, text: str, source: str | None, published: str | None, title: str | None
) -> dict[str, object]:
    return {"id": doc_id, "text": text, "source": source, "published": published, "title": title}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", default=str(DEFAULT_OUT))
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()
    records = labelled_records(args.seed)
    with Path(args.out).open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"wrote {len(records)} labelled records to {args.out}")


if __name__ == "__main__":
    main()
