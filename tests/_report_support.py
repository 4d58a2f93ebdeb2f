"""Corpora and runs shared by the report tests: a hostile corpus and the bulk command."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dedup.cli import main
from dedup.synth import dedup_corpus
from tests.conftest import WEB_ARTICLES

IMG = "<img src=x onerror=\"document.title='pwned'\">"
SCRIPT = "<script>document.title='pwned'</script>"
HOSTILE_SOURCE = "<b onmouseover=\"document.title='pwned'\">Evil</b> Times"
HOSTILE_ID = 'x"><img src=x onerror="document.title=\'pwned\'">'


def bulk(*args: str) -> str:
    """Run ``dedup bulk`` in-process; fail the test on a non-zero exit; return its output."""
    result = CliRunner().invoke(main, ["bulk", *args, "--quiet"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _articles(count: int) -> list[str]:
    texts = []
    with WEB_ARTICLES.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            text = str(record["text"])
            if str(record.get("lang", "")).startswith("en") and text.count("\n\n") >= 5:
                texts.append("\n\n".join(text.split("\n\n")[:6]))
            if len(texts) == count:
                return texts
    raise AssertionError("not enough English articles in data/web-articles.jsonl")


def hostile_records() -> list[dict[str, object]]:
    """Articles whose text, title, source and id carry live-looking markup.

    Three different stories of one source end with a ``<script>`` footer (so it is learned as
    boilerplate and listed); the first story has an ``<img onerror>`` paragraph and a copy
    under a hostile id, so the two form a cluster shown side by side with shared passages.
    Ten seeded stories with reprints (``dedup.synth``) fill the other clusters.
    """
    a, b, c = _articles(3)
    paragraphs = a.split("\n\n")
    with_img = "\n\n".join([*paragraphs[:2], IMG, *paragraphs[2:]])
    records: list[dict[str, object]] = [
        {"id": "evil-a", "text": f"{with_img}\n\n{SCRIPT}", "source": HOSTILE_SOURCE,
         "title": SCRIPT, "published": "2024-01-01T00:00:00Z"},
        {"id": "evil-b", "text": f"{b}\n\n{SCRIPT}", "source": HOSTILE_SOURCE,
         "published": "2024-01-02T00:00:00Z"},
        {"id": "evil-c", "text": f"{c}\n\n{SCRIPT}", "source": HOSTILE_SOURCE,
         "published": "2024-01-03T00:00:00Z"},
        {"id": HOSTILE_ID, "text": f"{with_img}\n\n{IMG} copied", "source": IMG,
         "title": IMG, "published": "2024-01-04T00:00:00Z"},
    ]  # fmt: skip
    for story in dedup_corpus(
        seed=2, n_stories=12, shared_boilerplate_pairs=1, max_body_chars=1500
    ):
        doc = story.document
        records.append(
            {"id": doc.id, "text": doc.text, "source": doc.source, "published": doc.published}
        )
    return records


def write_records(path: Path, records: list[dict[str, object]]) -> Path:
    """JSON Lines, one record a line."""
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
