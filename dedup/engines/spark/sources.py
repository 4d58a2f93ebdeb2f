"""Which files a Spark run reads, in which order, and the raw rows Spark reads from them.

Input order is part of the results (``clusters.jsonl`` follows it, pairs are ``a`` before ``b``
in it), so it is fixed here, on the driver, before anything is read: the arguments in the order
given; a directory's files in name order; a glob's matches in path order. Spark's own scans
order files by size, so every raw row carries its file and the start of its split
(``_metadata.file_block_start``); rows of one split arrive together and in file order, which is
all :mod:`dedup.engines.spark.ingest` needs to number lines and documents exactly.

Paths go through Hadoop's FileSystem API, so anything Spark reads works (``hdfs://``,
``s3a://``, ``file:``, plain local paths). How a file is read:

* ``*.parquet``, or a directory all of whose visible files end in ``.parquet``: Parquet.
* Anything else: JSON Lines, split on ``\\n`` only (so ``\\r\\n`` and a stray ``\\r`` mean what
  they mean to the local engine); compressed files are decompressed by Hadoop according to
  their extension (``.gz``, ``.bz2``, ...).
* A directory: its visible files (names not starting with ``_`` or ``.``); a subdirectory is
  an error rather than silently skipped data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dedup.errors import InputError
from dedup.io import FieldNames

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: Names of the location columns added to raw rows (unlikely to clash with a data column).
FILE = "__dedup_file"
BLOCK = "__dedup_block"
_ROW = "__dedup_row"
_GLOB_CHARS = frozenset("*?[{")
_EMPTY_AUTHORITY = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):///")
_TEXT_SUFFIX = ".txt"


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file to read."""

    path: str  # Hadoop path string, as Spark's readers take it
    uri: str  # percent-encoded, as Spark's ``_metadata.file_path``, through :func:`uri_key`
    shown: str  # as error messages name it
    parquet: bool


def resolve_inputs(spark: SparkSession, inputs: Sequence[str]) -> list[InputFile]:
    """Every file to read, in input order; missing paths fail here, before any reading."""
    if isinstance(inputs, str):
        raise TypeError("inputs must be a sequence of paths, not a single string")
    if "-" in inputs:
        raise InputError("the Spark engine cannot read standard input; give file paths", "-")
    jvm: Any = spark._jvm
    hadoop_conf = spark.sparkContext._jsc.hadoopConfiguration()
    listed: list[list[InputFile]] = []
    for name in inputs:
        path = jvm.org.apache.hadoop.fs.Path(name)
        fs = path.getFileSystem(hadoop_conf)
        statuses = fs.globStatus(path)
        if not statuses:
            raise InputError("no such file or directory", name)
        found: list[InputFile] = []
        is_glob = any(c in _GLOB_CHARS for c in name)
        for status in sorted(statuses, key=lambda s: str(s.getPath().toString())):
            shown = _shown(status.getPath()) if is_glob else name
            if status.isDirectory():
                found.extend(_directory(fs, status, shown))
            else:
                found.append(_file(status, shown, shown.lower().endswith(".parquet")))
        listed.append(found)
    return [f for files in listed for f in files]


def _file(status: Any, shown: str, parquet: bool) -> InputFile:
    path = status.getPath()
    return InputFile(str(path.toString()), uri_key(str(path.toUri().toString())), shown, parquet)


def uri_key(uri: str) -> str:
    """One spelling of a file URI: Hadoop writes ``file:///x`` where Spark writes ``file:/x``."""
    return _EMPTY_AUTHORITY.sub(r"\1:/", uri, count=1)


def _shown(path: Any) -> str:
    uri = path.toUri()
    return str(uri.getPath()) if uri.getScheme() == "file" else str(path.toString())


def _directory(fs: Any, status: Any, shown: str) -> list[InputFile]:
    children = sorted(fs.listStatus(status.getPath()), key=lambda c: str(c.getPath().getName()))
    visible = [c for c in children if not str(c.getPath().getName()).startswith(("_", "."))]
    base = shown.rstrip("/")
    for child in visible:
        if child.isDirectory():
            raise InputError(
                f"holds a subdirectory {child.getPath().getName()!s}; nested and partitioned "
                "datasets are not read (list their files or directories instead)",
                shown,
            )
    names = [str(c.getPath().getName()) for c in visible]
    parquet = [n.lower().endswith(".parquet") for n in names]
    if any(parquet) and not all(parquet):
        raise InputError("mixes Parquet and other files; give them separately", shown)
    if names and all(n.endswith(_TEXT_SUFFIX) for n in names):
        raise InputError(
            "a directory of .txt files is read by the local engine only (--engine local)", shown
        )
    return [_file(c, f"{base}/{n}", p) for c, n, p in zip(visible, names, parquet, strict=True)]


def jsonl_rows(spark: SparkSession, files: Sequence[InputFile]) -> DataFrame:
    """The raw lines of JSON Lines files: ``raw`` (bytes, exactly as stored), plus
    :data:`FILE` and :data:`BLOCK`; read as bytes so that invalid UTF-8 is found and reported,
    not replaced."""
    from pyspark.sql import functions as F

    frame = spark.read.option("lineSep", "\n").text([f.path for f in files])
    return frame.select(
        F.col("value").cast("binary").alias("raw"),
        F.col("_metadata.file_path").alias(FILE),
        F.col("_metadata.file_block_start").alias(BLOCK),
    )


def parquet_rows(spark: SparkSession, files: Sequence[InputFile], fields: FieldNames) -> DataFrame:
    """The document columns of Parquet files that have them (a missing one is reported per row,
    like a missing JSON key), plus :data:`FILE` and :data:`BLOCK`, rows in file order."""
    from pyspark.sql import functions as F

    frame = spark.read.parquet(*[f.path for f in files])
    present = set(frame.columns)
    wanted = [fields.id, fields.text, fields.source, fields.published, fields.title]
    columns = [F.col(f"`{name}`") for name in dict.fromkeys(wanted) if name in present]
    return frame.select(
        *columns,
        F.col("_metadata.file_path").alias(FILE),
        F.col("_metadata.file_block_start").alias(BLOCK),
        F.col("_metadata.row_index").alias(_ROW),
    ).sortWithinPartitions(FILE, BLOCK, _ROW)
