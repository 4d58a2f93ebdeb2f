"""`dedup bulk --engine spark` gives the local engine's results, whatever Spark's partitioning.

Spark runs in local[2] (one session for the whole test run, see conftest.py); these tests are
skipped, with the reason, when PySpark or Java is missing.
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dedup import Config
from dedup.cli import main
from dedup.synth import news_corpus, news_corpus_labelled
from tests.conftest import read_jsonl

COMPARED = ("clusters.jsonl", "pairs.jsonl", "deduped.jsonl", "boilerplate.jsonl", "samples.jsonl")


def write_news(path: Path, n_docs: int, seed: int) -> Path:
    """``news_corpus(n_docs, seed)`` as JSONL, the way the benchmarks write it."""
    with path.open("w", encoding="utf-8") as handle:
        for doc in news_corpus(n_docs, seed=seed):
            record = {"id": doc.id, "text": doc.text, "source": doc.source}
            if doc.published:
                record["published"] = doc.published
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def bulk(*args: str) -> str:
    """Run ``dedup bulk ARGS --quiet`` in-process; fail the test on a non-zero exit."""
    result = CliRunner().invoke(main, ["bulk", *args, "--quiet"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@contextmanager
def spark_conf(spark: Any, settings: dict[str, str]) -> Iterator[None]:
    """Change runtime SQL settings of the shared session for one test."""
    before = {key: spark.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 generated news documents (30 % reprints) as JSONL."""
    return write_news(tmp_path_factory.mktemp("news") / "news.jsonl", 3000, seed=5)


@pytest.fixture(scope="module")
def local_out(news: Path) -> Path:
    """The local engine's outputs for the news corpus."""
    out = news.parent / "local"
    bulk(str(news), "--out", str(out), "--engine", "local")
    return out


@pytest.fixture(scope="module")
def spark_out(spark: Any, news: Path) -> Path:
    """The Spark engine's outputs for the news corpus."""
    out = news.parent / "spark"
    bulk(str(news), "--out", str(out), "--engine", "spark", "--spark-master", "local[2]")
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """400 generated documents as JSONL, and the local engine's outputs for them."""
    path = write_news(tmp_path_factory.mktemp("small") / "small.jsonl", 400, seed=9)
    bulk(str(path), "--out", str(path.parent / "local"))
    return path, path.parent / "local"


def assert_same_files(expected: Path, actual: Path, names: tuple[str, ...] = COMPARED) -> None:
    """The named output files are byte-identical."""
    for name in names:
        assert (actual / name).read_bytes() == (expected / name).read_bytes(), name


def test_outputs_are_byte_identical_to_the_local_engine(local_out: Path, spark_out: Path) -> None:
    """clusters, pairs, deduped, boilerplate and samples files match the local engine's byte
    for byte."""
    clusters = read_jsonl(local_out / "clusters.jsonl")
    assert len(clusters) == 3000 and sum(not c["canonical"] for c in clusters) > 500
    assert_same_files(local_out, spark_out)


def test_samples_hold_the_texts_the_report_shows(local_out: Path, spark_out: Path) -> None:
    """samples.jsonl holds the original texts of the largest clusters' documents, as the local
    engine writes them (a Spark run used to leave it empty: a report without texts)."""
    samples = read_jsonl(spark_out / "samples.jsonl")
    texts = {r["id"]: r["text"] for r in read_jsonl(spark_out.parent / "news.jsonl")}
    assert len(samples) >= 100
    assert all(sample["text"] == texts[sample["id"]][:8000] for sample in samples)
    assert_same_files(local_out, spark_out, ("samples.jsonl",))


def test_summary_has_the_local_keys_and_counts(local_out: Path, spark_out: Path) -> None:
    """summary.json has the same keys and, timings and engine aside, the same values."""
    local = json.loads((local_out / "summary.json").read_text())
    spark = json.loads((spark_out / "summary.json").read_text())
    assert set(spark) == set(local)
    assert (local["engine"], spark["engine"]) == ("local", "spark")
    varying = {"seconds", "timings", "engine", "jobs"}
    assert {k: v for k, v in spark.items() if k not in varying} == {
        k: v for k, v in local.items() if k not in varying
    }
    assert set(spark["timings"]) >= {"session", "ingest", "candidates", "verify", "cluster"}


def test_excerpts_give_the_local_engines_outputs(spark: Any, tmp_path: Path) -> None:
    """--excerpts on Spark: the same whole-text pairs from shared sampled shingles, measures and
    clusters as locally, byte for byte, and the same counts in summary.json."""
    path = tmp_path / "news.jsonl"
    docs = (doc for doc, _ in news_corpus_labelled(2000, seed=7, fresh_bodies=True))
    with path.open("w", encoding="utf-8") as handle:
        for doc in docs:
            record = {"id": doc.id, "text": doc.text, "source": doc.source}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    local, spark_dir = tmp_path / "local", tmp_path / "spark"
    bulk(str(path), "--out", str(local), "--excerpts")
    bulk(str(path), "--out", str(spark_dir), "--excerpts", "--engine", "spark")
    assert_same_files(local, spark_dir)
    summaries = [json.loads((out / "summary.json").read_text()) for out in (local, spark_dir)]
    counted = [(s["passage_candidates"], s["alike_from_passage_candidates"]) for s in summaries]
    assert counted[0] == counted[1] and counted[0][1] > 0  # the sample found pairs LSH missed


