"""Writing a Spark run's outputs: the local engine's JSONL files, or Parquet for big runs.

* ``jsonl``: ids, lengths, canonicals and verified pairs are collected into a
  :class:`~dedup.bulk.BulkResult` and written by :func:`dedup.bulk.write_outputs`, the local
  engine's writer, so the files are byte-identical to a local run's, ``samples.jsonl`` (the
  report's texts) included. Texts are not collected: the writer's "second read of the input"
  (:meth:`~dedup.engines.spark.job.SparkBulkRun.reread`) streams the canonical documents and
  the at most 250 that ``samples.jsonl`` shows, a partition at a time. The driver needs
  about 100 bytes per document and per verified pair.
* ``parquet``: ``clusters.parquet``, ``pairs.parquet`` and ``deduped.parquet`` directories are
  written by the executors, in input order, with the JSONL files' fields (``relation`` as its
  name; similarities are full-precision doubles, not rounded to 6 digits; absent optional
  fields are nulls). ``boilerplate.jsonl`` and ``summary.json`` are written by the driver, the
  summary from counts made by Spark. A plain local path goes through
  :class:`~dedup.io.OutputDir` (all or nothing); a URI (``hdfs://``, ``s3a://``, ``file:``,
  ...) is written in place through Hadoop's FileSystem API, ``summary.json`` last, so its
  presence marks a finished run (on a cluster, ``--out`` must be such a shared location:
  executors write the Parquet parts themselves).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import numpy as np

from dedup.bulk import write_outputs
from dedup.bulk.outputs import summary_data
from dedup.errors import InputError
from dedup.io import MARKER_FILE, OutputDir
from dedup.verify import RELATIONS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from dedup.engines.spark.job import SparkBulkRun

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def local_path(target: str) -> str | None:
    """``target`` as a local path (a plain path, or a ``file:`` URI), None for other URIs."""
    if not _URI.match(target):
        return target
    parsed = urlparse(target)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        return None
    return unquote(parsed.path)


def write_jsonl_outputs(
    run: SparkBulkRun, target: str, extra_summary: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The five files of a local run, written the local engine's way; returns the summary."""
    path = local_path(target)
    if path is None:
        raise InputError("JSONL outputs go to a local directory; use --format parquet", target)
    result = run.result()
    canonical = result.canon == np.arange(result.canon.shape[0])
    return write_outputs(
        path, result, partial(run.reread, canonical=canonical), extra_summary=extra_summary
    )


def parquet_frames(run: SparkBulkRun) -> dict[str, DataFrame]:
    """``clusters``, ``pairs`` and ``deduped`` as DataFrames in input order."""
    from pyspark.sql import functions as F

    docs = run.documents
    names = docs.select(F.col("pos").alias("canon"), F.col("id").alias("cluster"))
    clusters = (
        docs.select("pos", "id", "canon")
        .join(names, "canon")
        .orderBy("pos")
        .select("id", "cluster", (F.col("pos") == F.col("canon")).alias("canonical"))
    )
    relation = F.element_at(
        F.array(*[F.lit(None if r is None else r.value).cast("string") for r in RELATIONS]),
        F.col("relation").cast("int") + 1,
    )
    ids = docs.select("pos", "id")
    pairs = (
        run.pairs.join(ids.withColumnRenamed("pos", "left").withColumnRenamed("id", "a"), "left")
        .join(ids.withColumnRenamed("pos", "right").withColumnRenamed("id", "b"), "right")
        .orderBy("left", "right")
        .select(
            "a",
            "b",
            "jaccard",
            F.col("a_in_b").alias("containment_a_in_b"),
            F.col("b_in_a").alias("containment_b_in_a"),
            relation.alias("relation"),
        )
    )
    deduped = (
        docs.filter(F.col("pos") == F.col("canon"))
        .orderBy("pos")
        .select("id", "text", "source", "published", "title")
    )
    return {"clusters": clusters, "pairs": pairs, "deduped": deduped}


def write_parquet_outputs(
    run: SparkBulkRun, target: str, extra_summary: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Parquet datasets plus ``boilerplate.jsonl`` and ``summary.json``; returns the summary."""
    frames = parquet_frames(run)
    if _URI.match(target):
        return _write_remote(run, target, frames, extra_summary)
    with OutputDir(target) as out:
        for name, frame in frames.items():
            frame.write.parquet(str(out.directory(f"{name}.parquet")))
        data = summary_data(run.counts(), run.config, run.timings, extra_summary)
        with out.open("boilerplate.jsonl"):
            pass
        with out.open("summary.json") as handle:
            handle.write(_summary_text(data))
    return data


def _summary_text(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _write_remote(
    run: SparkBulkRun,
    target: str,
    frames: Mapping[str, DataFrame],
    extra_summary: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Write into a directory on any Hadoop filesystem; the same refusal rule as OutputDir."""
    spark = run.documents.sparkSession
    jvm: Any = spark._jvm
    root = jvm.org.apache.hadoop.fs.Path(target)
    fs = root.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    child: Callable[[str], Any] = lambda name: jvm.org.apache.hadoop.fs.Path(root, name)  # noqa: E731
    if fs.exists(root):
        if not fs.getFileStatus(root).isDirectory():
            raise InputError("output path exists and is not a directory", target)
        if fs.listStatus(root) and not fs.exists(child(MARKER_FILE)):
            raise InputError(
                f"refusing to replace a non-empty directory without a {MARKER_FILE} marker; "
                "choose another output directory or empty this one",
                target,
            )
        fs.delete(child("summary.json"), False)
    for name, frame in frames.items():
        frame.write.mode("overwrite").parquet(str(child(f"{name}.parquet").toString()))
    data = summary_data(run.counts(), run.config, run.timings, extra_summary)
    for name, text in (
        (MARKER_FILE, "Written by dedup: the outputs of one run.\n"),
        ("boilerplate.jsonl", ""),
        ("summary.json", _summary_text(data)),
    ):
        stream = fs.create(child(name), True)
        try:
            stream.write(text.encode("utf-8"))
        finally:
            stream.close()
    return data
