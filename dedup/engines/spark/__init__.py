"""The bulk job on Apache Spark, with results identical to the local engine's.

Needs the ``spark`` extra (``pip install 'dedup[spark]'``) and Java 17+. Every stage calls the
core functions the local engine calls; Spark only moves the data:

==========  ============================================  =======================================
stage       local engine (:mod:`dedup.bulk`)              Spark (this package)
==========  ============================================  =======================================
read        :func:`dedup.io.read_documents`               Hadoop text/Parquet scans;
                                                          :mod:`.sources` fixes input order
ingest      ``Fingerprinter`` + ``Banding`` per batch     the same, per batch inside
                                                          ``mapPartitions`` (:mod:`.ingest`)
candidates  sort per band, hot-bucket cap by rank         ``posexplode`` + window by
                                                          (band, key) ordered by rank, self-join
                                                          (:mod:`.candidates`)
verify      ``pair_intersections`` + ``score_pairs``      the same, on pairs joined with both
                                                          shingle sets (:mod:`.verify`)
cluster     ``star_clusters``                             MIS in checkpointed rounds, in the
                                                          visit order (excerpts after their
                                                          containers, :mod:`.visits`);
                                                          ``star_clusters`` on the driver for
                                                          small graphs (:mod:`.cluster`)
write       :func:`dedup.bulk.write_outputs`              the same (JSONL), or Parquet
                                                          (:mod:`.outputs`)
==========  ============================================  =======================================

Run it with ``dedup bulk ... --engine spark [--spark-master URL] [--format parquet]``, or with
``spark-submit .../dedup/engines/spark/__main__.py INPUT... --out DIR`` (the same options).
"""

from dedup.engines.spark.job import SparkBulkRun, SparkOptions, run_spark_bulk
from dedup.engines.spark.outputs import write_jsonl_outputs, write_parquet_outputs
from dedup.engines.spark.session import (
    SparkUnavailableError,
    bulk_session,
    require_spark,
    start_session,
)

__all__ = [
    "SparkBulkRun",
    "SparkOptions",
    "SparkUnavailableError",
    "bulk_session",
    "require_spark",
    "run_spark_bulk",
    "start_session",
    "write_jsonl_outputs",
    "write_parquet_outputs",
]