def test_results_do_not_depend_on_partitioning(
    spark: Any, news: Path, local_out: Path, tmp_path: Path
) -> None:
    """Small input splits, another shuffle width and clustering in distributed rounds only
    change nothing."""
    from dedup.engines.spark import SparkOptions, run_spark_bulk, write_jsonl_outputs

    settings = {"spark.sql.files.maxPartitionBytes": "400000", "spark.sql.shuffle.partitions": "7"}
    with spark_conf(spark, settings):
        assert spark.read.text(str(news)).rdd.getNumPartitions() >= 20
        run = run_spark_bulk(spark, [str(news)], Config(), options=SparkOptions(local_finish=0))
        try:
            write_jsonl_outputs(run, str(tmp_path / "out"))
        finally:
            run.release()
    assert run.rounds >= 1
    assert_same_files(local_out, tmp_path / "out")


def test_gzip_input_gives_the_same_outputs(
    spark: Any, small: tuple[Path, Path], tmp_path: Path
) -> None:
    """A .jsonl.gz copy of the input gives the local engine's outputs for the plain file."""
    path, local = small
    packed = tmp_path / "small.jsonl.gz"
    with path.open("rb") as source, gzip.open(packed, "wb") as target:
        shutil.copyfileobj(source, target)
    bulk(str(packed), "--out", str(tmp_path / "out"), "--engine", "spark")
    assert_same_files(local, tmp_path / "out")


def test_parquet_input_gives_the_same_outputs(
    spark: Any, small: tuple[Path, Path], tmp_path: Path
) -> None:
    """The same documents as a Parquet directory of several files give the same outputs."""
    path, local = small
    records = read_jsonl(path)
    frame = spark.createDataFrame(
        [(r["id"], r["text"], r["source"], r.get("published")) for r in records],
        "id string, text string, source string, published string",
    )
    frame.write.parquet(str(tmp_path / "docs.parquet"))
    assert len(list((tmp_path / "docs.parquet").glob("part-*.parquet"))) >= 2
    bulk(str(tmp_path / "docs.parquet"), "--out", str(tmp_path / "out"), "--engine", "spark")
    names = ("clusters.jsonl", "pairs.jsonl", "boilerplate.jsonl", "samples.jsonl")
    assert_same_files(local, tmp_path / "out", names)
    # A Parquet row is no JSON record: its deduped.jsonl line is the document's fields.
    assert read_jsonl(tmp_path / "out" / "deduped.jsonl") == read_jsonl(local / "deduped.jsonl")


def test_deduped_records_keep_the_input_fields(spark: Any, tmp_path: Path) -> None:
    """JSON Lines records come back as read, fields of their own too, as the local engine gives."""
    story = " ".join(f"word{k}" for k in range(60))
    lines = [
        b'{"doc_id": "a", "body": "%s", "url": "http://x/a", '
        b'"published": "2024-01-02T10:00:00+02:00"}' % story.encode(),
        b'{"doc_id": "b", "body": "%s", "url": "http://x/b"}' % story.encode(),
        b'{"doc_id": 3, "body": "another text, not like the first one", "lang": "en"}',
    ]
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    fields = ("--id-field", "doc_id", "--text-field", "body")
    bulk(str(path), "--out", str(tmp_path / "out"), "--engine", "spark", *fields)
    deduped = (tmp_path / "out" / "deduped.jsonl").read_bytes()
    assert deduped == lines[0] + b"\n" + lines[2] + b"\n"


def test_parquet_output_holds_the_jsonl_records(
    spark: Any, small: tuple[Path, Path], tmp_path: Path
) -> None:
    """--format parquet writes clusters, pairs and deduped in input order with the same fields."""
    from pyspark.sql import functions as F

    path, local = small
    out = tmp_path / "out"
    bulk(str(path), "--out", str(out), "--engine", "spark", "--format", "parquet")

    def rows(name: str) -> list[dict[str, Any]]:
        frame = spark.read.parquet(str(out / f"{name}.parquet"))
        ordered = frame.orderBy(F.col("_metadata.file_name"), F.col("_metadata.row_index"))
        return [r.asDict() for r in ordered.collect()]

    assert rows("clusters") == read_jsonl(local / "clusters.jsonl")
    pairs = rows("pairs")
    for pair in pairs:
        for key in ("jaccard", "containment_a_in_b", "containment_b_in_a"):
            pair[key] = round(pair[key], 6)
    assert pairs == read_jsonl(local / "pairs.jsonl")
    deduped = [{k: v for k, v in r.items() if v is not None} for r in rows("deduped")]
    assert deduped == read_jsonl(local / "deduped.jsonl")
    assert json.loads((out / "summary.json").read_text())["pairs"] == len(pairs)


def test_parquet_output_to_a_uri_goes_through_hadoop(
    spark: Any, small: tuple[Path, Path], tmp_path: Path
) -> None:
    """An --out URI is written through Hadoop's FileSystem, summary and marker included."""
    path, _ = small
    out = tmp_path / "remote"
    bulk(str(path), "--out", out.as_uri(), "--engine", "spark", "--format", "parquet")
    names = {p.name for p in out.iterdir()}
    assert {"clusters.parquet", "pairs.parquet", "deduped.parquet", "summary.json"} <= names
    assert ".dedup-output" in names and "boilerplate.jsonl" in names
    assert json.loads((out / "summary.json").read_text())["documents"] == 400


def test_the_spark_submit_entry_point_runs_bulk_on_spark(
    spark: Any, small: tuple[Path, Path], tmp_path: Path
) -> None:
    """python -m dedup.engines.spark takes the bulk command's arguments and runs on Spark."""
    from dedup.engines.spark.__main__ import main as entry

    path, local = small
    with pytest.raises(SystemExit) as exit_info:
        entry([str(path), "--out", str(tmp_path / "out"), "--quiet"])
    assert exit_info.value.code == 0
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["engine"] == "spark"
    assert_same_files(local, tmp_path / "out", ("clusters.jsonl",))
