"""`dedup bulk --excerpts` with a short document contained in long unrelated ones: the short
one joins a long one's cluster, and no long article is dropped from deduped.jsonl."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dedup.cli import main
from tests.conftest import read_jsonl, write_jsonl

BRIEF = (
    "The Federal Reserve said on Wednesday it would hold interest rates steady, citing continued"
    " uncertainty about inflation and a labour market that remains tight despite recent signs of"
    " cooling."
)
FOOTER = (
    "About The Valley Gazette: The Valley Gazette is an independent newspaper serving the valley"
    " since 1901. Our journalism is supported by readers like you. Subscribe today to get"
    " unlimited access to local news, sports, weather and obituaries, and sign up for our free"
    " morning newsletter delivered to your inbox."
)


def _bulk(tmp_path: Path, records: list[dict[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Clusters (id -> canonical id) and the ids kept in deduped.jsonl of a --excerpts run."""
    write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out"
    args = ["bulk", str(tmp_path / "in.jsonl"), "--out", str(out), "--excerpts", "--jobs", "1"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    clusters = {r["id"]: r["cluster"] for r in read_jsonl(out / "clusters.jsonl")}
    return clusters, [r["id"] for r in read_jsonl(out / "deduped.jsonl")]


def test_a_brief_quoted_by_six_articles_keeps_all_six(
    tmp_path: Path, long_english_articles: list[str]
) -> None:
    """The brief, published first, is quoted whole in six unrelated articles: deduped.jsonl
    holds the six, and the brief is a member of one of their clusters."""
    records = [{"id": "brief", "text": BRIEF, "published": "2024-05-01T09:00:00Z"}]
    for k, text in enumerate(long_english_articles[:6]):
        paragraphs = text.split("\n\n")
        paragraphs.insert(len(paragraphs) // 2, BRIEF)
        records.append(
            {"id": f"long{k}", "text": "\n\n".join(paragraphs), "published": f"2024-05-0{k + 2}"}
        )
    clusters, kept = _bulk(tmp_path, records)
    assert kept == [f"long{k}" for k in range(6)]
    assert clusters["brief"] in kept


def test_a_footer_only_page_does_not_swallow_its_outlets_articles(
    tmp_path: Path, long_english_articles: list[str]
) -> None:
    """A failed extraction left only the outlet's footer, stored before its five articles that
    end with it: each article stays its own canonical."""
    records = [{"id": "stub", "text": FOOTER, "published": "2024-05-01T08:00:00Z"}]
    for k, text in enumerate(long_english_articles[10:15]):
        records.append(
            {"id": f"art{k}", "text": f"{text}\n\n{FOOTER}", "published": f"2024-05-0{k + 2}"}
        )
    clusters, _ = _bulk(tmp_path, records)
    assert [clusters[f"art{k}"] for k in range(5)] == [f"art{k}" for k in range(5)]
