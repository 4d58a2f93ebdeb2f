"""Reading documents from every input format the bulk job accepts (see :func:`read_documents`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import IO

import numpy as np

from dedup.errors import InputError, shown_path
from dedup.fields import id_problem
from dedup.io._jsonl import FieldNames, jsonl_records
from dedup.io._streams import decode_line, gunzip, numbered_lines, sniff_gzip, text_lines
from dedup.io._text import checked_lines, read_text_file
from dedup.types import Document

STDIN_NAME = "<stdin>"
_READ_BUFFER = 1 << 20
_JSONL_SUFFIXES = (".jsonl", ".ndjson")
_HIDDEN = ("_", ".")  # names a directory's reading skips, as Spark's and Hadoop's do


def read_documents(
    inputs: Sequence[str],
    *,
    id_field: str = "id",
    text_field: str = "text",
    source_field: str = "source",
    published_field: str = "published",
    title_field: str = "title",
    stdin: IO[bytes] | None = None,
    streams: Mapping[str, IO[bytes]] | None = None,
) -> Iterator[Document]:
    """Stream documents from files, directories and stdin, in input order.

    Lazy: a generator that reads one line at a time and holds one document's text at a time, so
    memory grows with the number of documents (their ids are remembered to reject duplicates),
    never with the size of the inputs.
    Before the first document is produced, every input path is checked to exist, so a typo in
    the last argument fails at once rather than after hours of work.

    **How an input is read**

    * ``-``: JSON Lines on ``stdin`` (binary; default ``sys.stdin.buffer``), gzip-compressed if
      it starts with the gzip magic bytes. Errors name it ``<stdin>``. At most once.
    * A name in ``streams`` (a pipe or a FIFO, which can be read only once: the caller reads
      it through a copy it keeps, then reads the copy): read from that open stream, as a file
      of that name would be; errors name the input.
    * A directory holding a regular file named ``*.txt`` (case-sensitive) anywhere below it:
      every such file, symlinked directories not followed, in code-point order of the relative
      path. Each file is one document: id = path relative to the directory with ``/``
      separators, text = the file content exactly (UTF-8, BOM dropped, line endings untouched),
      no source, no title.
    * Any other directory, as the Spark engine reads one: its visible files (names not starting
      with ``_`` or ``.``), in code-point order, each JSON Lines (gzip-compressed if it starts
      with the magic bytes or is named ``*.gz``). A visible subdirectory, and a directory with
      no file to read, are errors (before anything is read).
    * A file starting with the gzip magic bytes ``1f 8b``, or named ``*.gz``: gzip-compressed
      JSON Lines, whatever the inner name.
    * A file named ``*.jsonl`` or ``*.ndjson``: JSON Lines.
    * Any other file: JSON Lines if its first non-blank line starts with ``{``; otherwise text,
      read either as a *dump* (below) or, if it is not one, as one document whose id is the file
      name (``notes.txt``) and whose text is the file content exactly.

    **JSON Lines**: one JSON object per line; blank lines are skipped; line numbers count every
    physical line. Fields (names overridable): ``id`` (a string with a character other than
    white space and no control character, or an integer, turned into its decimal string),
    ``text`` (string, empty too), optional ``source`` and ``title`` (string or null),
    ``published`` (ISO 8601 string or null, normalised by :func:`parse_published`).
    Other keys are ignored. CRLF line endings are accepted; string values are data and are kept
    exactly, so an escaped ``\\r\\n`` inside ``text`` stays ``\\r\\n``.

    **Dump format** (a concatenation of scraped articles, as ``examples/sample_dump.txt``). A line
    of a text file ends at LF, CRLF or a lone CR (as for paragraphs, and for the line numbers of its
    errors). Lines are grouped into *blocks*: runs of non-blank lines separated by blank
    (whitespace-only) lines. A *title line* is a block of exactly one line which, stripped, is at
    most 200 characters and contains ``" | "``, where the part after the last ``" | "`` (the
    section) is 1-40 characters not ending in ``. ! ? , ; :`` and the part before it (the title) is
    not empty. The *footer* is a block of exactly one line reading ``Original Source``.

    A text file is a dump when its first block is a title line and a footer block follows later
    in the file. An article starts at the first block, and at every title line whose preceding
    block is a footer; a line with ``" | "`` anywhere else (a content paragraph, a subheading,
    a line of a multi-line block) never starts an article. Each article yields a document with
    id ``<file stem>-<NN>`` (1-based, at least two digits: ``sample_dump-01``), title = the part
    of its title line before the last ``" | "``, stripped, and text = every line after the title
    line up to the next article's title line (or the end of the file), without the blank lines
    around it and without its final line break, line endings otherwise kept. Footers and page
    chrome ("Check out our Latest News...", "Original Source", "Exit mobile version") stay in the
    text: stripping boilerplate is a later stage's job, and it needs to see them.

    **Errors**: an :class:`InputError` naming the file and 1-based line for: a missing path,
    invalid JSON (including ``NaN``/``Infinity``), a line that is not an object, a missing,
    empty or non-string/integer id, an id that is only white space or holds a control character
    (:func:`dedup.fields.id_problem`; ids made from file names too), a duplicate id (across all
    inputs; the message says where it was first seen), a missing or non-string text, a
    ``source``/``title`` that is not a string or null, a ``published`` that is not ISO 8601,
    bytes that are not UTF-8, lone surrogate escapes (``"\\ud800"``, which cannot be encoded),
    NUL characters in a text, source or title, corrupt gzip data.
    A UTF-8 BOM at the start of a file is accepted and dropped.
    """
    if isinstance(inputs, str):  # a str is a Sequence[str] too: "in.jsonl" would be 8 inputs
        raise TypeError("inputs must be a sequence of paths, not a single string")
    fields = FieldNames(id_field, text_field, source_field, published_field, title_field)
    return _read_all(list(inputs), fields, stdin, streams or {})


def read_selected(
    inputs: Sequence[str],
    wanted: np.ndarray,
    *,
    id_field: str = "id",
    text_field: str = "text",
    source_field: str = "source",
    published_field: str = "published",
    title_field: str = "title",
    stdin: IO[bytes] | None = None,
    streams: Mapping[str, IO[bytes]] | None = None,
) -> Iterator[tuple[int, Document]]:
    """Read inputs again, already read whole by :func:`read_documents`: ``(position, document)``
    for every position ``wanted`` (a boolean array, one entry per document) marks.

    JSON Lines records at unwanted positions are not parsed at all, which is what makes a
    second pass that needs a fraction of the documents cheap. Lines are not checked again
    (the first read did that), except that a different number of documents is an
    :class:`InputError`: the input changed while the job was running.
    """
    if isinstance(inputs, str):
        raise TypeError("inputs must be a sequence of paths, not a single string")
    fields = FieldNames(id_field, text_field, source_field, published_field, title_field)
    count = len(wanted)
    position = -1
    for position, (parse, path, line) in enumerate(
        _pending(list(inputs), fields, stdin, streams or {})
    ):
        if position >= count:
            raise InputError(
                "the input changed while the job was running (more documents)", path, line
            )
        if wanted[position]:
            yield position, parse()
    if position + 1 != count:
        raise InputError("the input changed while the job was running (fewer documents)")


def _read_all(
    inputs: list[str],
    fields: FieldNames,
    stdin: IO[bytes] | None,
    streams: Mapping[str, IO[bytes]],
) -> Iterator[Document]:
    first_seen: dict[str, tuple[str, int]] = {}
    for parse, path, line in _pending(inputs, fields, stdin, streams):
        doc = parse()
        where = first_seen.get(doc.id)
        if where is not None:
            raise InputError(
                f"duplicate id {doc.id!r} (first seen at {shown_path(where[0])}:{where[1]})",
                path,
                line,
            )
        first_seen[doc.id] = (path, line)
        yield doc


#: A document not parsed yet, where it is (path, line): parsing is up to the reader.
_Pending = tuple[Callable[[], Document], str, int]


def _pending(
    inputs: list[str],
    fields: FieldNames,
    stdin: IO[bytes] | None,
    streams: Mapping[str, IO[bytes]],
) -> Iterator[_Pending]:
    if inputs.count("-") > 1:
        raise InputError("stdin ('-') can be read only once", "-")
    for name in inputs:
        if name != "-" and not os.path.exists(name):
            raise InputError("no such file or directory", name)
    # Listed before anything is read, so that a directory with nothing to read fails at once.
    listed = {
        name: _listed(name)
        for name in inputs
        if name != "-" and name not in streams and os.path.isdir(name)
    }
    for name in inputs:
        yield from _read_input(name, fields, stdin, streams.get(name), listed.get(name))


def _ready(doc: Document) -> Callable[[], Document]:
    return lambda: doc


def _read_input(
    name: str,
    fields: FieldNames,
    stdin: IO[bytes] | None,
    stream: IO[bytes] | None,
    listing: _Listing | None,
) -> Iterator[_Pending]:
    if name == "-":
        source = stdin if stdin is not None else sys.stdin.buffer
        yield from _read_stream(source, STDIN_NAME, fields, jsonl=True)
    elif listing is not None and listing.txt:
        yield from _read_txt_files(listing.files)
    elif listing is not None:
        for _, full in listing.files:
            with _open(full) as handle:
                gz = full.lower().endswith(".gz")
                yield from _read_stream(handle, full, fields, jsonl=True, gz=gz)
    else:
        with ExitStack() as opened:
            handle = stream if stream is not None else opened.enter_context(_open(name))
            lowered = name.lower()
            jsonl = True if lowered.endswith(_JSONL_SUFFIXES) else None
            yield from _read_stream(handle, name, fields, jsonl=jsonl, gz=lowered.endswith(".gz"))


def _open(path: str) -> IO[bytes]:
    try:
        # A 1 MiB buffer: with the default 8 KiB, every couple of news-length lines is a read
        # call that drops and re-takes the GIL, which stalls the fingerprinting threads.
        return open(path, "rb", buffering=_READ_BUFFER)  # closed by the caller's with-block
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", path) from None


def _read_stream(
    source: IO[bytes], path: str, fields: FieldNames, *, jsonl: bool | None, gz: bool = False
) -> Iterator[_Pending]:
    """Read one byte stream; ``jsonl=None`` means decide from the first non-blank line."""
    is_gzip, stream = sniff_gzip(source)
    with ExitStack() as stack:
        raw_lines: Iterable[bytes] = stream
        if is_gzip or gz:
            raw_lines = stack.enter_context(gunzip(stream))
            jsonl = True
        raw = numbered_lines(raw_lines, path)
        if jsonl is None:
            # Decide on the first line that is not blank as text (Unicode spaces included).
            head: list[tuple[int, bytes]] = []
            first = ""
            for lineno, line in raw:
                head.append((lineno, line))
                first = decode_line(line, path, lineno)
                if first.strip():
                    break
            jsonl = first.lstrip().startswith("{")
            raw = chain(head, raw)
        if jsonl:
            for parse, lineno in jsonl_records(raw, fields, path):
                yield parse, path, lineno
        else:
            stem = Path(path).stem
            lines = ((n, decode_line(line, path, n)) for n, line in text_lines(raw))
            for part in read_text_file(checked_lines(lines, path), Path(path).name, stem):
                doc_id = _named(part.id, path, part.line)
                yield _ready(Document(id=doc_id, text=part.text, title=part.title)), path, part.line


def _walk_error(error: OSError) -> None:
    """Fail loudly: silently skipping an unreadable subdirectory would drop documents."""
    raise InputError(f"cannot read directory: {error.strerror}", str(error.filename))


@dataclass(frozen=True, slots=True)
class _Listing:
    """What a directory input holds to read, in read order."""

    txt: bool  # .txt files, one document each; else JSON Lines files
    files: list[tuple[str, str]]  # (name relative to the directory, path), in read order


def _listed(root: str) -> _Listing:
    """A directory's ``*.txt`` files below it, if it holds any (sorted by relative path), else
    its visible files (names not starting with ``_`` or ``.``), JSON Lines, sorted by name.

    The second reading is the Spark engine's (:mod:`dedup.engines.spark.sources`): a Spark
    job's output (``part-*`` files beside a ``_SUCCESS`` marker) reads the same on both
    engines, and a visible subdirectory is an error there and here, not skipped data. A
    directory with neither is refused: an empty run is more likely a wrong path than a corpus.
    """
    texts: list[tuple[str, str]] = []
    visible: list[str] = []
    subdirectories: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=_walk_error):
        top = dirpath == root
        for filename in filenames:
            full = os.path.join(dirpath, filename)
            if not os.path.isfile(full):
                continue
            if filename.endswith(".txt"):
                texts.append((os.path.relpath(full, root).replace(os.sep, "/"), full))
            elif top and not filename.startswith(_HIDDEN):
                visible.append(filename)
        if top:
            subdirectories = [d for d in dirnames if not d.startswith(_HIDDEN)]
    if texts:
        return _Listing(True, sorted(texts))
    if subdirectories:
        raise InputError(
            f"holds a subdirectory {shown_path(min(subdirectories))}; nested and partitioned "
            "datasets are not read (list their files or directories instead)",
            root,
        )
    if not visible:
        raise InputError(
            "holds no input file (no *.txt file below it, no JSON Lines file in it)", root
        )
    return _Listing(False, [(name, os.path.join(root, name)) for name in sorted(visible)])


def _read_txt_files(files: list[tuple[str, str]]) -> Iterator[_Pending]:
    for doc_id, full in files:
        with _open(full) as handle:
            lines = ((n, decode_line(line, full, n)) for n, line in text_lines(enumerate(handle)))
            text = "".join(line for _, line in checked_lines(lines, full))
        yield _ready(Document(id=_named(doc_id, full, 1), text=text)), full, 1


def _named(doc_id: str, path: str, line: int) -> str:
    """``doc_id``, made from a file's name, if it is an id a JSON Lines record could give: a
    name may hold what an id may not (a line break, a tab), and every input takes the same ids."""
    problem = id_problem(doc_id)
    if problem is not None:
        raise InputError(f"the id {doc_id!r}, taken from the file's name, {problem}", path, line)
    return doc_id
