"""The ``dedup`` command line: a thin layer over the library.

Each command builds library objects, calls them, and turns :class:`dedup.DedupError` into a
one-line ``dedup: error: ...`` message on stderr with exit code 2 (click's own usage errors
use 2 as well). Results go to files or stdout; progress and summaries go to stderr.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import IO, TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from dedup.config import Config
from dedup.errors import DedupError
from dedup.lsh import s_curve
from dedup.settings import load_config

if TYPE_CHECKING:
    from dedup.io import FieldNames

P = ParamSpec("P")
R = TypeVar("R")


def _errors_to_exit(func: Callable[P, R]) -> Callable[P, R]:
    """Library errors become one line on stderr and exit code 2; nothing else is swallowed."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DedupError as exc:
            click.echo(f"dedup: error: {exc}", err=True)
            sys.exit(2)

    return wrapper


def config_options(func: Callable[P, R]) -> Callable[P, R]:
    """The settings every command shares: a TOML file and the common overrides."""
    decorators = [
        click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False),
            help="TOML file of settings (overridden by DEDUP_* variables, then by flags).",
        ),
        click.option("--threshold", type=float, help="Similarity a pair must reach [0.7]."),
        click.option("--ngram", type=int, help="Words per shingle [5]."),
        click.option("--num-perm", type=int, help="MinHash permutations [128]."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def build_config(
    config_path: str | None, threshold: float | None, ngram: int | None, num_perm: int | None
) -> Config:
    """The effective config of a command (file < environment < flags)."""
    return load_config(
        config_path, overrides={"threshold": threshold, "ngram": ngram, "num_perm": num_perm}
    )


@click.group()
@click.version_option(package_name="dedup")
def main() -> None:
    """Find near-duplicate articles, reused passages and boilerplate."""


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@config_options
@click.option(
    "--jobs", type=int, default=0, show_default=True, help="Threads; 0 = all cores (local engine)."
)
@click.option("--id-field", default="id", show_default=True)
@click.option("--text-field", default="text", show_default=True)
@click.option("--source-field", default="source", show_default=True)
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="Where the job runs; spark needs the 'spark' extra and Java 17+.",
)
@click.option(
    "--spark-master",
    metavar="URL",
    help="Spark master for --engine spark [from spark-submit, else local[*]].",
)
@click.option(
    "--format",
    "out_format",
    type=click.Choice(["jsonl", "parquet"]),
    default="jsonl",
    show_default=True,
    help="clusters/pairs/deduped as JSONL files or Parquet directories (--engine spark).",
)
@click.option("--quiet", is_flag=True, help="No progress or summary on stderr.")
@_errors_to_exit
def bulk(
    inputs: tuple[str, ...],
    out_dir: str,
    config_path: str | None,
    threshold: float | None,
    ngram: int | None,
    num_perm: int | None,
    jobs: int,
    id_field: str,
    text_field: str,
    source_field: str,
    engine: str,
    spark_master: str | None,
    out_format: str,
    quiet: bool,
) -> None:
    """Deduplicate INPUT... (JSONL, .jsonl.gz, a directory of .txt files, an article dump,
    or - for JSONL on stdin) into clusters, pairs and a deduplicated corpus in --out.

    With --engine spark, INPUT... are JSONL or Parquet files or directories on any filesystem
    Spark reads (local, hdfs://, s3a://, ...), and --out may be such a URI with --format parquet.
    """
    from dedup.bulk import BulkOptions, run_bulk, write_outputs
    from dedup.io import FieldNames, read_documents

    config = build_config(config_path, threshold, ngram, num_perm)
    if jobs < 0:
        raise click.BadParameter("must be 0 (all cores) or more", param_hint="--jobs")
    if engine == "spark":
        names = FieldNames(id=id_field, text=text_field, source=source_field)
        data = _bulk_on_spark(inputs, out_dir, config, names, spark_master, out_format)
        if not quiet:
            _print_summary(data, out_dir, out_format)
        return
    if spark_master is not None or out_format != "jsonl":
        option = "--spark-master" if spark_master is not None else "--format parquet"
        raise click.UsageError(f"{option} needs --engine spark")
    options = BulkOptions(jobs=jobs)
    fields = {"id_field": id_field, "text_field": text_field, "source_field": source_field}
    with ExitStack() as stack:
        stdin_copy = stack.enter_context(_stdin_spooled()) if "-" in inputs else None

        def documents() -> Iterator[Any]:
            stdin = open(stdin_copy, "rb") if stdin_copy else None  # noqa: SIM115
            try:
                yield from read_documents(list(inputs), stdin=stdin, **fields)
            finally:
                if stdin is not None:
                    stdin.close()

        reporter = _Progress(enabled=not quiet)
        result = run_bulk(documents(), config, options, progress=reporter.stage)
        reporter.close()
        extra = {"engine": "local", "jobs": options.resolved_jobs()}
        data = write_outputs(out_dir, result, documents(), extra_summary=extra)
    if not quiet:
        _print_summary(data, out_dir)


