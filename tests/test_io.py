"""Specification of dedup.io: reading every input format, rejecting bad input, writing outputs."""

from __future__ import annotations

import gzip
import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from dedup.errors import InputError
from dedup.io import parse_published, read_documents
from dedup.types import Document

SAMPLE_DUMP = Path(__file__).resolve().parent.parent / "examples" / "sample_dump.txt"
SAMPLE_TITLES = [
    "‘Old friend’ Putin arrives in China for state visit, summit with Xi Jinping",  # noqa: RUF001 - the corpus uses typographic quotes
    "US, UK, most EU nations to boycott Putin inauguration",
    "Two Russian journalists arrested over alleged work for Navalny group",
    "How will the Moscow concert hall attack affect Putin?",
    "Who’s to blame for the Moscow massacre? ISIL, Ukraine or Russia itself?",  # noqa: RUF001 - the corpus uses typographic quotes
    "Moscow concert hall attack: Why is ISIL targeting Russia?",
    "Putin wins again but what happened in Russia’s election protests?",  # noqa: RUF001 - the corpus uses typographic quotes
    "Putin poised to win Russian presidential election by a landslide",
    "‘Noon against Putin’ protests as Russian leader set to extend rule in polls",  # noqa: RUF001 - the corpus uses typographic quotes
    "At gunpoint, Ukrainians in occupied regions vote in Russia’s election",  # noqa: RUF001 - the corpus uses typographic quotes
]
FOOTERS = "Check out our Latest News and Follow us at Facebook\n\nOriginal Source"


