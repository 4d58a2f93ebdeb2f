"""One JSON Lines record to one :class:`Document`, with every way a record can be wrong named."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

import orjson

from dedup.errors import InputError
from dedup.fields import id_problem
from dedup.io._dates import parse_published
from dedup.io._streams import UTF8_BOM, decode_line
from dedup.types import Document

# Lone UTF-16 surrogates: JSON can spell them ("\ud800") but no UTF-8 output can hold them, so a
# document carrying one would crash a later stage instead of being rejected here, at its line.
# Properly paired escapes ("\ud83d\ude00") are joined into one code point by the JSON parser.
_SURROGATE = re.compile("[\ud800-\udfff]")
# A decoded line can only hold a surrogate if the raw line spells one as an escape, so the
# (slower) search of every decoded value runs only for lines that match this cheap pattern.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass(frozen=True, slots=True)
class FieldNames:
    """Which JSON keys hold the document fields (overridable per input corpus)."""

    id: str = "id"
    text: str = "text"
    source: str = "source"
    published: str = "published"
    title: str = "title"


class _NonFiniteNumberError(ValueError):
    """Raised from the JSON parser when it meets NaN, Infinity or -Infinity."""


def _reject_constant(literal: str) -> NoReturn:
    raise _NonFiniteNumberError(literal)


# One decoder for every line: json.loads with keyword arguments builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def json_type(value: object) -> str:
    """Name a decoded JSON value's type the way the JSON spec does, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _check_chars(value: str, field: str, path: str, lineno: int, escaped: bool = True) -> None:
    if not escaped:
        return
    match = _SURROGATE.search(value)
    if match is not None:
        raise InputError(
            f"field {field!r} contains a lone surrogate \\u{ord(match.group()):04x} "
            "(it cannot be encoded as UTF-8)",
            path,
            lineno,
        )


def _optional_string(
    record: dict[str, Any],
    field: str,
    path: str,
    lineno: int,
    escaped: bool,
    what: str = "a string",
) -> str | None:
    value = record.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(
            f"field {field!r} must be {what} or null, got {json_type(value)}", path, lineno
        )
    if "\x00" in value:  # as in an id or a text: stored, then written raw into pages
        raise InputError(f"field {field!r} contains a NUL character", path, lineno)
    _check_chars(value, field, path, lineno, escaped)
    return value


def parse_record(
    line: str, fields: FieldNames, path: str, lineno: int, raw: bytes | None = None
) -> Document:
    """Decode and validate one non-blank JSONL line; ``raw``, the line's bytes, becomes the
    document's ``record`` (:func:`record_bytes`)."""
    record = decode_object(line, path, lineno)
    escaped = _SURROGATE_ESCAPE.search(line) is not None
    kept = None if raw is None else record_bytes(raw)
    return record_document(record, fields, path, lineno, escaped, kept)


def decode_object(line: str, path: str, lineno: int) -> dict[str, Any]:
    """One non-blank JSONL line as a JSON object, or an :class:`InputError` at ``path:lineno``.

    Everything the standard parser can raise on a line is named here, so that every reader of
    JSON Lines (documents, gold labels, a run's outputs) rejects the same lines the same way:
    bad syntax, NaN and Infinity, an integer beyond ``int_max_str_digits``, nesting too deep for
    the parser's recursion, and a value that is not an object. The line's ending is dropped
    first: a record cut short ends at it, and the parser would place the error past it, in
    column 1 of a line that does not exist.
    """
    try:
        record = _DECODER.decode(line.rstrip("\r\n"))
    except _NonFiniteNumberError as exc:
        raise InputError(
            f"invalid JSON: {exc} is not a JSON value (NaN and Infinity are not allowed)",
            path,
            lineno,
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno})", path, lineno) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer beyond int_max_str_digits
        raise InputError(f"invalid JSON: {exc}", path, lineno) from None
    if not isinstance(record, dict):
        raise InputError(f"expected a JSON object, got {json_type(record)}", path, lineno)
    return record