def _bulk_on_spark(
    inputs: tuple[str, ...],
    out_dir: str,
    config: Config,
    fields: FieldNames,
    master: str | None,
    out_format: str,
) -> dict[str, Any]:
    """The bulk command on Spark: same inputs' meaning where Spark can read them, same outputs."""
    from dedup.engines.spark import (
        bulk_session,
        require_spark,
        run_spark_bulk,
        write_jsonl_outputs,
        write_parquet_outputs,
    )

    if "-" in inputs:
        raise click.UsageError("--engine spark cannot read standard input ('-'); give file paths")
    require_spark()
    start = time.perf_counter()
    with bulk_session(master) as spark:
        session = time.perf_counter() - start
        run = run_spark_bulk(spark, inputs, config, fields)
        try:
            run.timings["session"] = round(session, 3)
            run.timings["total"] += session
            context = spark.sparkContext
            extra = {"engine": "spark", "jobs": context.defaultParallelism}
            write = write_parquet_outputs if out_format == "parquet" else write_jsonl_outputs
            return write(run, out_dir, extra)
        finally:
            run.release()


@main.command()
@config_options
def curve(
    config_path: str | None, threshold: float | None, ngram: int | None, num_perm: int | None
) -> None:
    """Print the LSH S-curve of the settings: how likely a pair becomes a candidate."""
    config = build_config(config_path, threshold, ngram, num_perm)
    click.echo(
        f"config {config.id}: {config.bands} bands x {config.rows} rows, "
        f"verify threshold {config.threshold}"
    )
    click.echo("jaccard  P(candidate)")
    for tenth in range(1, 11):
        s = tenth / 10
        click.echo(f"  {s:.1f}     {float(s_curve(s, config.bands, config.rows)):.4f}")


@contextmanager
def _stdin_spooled() -> Iterator[str]:
    """Standard input copied to a temporary file: the bulk job reads its input twice."""
    fd, path = tempfile.mkstemp(prefix="dedup-stdin-", suffix=".jsonl")
    try:
        with os.fdopen(fd, "wb") as handle:
            shutil.copyfileobj(sys.stdin.buffer, handle, 1 << 20)
        yield path
    finally:
        os.unlink(path)


class _Progress:
    """A progress bar on a terminal, a line every few seconds otherwise, nothing if quiet."""

    def __init__(self, enabled: bool, stream: IO[str] | None = None) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._bar: Any = None
        self._last = 0.0
        self._start = time.monotonic()

    def stage(self, name: str) -> Callable[[int], None]:
        self.close()
        self._start = time.monotonic()
        if self.enabled and self.tty:
            from tqdm import tqdm

            self._bar = tqdm(desc=name, unit=" docs", file=self.stream, smoothing=0.1)

        def update(done: int) -> None:
            if not self.enabled:
                return
            if self._bar is not None:
                self._bar.update(done - self._bar.n)
                return
            now = time.monotonic()
            if now - self._last >= 5.0:
                self._last = now
                rate = done / max(now - self._start, 1e-9)
                print(f"{name}: {done} documents ({rate:,.0f} docs/s)", file=self.stream)

        return update

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _print_summary(data: dict[str, Any], out_dir: str, kind: str = "jsonl") -> None:
    relations = ", ".join(f"{k} {v}" for k, v in data["relations"].items()) or "none"
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in data["timings"].items() if k != "total")
    lines = [
        f"dedup: {data['documents']} documents -> {data['clusters']} clusters "
        f"({data['duplicate_clusters']} with duplicates, largest {data['largest_cluster']})",
        f"  duplicates removed: {data['duplicates']}",
        f"  verified pairs: {data['pairs']} ({relations}) of {data['candidate_pairs']} candidates",
        f"  time: {data['seconds']:.2f}s ({timings}), {data['jobs']} job(s) on {data['engine']}",
        f"  config: {data['config_id']}",
        f"  outputs: {out_dir}/{{clusters,pairs,deduped}}.{kind}, boilerplate.jsonl, summary.json",
    ]
    click.echo("\n".join(lines), err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
