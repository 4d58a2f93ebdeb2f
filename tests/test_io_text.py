"""Specification of dedup.io, continued: text directories, plain files, dumps, dates, streaming."""

from __future__ import annotations

import io
import json
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from _io_support import FOOTERS, SAMPLE_DUMP, SAMPLE_TITLES, dump, jsonl, read, read_error, write
from hypothesis import given
from hypothesis import strategies as st

from dedup.errors import InputError
from dedup.io import parse_published, read_documents, window_bound
from dedup.types import Document

# --- text: directories, plain files, dumps ------------------------------------------------------


def test_txt_directory_yields_one_document_per_txt_file_sorted(tmp_path: Path) -> None:
    """Every *.txt below a directory is a document with its relative path as id, in sorted order."""
    root = tmp_path / "corpus"
    write(root / "z.txt", "last")
    write(root / "sub" / "b.txt", "line one\r\nline two\n")
    write(root / "a.txt", "first")
    write(root / "sub" / "notes.md", "ignored")
    assert read(root) == [
        Document("a.txt", "first"),
        Document("sub/b.txt", "line one\r\nline two\n"),
        Document("z.txt", "last"),
    ]


def test_plain_txt_file_is_one_document_named_after_the_file(tmp_path: Path) -> None:
    """A text file that is not a dump is one document, id = file name, text kept exactly."""
    content = "\nA short note | with a pipe\n\nAnd a paragraph.\n"
    assert read(write(tmp_path / "note.txt", content)) == [Document("note.txt", content)]


def test_a_txt_file_name_that_is_no_valid_id_is_refused(tmp_path: Path) -> None:
    """A file in a directory whose name holds a control character gives no id: an error at
    that file, as a JSON Lines record with that id would be."""
    root = tmp_path / "corpus"
    write(root / "a.txt", "first")
    bad = write(root / "tab\there.txt", "second")
    error = read_error(root)
    assert (error.path, error.line) == (str(bad), 1)
    assert error.message == (
        "the id 'tab\\there.txt', taken from the file's name, "
        "contains a control character (U+0009 at character 3)"
    )


def test_a_text_file_named_only_white_space_is_refused(tmp_path: Path) -> None:
    """A plain text file is one document named after the file; a name of spaces is no id."""
    error = read_error(write(tmp_path / "  ", "A note.\n"))
    assert error.message == "the id '  ', taken from the file's name, is only whitespace"


def test_bom_at_start_of_text_file_is_dropped(tmp_path: Path) -> None:
    """A UTF-8 byte order mark is not part of a text document."""
    path = write(tmp_path / "note.txt", b"\xef\xbb\xbfHello\n")
    assert read(path)[0].text == "Hello\n"


def test_title_line_without_footer_is_not_a_dump(tmp_path: Path) -> None:
    """A file opening with a 'Title | Section' line but no footer block is one document."""
    content = "My trip | Travel\n\nWe went to the sea.\n"
    assert read(write(tmp_path / "trip.txt", content)) == [Document("trip.txt", content)]


def test_nul_in_text_file_is_rejected_on_its_line(tmp_path: Path) -> None:
    """A NUL character in a text file is an error at its line."""
    error = read_error(write(tmp_path / "x.txt", "one\ntwo\nth\x00ree\n"))
    assert error.line == 3
    assert "NUL character" in error.message


def test_invalid_utf8_in_text_file_is_reported_on_its_line(tmp_path: Path) -> None:
    """Non-UTF-8 bytes in a directory's text file are located by file and line."""
    path = write(tmp_path / "d" / "bad.txt", b"ok\nok\n\xe9t\xe9\n")
    error = read_error(tmp_path / "d")
    assert (error.path, error.line) == (str(path), 3)


