"""Boilerplate from the command line: `dedup bulk --strip-boilerplate` and `dedup strip`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dedup.cli import main
from tests.conftest import SAMPLE_DUMP, read_jsonl, write_jsonl

FOOTERS = ["Check out our Latest News and Follow us at Facebook", "Original Source"]
FOOTER_BLOCK = (
    "Subscribe to the Valley Gazette newsletter for the day's top stories, delivered to your "
    "inbox every morning before seven, with local weather and traffic.\n\n"
    "Copyright 2024 Valley Gazette Media Group. All rights reserved. This material may not be "
    "published, broadcast, rewritten or redistributed without permission."
)
BRIEFS = [
    "The city council approved a new budget for road repairs on Tuesday evening.",
    "A local bakery won first prize at the regional bread festival this weekend.",
    "Heavy rain flooded three streets near the river after the storm on Monday.",
    "The high school robotics team qualified for the national finals in Ohio.",
    "Volunteers planted two hundred trees along the new bike path downtown.",
    "The museum reopened its east wing after a year of restoration work.",
]


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_sample_boilerplate_is_exactly_the_two_footers(tmp_path: Path) -> None:
    """On the shipped sample, the learned boilerplate is the two footer lines and nothing else."""
    code, _ = invoke(
        "bulk", str(SAMPLE_DUMP), "--out", str(tmp_path / "o"), "--strip-boilerplate", "--quiet"
    )
    assert code == 0
    patterns = read_jsonl(tmp_path / "o" / "boilerplate.jsonl")
    assert sorted(p["text"] for p in patterns) == sorted(FOOTERS)
    assert all(len(p["documents"]) == 10 for p in patterns)


def test_sample_removed_spans_are_the_footers(tmp_path: Path) -> None:
    """Every span removed from a sample article is one of its footer lines, in the original."""
    invoke("bulk", str(SAMPLE_DUMP), "--out", str(tmp_path / "o"), "--strip-boilerplate", "--quiet")
    originals = {r["id"]: r["text"] for r in _dump_records()}
    deduped = read_jsonl(tmp_path / "o" / "deduped.jsonl")
    assert len(deduped) == 10
    for record in deduped:
        text = originals[record["id"]]
        removed = [text[s:e] for s, e in record["removed"]]  # type: ignore[misc]
        assert sorted(removed) == sorted(FOOTERS)
        assert not any(f in str(record["text"]) for f in FOOTERS)


def test_summary_counts_the_boilerplate(tmp_path: Path) -> None:
    """summary.json reports the removed paragraphs, the patterns and the learning time."""
    invoke("bulk", str(SAMPLE_DUMP), "--out", str(tmp_path / "o"), "--strip-boilerplate", "--quiet")
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["boilerplate_paragraphs"] == 20
    assert summary["boilerplate_patterns"] == 2
    assert "learn_boilerplate" in summary["timings"]


def test_page_chrome_is_kept_unless_asked(tmp_path: Path) -> None:
    """ "Exit mobile version" (seen once) stays; --page-chrome removes it by its own rule."""
    invoke("bulk", str(SAMPLE_DUMP), "--out", str(tmp_path / "a"), "--strip-boilerplate", "--quiet")
    kept = read_jsonl(tmp_path / "a" / "deduped.jsonl")[-1]
    assert str(kept["text"]).endswith("Exit mobile version")
    invoke(
        "bulk",
        str(SAMPLE_DUMP),
        "--out",
        str(tmp_path / "b"),
        "--strip-boilerplate",
        "--page-chrome",
        "--quiet",
    )
    cut = read_jsonl(tmp_path / "b" / "deduped.jsonl")[-1]
    assert "Exit mobile version" not in str(cut["text"])


def test_page_chrome_without_stripping_is_a_usage_error(tmp_path: Path) -> None:
    """--page-chrome only acts with --strip-boilerplate: alone it would be ignored in silence."""
    code, output = invoke("bulk", str(SAMPLE_DUMP), "--out", str(tmp_path / "o"), "--page-chrome")
    assert code == 2 and "--page-chrome needs --strip-boilerplate" in output
    assert not (tmp_path / "o").exists()


def test_strip_with_a_collection_refuses_settings_it_was_not_built_with(tmp_path: Path) -> None:
    """As `dedup serve` does: given settings must be the stored ones, not ignored."""
    db = str(tmp_path / "articles.db")
    assert invoke("bulk", str(SAMPLE_DUMP), "--out", str(tmp_path / "o"), "--db", db)[0] == 0
    out = tmp_path / "stripped.jsonl"
    code, output = invoke("strip", str(SAMPLE_DUMP), "--out", str(out), "--db", db, "--ngram", "3")
    assert code == 2 and "was built with config" in output
    assert not out.exists()


def _briefs(tmp_path: Path, articles: list[str]) -> Path:
    """Six briefs and four full articles of one outlet, all ending with its footer block.

    The full articles matter: briefs this short are mostly footer, so on their own they would
    look like copies of one page (see dedup.boilerplate.rules), which no outlet publishes only.
    """
    texts = [*BRIEFS, *articles[:4]]
    records: list[dict[str, object]] = [
        {"id": f"gazette-{i}", "text": f"{text}\n\n{FOOTER_BLOCK}", "source": "Valley Gazette"}
        for i, text in enumerate(texts)
    ]
    return write_jsonl(tmp_path / "gazette.jsonl", records)


def test_footers_alone_make_duplicates_without_stripping(
    long_english_articles: list[str], tmp_path: Path
) -> None:
    """Short unrelated briefs sharing a long footer are paired when boilerplate is not stripped."""
    invoke(
        "bulk",
        str(_briefs(tmp_path, long_english_articles)),
        "--out",
        str(tmp_path / "o"),
        "--quiet",
    )
    assert len(read_jsonl(tmp_path / "o" / "pairs.jsonl")) > 0


def test_stripping_removes_the_false_duplicates(
    long_english_articles: list[str], tmp_path: Path
) -> None:
    """With --strip-boilerplate the same briefs share nothing and stay apart."""
    invoke(
        "bulk",
        str(_briefs(tmp_path, long_english_articles)),
        "--out",
        str(tmp_path / "o"),
        "--strip-boilerplate",
        "--quiet",
    )
    assert read_jsonl(tmp_path / "o" / "pairs.jsonl") == []


def test_copies_with_different_footers_still_match(
    long_english_articles: list[str], tmp_path: Path
) -> None:
    """Two copies of a story carrying different outlets' footers stay duplicates."""
    story = long_english_articles[0]
    records: list[dict[str, object]] = [
        {"id": "a", "text": f"{story}\n\nFollow the Gazette on X", "source": "Gazette"},
        {
            "id": "b",
            "text": f"{story}\n\n© 2024 Courier. All rights reserved.",
            "source": "Courier",
        },
    ]
    path = write_jsonl(tmp_path / "in.jsonl", records)
    invoke("bulk", str(path), "--out", str(tmp_path / "o"), "--strip-boilerplate", "--quiet")
    pairs = read_jsonl(tmp_path / "o" / "pairs.jsonl")
    assert [(p["a"], p["b"]) for p in pairs] == [("a", "b")]


