"""Specification of dedup.io: reading every input format, rejecting bad input, writing outputs."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
from _io_support import jsonl, read, read_error, write

from dedup.errors import InputError
from dedup.io import read_documents
from dedup.types import Document

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
    "blank id": ('{"id": "  ", "text": "x"}', "'id' is only whitespace"),
    "ideographic space id": ('{"id": "\\u3000", "text": "x"}', "'id' is only whitespace"),
    "tab in id": ('{"id": "a\\tb", "text": "x"}', "control character (U+0009 at character 1)"),
    "newline ending id": ('{"id": "a\\n", "text": "x"}', "control character (U+000A at"),
    "bell in id": ('{"id": "\\u0007", "text": "x"}', "'id' contains a control character"),
    "NUL in id": ('{"id": "a\\u0000", "text": "x"}', "control character (U+0000 at"),
    "DEL in id": ('{"id": "a\\u007f", "text": "x"}', "control character (U+007F at"),
    "C1 control in id": ('{"id": "\\u0085x", "text": "x"}', "control character (U+0085 at"),
    "number text": ('{"id": "b", "text": 3}', "'text' must be a string, got number"),
    "null text": ('{"id": "b", "text": null}', "'text' must be a string, got null"),
    "surrogate text": ('{"id": "b", "text": "x\\ud800y"}', "lone surrogate \\ud800"),
    "surrogate id": ('{"id": "\\udfff", "text": "x"}', "'id' contains a lone surrogate"),
    "NUL text": ('{"id": "b", "text": "a\\u0000b"}', "'text' contains a NUL character"),
    "NUL source": ('{"id": "b", "text": "t", "source": "a\\u0000"}', "'source' contains a NUL"),
    "NUL title": ('{"id": "b", "text": "t", "title": "\\u0000"}', "'title' contains a NUL"),
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


@pytest.mark.parametrize("doc_id", [" padded ", "\u3000id", "two words"])
def test_an_id_with_spaces_beside_other_characters_is_kept_as_given(
    tmp_path: Path, doc_id: str
) -> None:
    """Spaces around or inside an id's other characters are part of it: some ids have them."""
    assert read(write(tmp_path / "in.jsonl", jsonl({"id": doc_id, "text": "x"})))[0].id == doc_id


@pytest.mark.parametrize("text", ["", " \n\t\u3000"])
def test_an_empty_or_blank_text_is_read(tmp_path: Path, text: str) -> None:
    """Corpora come as scraped: a page whose text was lost is a document that matches nothing
    (the service, where a client sends it, refuses it)."""
    assert read(write(tmp_path / "in.jsonl", jsonl({"id": "a", "text": text}))) == [
        Document("a", text)
    ]


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