def test_shipped_dump_has_ten_articles_with_their_titles() -> None:
    """The sample dump splits into exactly its 10 articles, titles without the section."""
    docs = read(SAMPLE_DUMP)
    assert [doc.title for doc in docs] == SAMPLE_TITLES
    assert [doc.id for doc in docs] == [f"sample_dump-{n:02d}" for n in range(1, 11)]
    assert all(doc.source is None for doc in docs)


def test_dump_article_text_is_trimmed_and_keeps_footers() -> None:
    """Article text starts after the title line and runs through the footers, trimmed."""
    first = read(SAMPLE_DUMP)[0]
    assert first.text.startswith("Russian President Vladimir Putin has arrived in China")
    assert first.text.endswith("With reporting by Erin Hale in Taipei\n\n" + FOOTERS)


def test_dump_page_chrome_stays_in_the_last_article() -> None:
    """The trailing 'Exit mobile version' line belongs to the last article's text."""
    assert read(SAMPLE_DUMP)[-1].text.endswith(FOOTERS + "\n\nExit mobile version")


def test_pipe_in_content_paragraph_does_not_start_an_article(tmp_path: Path) -> None:
    """Short ' | ' paragraphs inside an article, even after a subheading, are content."""
    content = dump(
        ("First story | World News", ["Intro.", "Scores | Live", "Subheading", "Red | Blue"]),
        ("Second story | Sport", ["Body."]),
    )
    docs = read(write(tmp_path / "d.txt", content))
    assert [doc.title for doc in docs] == ["First story", "Second story"]
    assert "Scores | Live\n\nSubheading\n\nRed | Blue" in docs[0].text


def test_non_title_after_footer_continues_the_article(tmp_path: Path) -> None:
    """Only a title-shaped single line right after the footer starts a new article."""
    content = dump(("One | News", ["Body."]), ("Two | News", ["More."]))
    content = content.replace("Source\n\nTwo", "Source\n\nIt ended. | Yes.\n\nTwo")
    docs = read(write(tmp_path / "d.txt", content))
    assert [doc.title for doc in docs] == ["One"]
    assert docs[0].text.endswith("It ended. | Yes.\n\nTwo | News\n\nMore.\n\n" + FOOTERS)


def test_dump_ids_use_at_least_two_digits(tmp_path: Path) -> None:
    """Article ids are '<stem>-NN', growing past two digits when needed."""
    content = dump(*((f"Story {n} | News", ["Body."]) for n in range(1, 101)))
    ids = [doc.id for doc in read(write(tmp_path / "big.dump.txt", content))]
    assert (ids[0], ids[9], ids[99]) == ("big.dump-01", "big.dump-10", "big.dump-100")


def test_crlf_dump_is_split_the_same_way(tmp_path: Path) -> None:
    """A dump with CRLF line endings gives the same titles and keeps its line endings."""
    crlf = SAMPLE_DUMP.read_text(encoding="utf-8").replace("\n", "\r\n")
    docs = read(write(tmp_path / "sample_dump.txt", crlf))
    assert [doc.title for doc in docs] == SAMPLE_TITLES
    assert docs[0].text.endswith("Facebook\r\n\r\nOriginal Source")


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-16", "2024-05-16T00:00:00Z"),
        ("2024-05-16T09:30:15", "2024-05-16T09:30:15Z"),
        ("2024-05-16T09:30:15Z", "2024-05-16T09:30:15Z"),
        ("2024-05-16T01:30:00+02:00", "2024-05-15T23:30:00Z"),
        ("2024-05-16 09:30:15.999-01:00", "2024-05-16T10:30:15Z"),
    ],
)
def test_published_is_normalised_to_utc(value: str, expected: str) -> None:
    """Dates are midnight UTC, naive datetimes UTC, offsets converted, fractions dropped."""
    assert parse_published(value) == expected


def test_normalised_published_sorts_in_time_order() -> None:
    """String order of normalised values is time order, whatever the input offsets."""
    later = parse_published("2024-05-16T00:30:00+02:00")  # 2024-05-15T22:30Z
    earlier = parse_published("2024-05-15T23:00:00+03:00")  # 2024-05-15T20:00Z
    assert earlier < later