def test_strip_writes_stripped_text_and_removed_spans(tmp_path: Path) -> None:
    """`dedup strip` writes each record with stripped text and exact removed spans."""
    out = tmp_path / "stripped.jsonl"
    code, _ = invoke("strip", str(SAMPLE_DUMP), "--out", str(out))
    assert code == 0
    originals = {r["id"]: r["text"] for r in _dump_records()}
    for record in read_jsonl(out):
        text = originals[record["id"]]
        assert sorted(text[s:e] for s, e in record["removed"]) == sorted(FOOTERS)  # type: ignore[misc]


def test_strip_never_removes_a_paragraph_seen_once(tmp_path: Path) -> None:
    """A paragraph that occurs in one document only is never stripped."""
    records: list[dict[str, object]] = [
        {"id": str(i), "text": f"{brief}\n\nA unique closing line number {i} about {brief[:20]}."}
        for i, brief in enumerate(BRIEFS)
    ]
    path = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out.jsonl"
    invoke("strip", str(path), "--out", str(out))
    assert all(r["removed"] == [] for r in read_jsonl(out))


def test_strip_writes_the_same_whatever_the_jobs(tmp_path: Path) -> None:
    """300 articles: more than a batch, so two jobs learn in worker processes."""
    from dedup.synth import news_corpus

    path = write_jsonl(
        tmp_path / "in.jsonl",
        [{"id": d.id, "text": d.text, "source": d.source} for d in news_corpus(300, seed=2)],
    )
    for jobs in ("1", "2"):
        assert (
            invoke("strip", str(path), "--out", str(tmp_path / f"{jobs}.jsonl"), "--jobs", jobs)[0]
            == 0
        )
    one, two = (tmp_path / "1.jsonl").read_bytes(), (tmp_path / "2.jsonl").read_bytes()
    assert one == two and any(r["removed"] for r in read_jsonl(tmp_path / "1.jsonl"))


def test_strip_with_bad_input_writes_nothing(tmp_path: Path) -> None:
    """A bad record is an error naming its line, and no output file is left."""
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "a", "text": "fine"}\n{"id": 1.5, "text": "x"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, output = invoke("strip", str(path), "--out", str(out))
    assert code == 2 and f"{path}:2:" in output
    assert not out.exists() and list(tmp_path.iterdir()) == [path]


def _dump_records() -> list[dict[str, str]]:
    from dedup.io import read_documents

    return [{"id": d.id, "text": d.text} for d in read_documents([str(SAMPLE_DUMP)])]


def test_strip_against_a_stored_collection(tmp_path: Path) -> None:
    """`dedup strip --db` strips inputs by the boilerplate a stored collection learned."""
    db = tmp_path / "articles.db"
    invoke(
        "bulk",
        str(SAMPLE_DUMP),
        "--out",
        str(tmp_path / "o"),
        "--db",
        str(db),
        "--quiet",
        "--strip-boilerplate",
    )
    fresh = write_jsonl(
        tmp_path / "fresh.jsonl",
        [{"id": "new", "text": "A fresh story about the weather.\n\n" + "\n\n".join(FOOTERS)}],
    )
    out = tmp_path / "stripped.jsonl"
    code, _ = invoke("strip", str(fresh), "--out", str(out), "--db", str(db))
    assert code == 0
    assert read_jsonl(out)[0]["text"] == "A fresh story about the weather."


def test_strip_against_a_collection_without_a_model_says_so(tmp_path: Path) -> None:
    """A collection loaded without --strip-boilerplate has no model: the run strips nothing
    and says why on stderr, rather than looking like a corpus without boilerplate."""
    db = tmp_path / "plain.db"
    invoke("bulk", str(SAMPLE_DUMP), "--out", str(tmp_path / "o"), "--db", str(db), "--quiet")
    out = tmp_path / "stripped.jsonl"
    code, output = invoke("strip", str(SAMPLE_DUMP), "--out", str(out), "--db", str(db))
    assert code == 0
    assert "no boilerplate model (it was built without --strip-boilerplate)" in output
    assert all(record["removed"] == [] for record in read_jsonl(out))