def jsonl(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def read(*paths: Path | str, **options: Any) -> list[Document]:
    return list(read_documents([str(path) for path in paths], **options))


def read_error(*paths: Path | str, **options: Any) -> InputError:
    with pytest.raises(InputError) as info:
        read(*paths, **options)
    return info.value


def dump(*articles: tuple[str, list[str]], tail: str = "") -> str:
    """Build a dump in the shipped format from (title line, paragraphs) pairs."""
    parts = ["\n\n".join([title, *paragraphs, FOOTERS]) + "\n\n" for title, paragraphs in articles]
    return "".join(parts) + tail


# --- JSON Lines ---------------------------------------------------------------------------------


def test_jsonl_record_becomes_a_document_with_all_fields(tmp_path: Path) -> None:
    """Every known field of a JSONL record is carried into the Document."""
    record = {"id": "a", "text": "Body", "source": "s.com", "published": "2024-05-16", "title": "T"}
    docs = read(write(tmp_path / "in.jsonl", jsonl(record)))
    assert docs == [Document("a", "Body", "s.com", "2024-05-16T00:00:00Z", "T")]


def test_integer_id_becomes_its_decimal_string(tmp_path: Path) -> None:
    """An integer id is accepted and converted to a string."""
    assert read(write(tmp_path / "in.jsonl", jsonl({"id": 7, "text": "x"})))[0].id == "7"


def test_null_optional_fields_and_unknown_keys(tmp_path: Path) -> None:
    """Null optional fields become None and unknown keys are ignored."""
    record = {"id": "a", "text": "x", "source": None, "title": None, "lang": "en"}
    assert read(write(tmp_path / "in.jsonl", jsonl(record))) == [Document("a", "x")]


def test_gzip_jsonl_is_read_by_extension(tmp_path: Path) -> None:
    """A .jsonl.gz file is decompressed on the fly."""
    path = write(tmp_path / "in.jsonl.gz", gzip.compress(jsonl({"id": "a", "text": "x"}).encode()))
    assert read(path) == [Document("a", "x")]


def test_gzip_is_detected_by_magic_bytes(tmp_path: Path) -> None:
    """A gzip file is recognised by its content even without a .gz name."""
    path = write(tmp_path / "corpus.data", gzip.compress(jsonl({"id": "a", "text": "x"}).encode()))
    assert read(path) == [Document("a", "x")]


def test_dash_reads_jsonl_from_stdin() -> None:
    """The input '-' reads JSON Lines from the given stdin stream."""
    stdin = io.BytesIO(jsonl({"id": "a", "text": "x"}, {"id": "b", "text": "y"}).encode())
    assert [doc.id for doc in read_documents(["-"], stdin=stdin)] == ["a", "b"]


def test_gzip_on_stdin_is_detected() -> None:
    """Gzip-compressed JSON Lines on stdin are decompressed."""
    stdin = io.BytesIO(gzip.compress(jsonl({"id": "a", "text": "x"}).encode()))
    assert list(read_documents(["-"], stdin=stdin)) == [Document("a", "x")]


def test_field_names_can_be_overridden(tmp_path: Path) -> None:
    """Every field can be read from a differently named key."""
    record = {"url": "u1", "body": "B", "site": "s", "date": "2024-01-02", "headline": "H"}
    path = write(tmp_path / "in.jsonl", jsonl(record))
    docs = read(
        path,
        id_field="url",
        text_field="body",
        source_field="site",
        published_field="date",
        title_field="headline",
    )
    assert docs == [Document("u1", "B", "s", "2024-01-02T00:00:00Z", "H")]


def test_inputs_are_read_in_the_order_given(tmp_path: Path) -> None:
    """Documents come out input by input, line by line."""
    first = write(tmp_path / "1.jsonl", jsonl({"id": "b", "text": "x"}, {"id": "a", "text": "y"}))
    second = write(tmp_path / "2.jsonl", jsonl({"id": "c", "text": "z"}))
    assert [doc.id for doc in read(second, first)] == ["c", "b", "a"]


def test_txt_file_holding_jsonl_is_read_as_jsonl(tmp_path: Path) -> None:
    """Format is decided by content: a .txt file whose first line is an object is JSON Lines."""
    assert read(write(tmp_path / "x.txt", "\n" + jsonl({"id": "a", "text": "x"}))) == [
        Document("a", "x")
    ]


def test_bom_at_start_of_jsonl_is_dropped(tmp_path: Path) -> None:
    """A UTF-8 byte order mark before the first record is accepted."""
    path = write(tmp_path / "in.jsonl", b"\xef\xbb\xbf" + jsonl({"id": "a", "text": "x"}).encode())
    assert read(path) == [Document("a", "x")]


def test_crlf_line_endings_are_accepted_and_escaped_crlf_kept(tmp_path: Path) -> None:
    """CRLF-terminated records parse, and an escaped \\r\\n inside a string value is kept."""
    content = '{"id": "a", "text": "one\\r\\ntwo"}\r\n\r\n{"id": "b", "text": "x"}\r\n'
    docs = read(write(tmp_path / "in.jsonl", content))
    assert docs == [Document("a", "one\r\ntwo"), Document("b", "x")]


def test_surrogate_pair_escape_is_accepted(tmp_path: Path) -> None:
    """A properly paired surrogate escape decodes to its single character."""
    path = write(tmp_path / "in.jsonl", '{"id": "a", "text": "\\ud83d\\ude00"}\n')
    assert read(path)[0].text == "\U0001f600"


# --- bad JSON Lines input -------------------------------------------------------------------------

BAD_RECORDS = {
    "truncated JSON": ('{"id": "b", "text": ', "invalid JSON"),
    "NaN": ('{"id": "b", "text": "x", "score": NaN}', "NaN is not a JSON value"),
    "Infinity": ('{"id": "b", "text": "x", "score": Infinity}', "Infinity is not a JSON value"),
    "-Infinity": ('{"id": "b", "text": "x", "score": -Infinity}', "-Infinity is not"),
    "array": ('["b", "x"]', "expected a JSON object, got array"),
    "string": ('"b"', "expected a JSON object, got string"),
    "missing id": ('{"text": "x"}', "missing id field 'id'"),
    "missing text": ('{"id": "b"}', "missing text field 'text'"),
    "float id": ('{"id": 1.5, "text": "x"}', "'id' must be a string or an integer, got number"),
    "boolean id": ('{"id": true, "text": "x"}', "'id' must be a string or an integer, got boolean"),
    "null id": ('{"id": null, "text": "x"}', "'id' must be a string or an integer, got null"),
    "empty id": ('{"id": "", "text": "x"}', "'id' is empty"),
    "number text": ('{"id": "b", "text": 3}', "'text' must be a string, got number"),
    "null text": ('{"id": "b", "text": null}', "'text' must be a string, got null"),
    "surrogate text": ('{"id": "b", "text": "x\\ud800y"}', "lone surrogate \\ud800"),
    "surrogate id": ('{"id": "\\udfff", "text": "x"}', "'id' contains a lone surrogate"),
    "NUL text": ('{"id": "b", "text": "a\\u0000b"}', "'text' contains a NUL character"),
    "bad date": ('{"id": "b", "text": "x", "published": "yesterday"}', "not an ISO 8601"),
    "number date": ('{"id": "b", "text": "x", "published": 2024}', "ISO 8601 date string or null"),
    "number source": ('{"id": "b", "text": "x", "source": 5}', "'source' must be a string or"),
    "array title": ('{"id": "b", "text": "x", "title": ["t"]}', "'title' must be a string or"),
}


@pytest.mark.parametrize(("line", "message"), BAD_RECORDS.values(), ids=BAD_RECORDS.keys())
def test_bad_record_is_rejected_with_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    """Each kind of malformed record is an InputError at its file and 1-based physical line."""
    path = write(tmp_path / "in.jsonl", jsonl({"id": "a", "text": "ok"}) + "\n" + line + "\n")
    error = read_error(path)
    assert (error.path, error.line) == (str(path), 3)
    assert message in error.message
    assert str(error).startswith(f"{path}:3: ")


def test_duplicate_id_in_one_file_names_the_first_line(tmp_path: Path) -> None:
    """A repeated id is rejected at its second occurrence, naming the first."""
    path = write(tmp_path / "in.jsonl", jsonl({"id": "a", "text": "x"}, {"id": "a", "text": "y"}))
    error = read_error(path)
    assert (error.path, error.line) == (str(path), 2)
    assert f"duplicate id 'a' (first seen at {path}:1)" in error.message


def test_duplicate_id_across_inputs_is_rejected(tmp_path: Path) -> None:
    """Ids must be unique across all inputs, not only within a file (ints count as strings)."""
    first = write(tmp_path / "1.jsonl", jsonl({"id": "z", "text": "x"}, {"id": "7", "text": "x"}))
    second = write(tmp_path / "2.jsonl", jsonl({"id": 7, "text": "y"}))
    error = read_error(first, second)
    assert (error.path, error.line) == (str(second), 1)
    assert f"first seen at {first}:2" in error.message


def test_invalid_utf8_is_reported_on_its_line(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are an error on the line that holds them."""
    content = jsonl({"id": "a", "text": "x"}).encode() + b'{"id": "b", "text": "\xff"}\n'
    error = read_error(write(tmp_path / "in.jsonl", content))
    assert error.line == 2
    assert error.message.startswith("invalid UTF-8")


def test_corrupt_gzip_is_an_input_error(tmp_path: Path) -> None:
    """A truncated gzip file is reported as bad input, not as a crash."""
    data = gzip.compress(jsonl(*({"id": str(i), "text": "x" * 50} for i in range(200))).encode())
    path = write(tmp_path / "in.jsonl.gz", data[: len(data) // 2])
    error = read_error(path)
    assert error.path == str(path)
    assert "gzip" in error.message


def test_missing_input_path_is_named(tmp_path: Path) -> None:
    """A path that does not exist is an InputError naming it, before anything is read."""
    good = write(tmp_path / "in.jsonl", jsonl({"id": "a", "text": "x"}))
    missing = tmp_path / "nope.jsonl"
    documents = read_documents([str(good), str(missing)])
    with pytest.raises(InputError) as info:
        next(documents)
    assert info.value.path == str(missing)


def test_stdin_can_be_named_only_once() -> None:
    """Reading '-' twice is refused since a stream can be consumed only once."""
    with pytest.raises(InputError, match="only once"):
        list(read_documents(["-", "-"], stdin=io.BytesIO(b"")))


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
