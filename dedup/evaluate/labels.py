"""Gold labels read from labelled JSON Lines: each document's cluster and boilerplate spans.

A labelled file is an ordinary input file (``id``, ``text``, ...; read by
:func:`dedup.io.read_documents`) whose records also carry the truth:

* ``cluster`` (required; string or integer): documents with equal values are copies of one
  another; a document alone in its cluster has no copy.
* ``boilerplate`` (optional): the ``[start, end]`` character spans of the text that are
  boilerplate, each with ``0 <= start < end <= len(text)``. Documents without the field are
  left out of the boilerplate scores; an empty list means "no boilerplate here", so anything
  predicted in it counts against precision.

Labels are read in a pass of their own, keeping only ids, cluster names and spans in memory.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, Any

from dedup.errors import InputError
from dedup.evaluate.metrics import Span
from dedup.io._jsonl import decode_object
from dedup.io._streams import decoded_lines, gunzip, sniff_gzip


@dataclass(slots=True)
class Labels:
    """Gold cluster of every labelled document, and gold boilerplate spans where given."""

    clusters: dict[str, str] = field(default_factory=dict)
    boilerplate: dict[str, list[Span]] = field(default_factory=dict)

    def cluster_of(self, doc_id: str) -> str:
        """The gold cluster of ``doc_id``; an :class:`InputError` if it has none."""
        try:
            return self.clusters[doc_id]
        except KeyError:
            raise InputError(f"document {doc_id!r} has no gold cluster label") from None


def read_labels(
    paths: Sequence[str],
    *,
    id_field: str = "id",
    cluster_field: str = "cluster",
    boilerplate_field: str = "boilerplate",
    text_field: str = "text",
    streams: Mapping[str, IO[bytes]] | None = None,
) -> Labels:
    """Read the gold labels of JSON Lines files (plain or gzip), locating errors by file:line.

    Only the label fields are checked here, and the spans against the length of the text in
    ``text_field``; the documents themselves are validated when they are read for the pipeline
    (a record whose text is missing or no string is refused there). A path in ``streams`` is
    read from that open stream (as :func:`dedup.io.read_documents` reads one).
    """
    if isinstance(paths, str):
        raise TypeError("paths must be a sequence of paths, not a single string")
    labels = Labels()
    for path in paths:
        for line, record in _records(path, (streams or {}).get(path)):
            doc_id = _label(record, id_field, path, line, "id")
            labels.clusters[doc_id] = _label(record, cluster_field, path, line, "cluster")
            if boilerplate_field in record:
                text = record.get(text_field)
                length = len(text) if isinstance(text, str) else None
                spans = _spans(record[boilerplate_field], length, path, line, boilerplate_field)
                labels.boilerplate[doc_id] = spans
    if not labels.clusters:  # scores of nothing would read as perfect ones
        raise InputError("no labelled documents to evaluate", ", ".join(paths))
    return labels


def _records(path: str, opened: IO[bytes] | None) -> Iterator[tuple[int, dict[str, Any]]]:
    with ExitStack() as stack:
        if opened is not None:  # the caller's (an input that can be read only once)
            raw = opened
        else:
            try:
                raw = stack.enter_context(open(path, "rb"))
            except OSError as exc:
                raise InputError(f"cannot open: {exc.strerror}", path) from None
        is_gzip, stream = sniff_gzip(raw)
        lines = stack.enter_context(gunzip(stream)) if is_gzip else stream
        for number, text in decoded_lines(lines, path):
            if text.strip():
                # The bulk reader's own decoding: the same lines refused with the same messages.
                yield number, decode_object(text, path, number)


def _label(record: dict[str, Any], name: str, path: str, line: int, what: str) -> str:
    value = record.get(name)
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise InputError(f"missing or invalid {what} field {name!r}", path, line)
    return str(value)


def _spans(value: object, length: int | None, path: str, line: int, name: str) -> list[Span]:
    """Gold spans, each ``[start, end]`` with ``0 <= start < end <= length`` (the text's length;
    ``None`` when the record has no text, which the document reader refuses)."""
    if not isinstance(value, list):
        raise InputError(f"{name!r} must be a list of [start, end] spans", path, line)
    spans: list[Span] = []
    for item in value:
        problem = _span_problem(item, length)
        if problem:
            raise InputError(f"{name!r} span {reprlib.repr(item)} {problem}", path, line)
        spans.append((item[0], item[1]))
    return spans


def _span_problem(item: Any, length: int | None) -> str | None:
    """What is wrong with one gold span, or None."""
    if not (
        isinstance(item, list)
        and len(item) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) for x in item)
        and 0 <= item[0] <= item[1]
    ):
        return "is not [start, end] with 0 <= start <= end"
    if item[0] == item[1]:
        return "is empty (a span needs start < end)"
    if length is not None and item[1] > length:
        return f"ends past the end of the text ({length:,} characters)"
    return None