@pytest.mark.parametrize("value", ["yesterday", "16/05/2024", "2024-13-01", "", " 2024-05-16"])
def test_unparseable_published_raises_value_error(value: str) -> None:
    """Anything but an ISO 8601 date or datetime is a ValueError saying what was expected."""
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_published(value)


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
def test_a_value_already_normal_comes_back_as_the_full_normalisation_gives_it(
    moment: datetime,
) -> None:
    """The shortcut for ``YYYY-MM-DDTHH:MM:SSZ`` answers what normalising from another
    spelling of the same instant answers."""
    normal = moment.replace(microsecond=0).isoformat() + "Z"  # years below 1000 zero-padded
    same_instant = moment.replace(microsecond=0).isoformat() + "+00:00"
    assert parse_published(normal) == parse_published(same_instant) == normal


@pytest.mark.parametrize(
    "value", ["2024-02-30T00:00:00Z", "2024-01-01T24:00:00Z", "2024-1a-01T00:00:00Z"]
)
def test_a_value_shaped_like_the_normal_form_is_still_validated(value: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_published(value)


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
def test_a_window_bound_keeps_a_stored_date_exactly_when_the_bound_itself_would(
    moment: datetime,
) -> None:
    """Stored dates keep whole seconds; a bound's fraction rounds up, so that comparing the
    stored strings with it answers as comparing the instants with the bound as given."""
    bound = window_bound(moment.isoformat() + "Z")
    for stored in (moment.replace(microsecond=0), moment.replace(microsecond=0) + timedelta(0, 1)):
        text = parse_published(stored.isoformat() + "Z")
        assert (text >= bound) == (stored >= moment)
        assert (text < bound) == (stored < moment)


def test_a_window_bound_past_the_last_second_of_9999_is_refused() -> None:
    with pytest.raises(ValueError, match="out of range"):
        window_bound("9999-12-31T23:59:59.5Z")


# --- streaming -----------------------------------------------------------------------------------


class EndlessJsonl(io.RawIOBase):
    """A non-seekable stream of valid records that never ends (fails past a safety limit)."""

    def __init__(self, limit: int) -> None:
        self.served = 0
        self.limit = limit
        self.count = 0
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.served > self.limit:
            raise AssertionError("the reader tried to read the whole stream")
        while len(self.pending) < len(buffer):
            self.pending += jsonl({"id": str(self.count), "text": "word " * 200}).encode()
            self.count += 1
        chunk, self.pending = self.pending[: len(buffer)], self.pending[len(buffer) :]
        buffer[: len(chunk)] = chunk
        self.served += len(chunk)
        return len(chunk)


def test_first_document_arrives_without_reading_the_whole_input() -> None:
    """Reading is lazy: the first document of an endless stdin stream is available."""
    stream = EndlessJsonl(limit=10_000_000)
    documents = read_documents(["-"], stdin=io.BufferedReader(stream))
    assert next(documents).id == "0"
    assert stream.served < 1_000_000


def test_later_lines_are_not_parsed_before_they_are_needed(tmp_path: Path) -> None:
    """A broken line surfaces only when iteration reaches it."""
    path = write(tmp_path / "in.jsonl", jsonl({"id": "a", "text": "x"}) + "{broken\n")
    documents = read_documents([str(path)])
    assert next(documents).id == "a"
    with pytest.raises(InputError):
        next(documents)


def test_memory_does_not_grow_with_text_size(tmp_path: Path) -> None:
    """Iterating a 16 MB file peaks at a small fraction of its size."""
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for number in range(400):
            handle.write(json.dumps({"id": number, "text": f"{number} " + "x" * 40_000}) + "\n")
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_documents([str(path)]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 400
    assert peak < path.stat().st_size // 8
