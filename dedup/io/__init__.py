"""Getting documents in and results out of the bulk job.

Reading (:func:`read_documents`) streams JSON Lines (plain or gzip, files or stdin), directories
of ``.txt`` files and concatenated article dumps, validating every record and locating every
problem by file and line. Writing goes through :class:`OutputDir`, which never leaves a partial
set of output files behind, :func:`atomic_text_file` (one file: complete or not at all where it
can be replaced), :func:`output_text_file` (the same, ``-`` for standard output),
:func:`write_jsonl`, :func:`write_documents` and :func:`write_lines`.
"""

from dedup.io._atomic import STDOUT_NAME, atomic_text_file, output_text_file
from dedup.io._dates import dated_document, parse_published, stored_document, window_bound
from dedup.io._jsonl import (
    FieldNames,
    parse_line,
    parse_record,
    record_bytes,
    record_document,
)
from dedup.io._output import (
    MARKER_FILE,
    OutputDir,
    Plain,
    fsync_path,
    write_documents,
    write_jsonl,
    write_lines,
)
from dedup.io._ranges import line_ranges, range_lines
from dedup.io._readers import read_documents, read_selected
from dedup.io._streams import decode_line

__all__ = [
    "MARKER_FILE",
    "STDOUT_NAME",
    "FieldNames",
    "OutputDir",
    "Plain",
    "atomic_text_file",
    "dated_document",
    "decode_line",
    "fsync_path",
    "line_ranges",
    "output_text_file",
    "parse_line",
    "parse_published",
    "parse_record",
    "range_lines",
    "read_documents",
    "read_selected",
    "record_bytes",
    "record_document",
    "stored_document",
    "window_bound",
    "write_documents",
    "write_jsonl",
    "write_lines",
]