def record_document(
    record: dict[str, Any],
    fields: FieldNames,
    path: str,
    lineno: int,
    escaped: bool = True,
    raw: bytes | None = None,
) -> Document:
    """Validate one decoded record (a JSON object, or a row of another format) as a Document.

    Shared by every reader, so that a record is accepted or rejected, with the same message,
    whatever format or engine it came through. ``escaped=False`` skips the lone-surrogate
    search when the caller knows none can be present. ``raw`` becomes the document's
    ``record`` (the JSON text the record was decoded from, see :func:`record_bytes`).
    """
    if fields.id not in record:
        raise InputError(f"missing id field {fields.id!r}", path, lineno)
    raw_id = record[fields.id]
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        raise InputError(
            f"field {fields.id!r} must be a string or an integer, got {json_type(raw_id)}",
            path,
            lineno,
        )
    doc_id = str(raw_id)
    _check_chars(doc_id, fields.id, path, lineno, escaped)
    problem = id_problem(doc_id)
    if problem is not None:
        raise InputError(f"field {fields.id!r} {problem}", path, lineno)

    if fields.text not in record:
        raise InputError(f"missing text field {fields.text!r}", path, lineno)
    text = record[fields.text]
    if not isinstance(text, str):
        raise InputError(
            f"field {fields.text!r} must be a string, got {json_type(text)}", path, lineno
        )
    _check_chars(text, fields.text, path, lineno, escaped)
    nul = text.find("\x00")
    if nul >= 0:
        raise InputError(
            f"field {fields.text!r} contains a NUL character (at character {nul})", path, lineno
        )

    published = _optional_string(
        record, fields.published, path, lineno, escaped, what="an ISO 8601 date string"
    )
    if published is not None:
        try:
            published = parse_published(published)
        except ValueError as exc:
            raise InputError(f"field {fields.published!r}: {exc}", path, lineno) from None

    return Document(
        id=doc_id,
        text=text,
        source=_optional_string(record, fields.source, path, lineno, escaped),
        published=published,
        title=_optional_string(record, fields.title, path, lineno, escaped),
        record=raw,
    )


def record_bytes(raw: bytes) -> bytes:
    """A raw JSON Lines line that holds an object, as a :attr:`Document.record`: one line.

    The JSON white space around it (the line break, a CR) and a leading UTF-8 BOM are dropped.
    A CR inside it can only be white space between tokens (JSON strings cannot hold one raw);
    it becomes a space, since readers with universal newlines would take it for a line break.
    """
    record = raw.strip(b" \t\r\n")
    if record.startswith(UTF8_BOM):
        record = record[len(UTF8_BOM) :].lstrip(b" \t\r\n")
    if b"\r" in record:
        record = record.replace(b"\r", b" ")
    return record


def parse_line(raw: bytes, fields: FieldNames, path: str, lineno: int) -> Document:
    """Decode and validate one non-blank raw JSONL line, the fast way when it is plain.

    orjson parses strict UTF-8 and strict JSON only, and rejects lone surrogate escapes, so a
    line it accepts needs neither a UTF-8 check nor a surrogate search. Anything it refuses
    (a BOM, invalid UTF-8, NaN, a lone surrogate, deep nesting...), and an id it read as a
    float (an integer beyond 64 bits), goes the standard way, :func:`decode_line` then
    :func:`parse_record`: every line is accepted or rejected, with the same message, exactly
    as by that path alone.
    """
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        record = None
    if isinstance(record, dict) and not isinstance(record.get(fields.id), float):
        return record_document(record, fields, path, lineno, False, record_bytes(raw))
    return parse_record(decode_line(raw, path, lineno), fields, path, lineno, raw)


def jsonl_records(
    lines: Iterable[tuple[int, bytes]], fields: FieldNames, path: str
) -> Iterator[tuple[Callable[[], Document], int]]:
    """Yield ``(parse, line number)`` for every non-blank raw line; ``parse()`` gives the document.

    Parsing is left to the caller so that a second read can skip the lines it does not need.
    """
    for lineno, raw in lines:
        if raw.strip(b" \t\r\n"):  # JSON whitespace only
            yield functools.partial(parse_line, raw, fields, path, lineno), lineno
