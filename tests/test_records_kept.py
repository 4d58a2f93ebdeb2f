"""A team's own records come back: `deduped.jsonl` and `dedup strip` keep every input field."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from click.testing import CliRunner

from dedup.cli import main
from tests.conftest import read_jsonl
from tests.test_cli_strip import BRIEFS, FOOTER_BLOCK

FIELDS = ("--id-field", "doc_id", "--text-field", "body")


def invoke(*args: str, stdin: bytes | None = None) -> None:
    result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def _corpus(tmp_path: Path, story: str) -> tuple[Path, list[bytes]]:
    """Two copies of a story and one other, with fields dedup does not know, written with
    spaces after separators and an offset date: what a record "as given" must keep."""
    records = [
        {
            "doc_id": "a",
            "body": story,
            "url": "http://x/a",
            "lang": "en",
            "published": "2024-01-02T10:00:00+02:00",
            "meta": {"tags": ["x", "y"], "score": 1.5e3},
        },
        {"doc_id": "b", "body": story, "url": "http://x/b", "lang": "en"},
        {"doc_id": 7, "body": "another story, unlike the first one in every way", "url": None},
    ]
    lines = [json.dumps(r, ensure_ascii=False).encode() for r in records]
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, lines


def test_deduped_records_are_the_input_lines_as_read(
    long_english_articles: list[str], tmp_path: Path
) -> None:
    """deduped.jsonl holds the canonical records byte for byte: every field, its own names."""
    path, lines = _corpus(tmp_path, long_english_articles[0])
    invoke("bulk", str(path), "--out", str(tmp_path / "o"), "--quiet", *FIELDS)
    assert (tmp_path / "o" / "deduped.jsonl").read_bytes() == lines[0] + b"\n" + lines[2] + b"\n"


def test_deduped_records_are_the_same_with_worker_processes(
    long_english_articles: list[str], tmp_path: Path
) -> None:
    """--jobs 2 (workers reading byte ranges) writes the very bytes --jobs 1 writes."""
    path, lines = _corpus(tmp_path, long_english_articles[0])
    for jobs in ("1", "2"):
        invoke("bulk", str(path), "--out", str(tmp_path / jobs), "--quiet", "--jobs", jobs, *FIELDS)
    two = (tmp_path / "2" / "deduped.jsonl").read_bytes()
    assert (
        two
        == (tmp_path / "1" / "deduped.jsonl").read_bytes()
        == lines[0] + b"\n" + lines[2] + b"\n"
    )


def test_deduped_records_from_stdin_are_the_input_lines(
    long_english_articles: list[str], tmp_path: Path
) -> None:
    """Records read from standard input come back as read too."""
    path, lines = _corpus(tmp_path, long_english_articles[0])
    invoke("bulk", "-", "--out", str(tmp_path / "o"), "--quiet", *FIELDS, stdin=path.read_bytes())
    assert (tmp_path / "o" / "deduped.jsonl").read_bytes() == lines[0] + b"\n" + lines[2] + b"\n"


def test_deduped_records_from_gzip_keep_crlf_out(
    long_english_articles: list[str], tmp_path: Path
) -> None:
    """A .jsonl.gz with CRLF line endings gives its records back, one LF-ended line each."""
    _, lines = _corpus(tmp_path, long_english_articles[0])
    packed = tmp_path / "in.jsonl.gz"
    packed.write_bytes(gzip.compress(b"\r\n".join(lines) + b"\r\n"))
    invoke("bulk", str(packed), "--out", str(tmp_path / "o"), "--quiet", *FIELDS)
    assert (tmp_path / "o" / "deduped.jsonl").read_bytes() == lines[0] + b"\n" + lines[2] + b"\n"


def _gazette(tmp_path: Path, articles: list[str]) -> Path:
    """Briefs and articles of one outlet ending with its footer, with fields of their own."""
    records = [
        {
            "doc_id": f"g{i}",
            "body": f"{text}\n\n{FOOTER_BLOCK}",
            "source": "Valley Gazette",
            "url": f"http://gazette/{i}",
            "published": "2024-01-02T10:00:00+02:00",
        }
        for i, text in enumerate([*BRIEFS, *articles[:4]])
    ]
    path = tmp_path / "gazette.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _check_stripped(out: Path, articles: list[str]) -> None:
    texts = [*BRIEFS, *articles[:4]]
    records = read_jsonl(out)
    assert [r["doc_id"] for r in records] == [f"g{i}" for i in range(len(texts))]
    for i, record in enumerate(records):
        assert record == {
            "doc_id": f"g{i}",
            "body": texts[i],
            "source": "Valley Gazette",
            "url": f"http://gazette/{i}",
            "published": "2024-01-02T10:00:00+02:00",
            "removed": record["removed"],
        }
        assert record["removed"]  # the footer was cut, and said so


def test_stripped_deduped_records_keep_every_field_but_the_text(
    long_english_articles: list[str], tmp_path: Path
) -> None:
    """With --strip-boilerplate, only the text field's value changes: the stripped text."""
    path = _gazette(tmp_path, long_english_articles)
    invoke(
        "bulk", str(path), "--out", str(tmp_path / "o"), "--quiet", "--strip-boilerplate", *FIELDS
    )
    _check_stripped(tmp_path / "o" / "deduped.jsonl", long_english_articles)


def test_strip_output_keeps_every_field_but_the_text(
    long_english_articles: list[str], tmp_path: Path
) -> None:
    """`dedup strip` writes each input record with its text field stripped, nothing else lost."""
    path = _gazette(tmp_path, long_english_articles)
    invoke("strip", str(path), "--out", str(tmp_path / "s.jsonl"), *FIELDS)
    _check_stripped(tmp_path / "s.jsonl", long_english_articles)


def test_strip_keeps_an_integer_beyond_64_bits(tmp_path: Path) -> None:
    """A record re-encoded for its stripped text keeps a huge integer exact, not as a float."""
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "a", "text": "one story", "n": 123456789012345678901234567890}\n')
    invoke("strip", str(path), "--out", str(tmp_path / "s.jsonl"))
    assert b'"n":123456789012345678901234567890' in (tmp_path / "s.jsonl").read_bytes()


def test_text_files_still_give_document_records(tmp_path: Path) -> None:
    """A directory of .txt files has no records: deduped.jsonl gives the document's fields."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "one.txt").write_text("a story told once in a text file\n")
    invoke("bulk", str(tmp_path / "docs"), "--out", str(tmp_path / "o"), "--quiet", *FIELDS)
    assert read_jsonl(tmp_path / "o" / "deduped.jsonl") == [
        {"id": "one.txt", "text": "a story told once in a text file\n"}
    ]
