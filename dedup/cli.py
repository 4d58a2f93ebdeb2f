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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import IO, TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from dedup.bulk.run import BulkResult
from dedup.config import Config
from dedup.errors import DedupError
from dedup.fingerprint import FingerprintBatch
from dedup.lsh import s_curve
from dedup.settings import load_config
from dedup.types import Document

if TYPE_CHECKING:
    from dedup.io import FieldNames

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


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
    "--strip-boilerplate",
    is_flag=True,
    help="Learn boilerplate from the corpus, keep it out of similarity, strip it in deduped.jsonl.",
)
@click.option(
    "--page-chrome",
    is_flag=True,
    help="With --strip-boilerplate, also cut known page-chrome lines ('Exit mobile version').",
)
@click.option(
    "--passages",
    is_flag=True,
    help="Attach shared passages to pairs and report pairs that share passages.",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="Also store every document in this SQLite collection (for `dedup serve`).",
)
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
@click.option("--report", "with_report", is_flag=True, help="Also write report.html into --out.")
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
    strip_boilerplate: bool,
    page_chrome: bool,
    passages: bool,
    db_path: str | None,
    engine: str,
    spark_master: str | None,
    out_format: str,
    with_report: bool,
    quiet: bool,
) -> None:
    """Deduplicate INPUT... (JSONL, .jsonl.gz, a directory of .txt files, an article dump,
    or - for JSONL on stdin) into clusters, pairs and a deduplicated corpus in --out.

    With --engine spark, INPUT... are JSONL or Parquet files or directories on any filesystem
    Spark reads (local, hdfs://, s3a://, ...), and --out may be such a URI with --format parquet.
    """
    from dedup.bulk import BulkOptions, run_bulk, write_outputs
    from dedup.bulk.boilerplate import BoilerplateStage
    from dedup.collection import Collection
    from dedup.io import FieldNames

    config = build_config(config_path, threshold, ngram, num_perm)
    if jobs < 0:
        raise click.BadParameter("must be 0 (all cores) or more", param_hint="--jobs")
    if engine == "spark":
        unsupported = [
            flag
            for flag, used in (
                ("--strip-boilerplate", strip_boilerplate),
                ("--passages", passages),
                ("--db", db_path is not None),
                ("--report", with_report),
            )
            if used
        ]
        if unsupported:
            raise click.UsageError(f"{', '.join(unsupported)}: not available with --engine spark")
        names = FieldNames(id=id_field, text=text_field, source=source_field)
        data = _bulk_on_spark(inputs, out_dir, config, names, spark_master, out_format)
        if not quiet:
            _print_summary(data, out_dir, out_format)
        return
    if spark_master is not None or out_format != "jsonl":
        option = "--spark-master" if spark_master is not None else "--format parquet"
        raise click.UsageError(f"{option} needs --engine spark")
    options = BulkOptions(jobs=jobs, passages=passages)
    fields = {"id_field": id_field, "text_field": text_field, "source_field": source_field}
    with _rereadable(inputs, fields) as documents, ExitStack() as stack:
        reporter = _Progress(enabled=not quiet)
        stage = BoilerplateStage(config, chrome=page_chrome) if strip_boilerplate else None
        learn_seconds = 0.0
        if stage is not None:
            started = time.perf_counter()
            stage.learn(_counted(documents(), reporter.stage("learn boilerplate")))
            learn_seconds = time.perf_counter() - started
        collection = stack.enter_context(Collection.open(db_path, config)) if db_path else None

        if stage is not None and collection is not None:
            stage.keep_spans = True

        def store(docs: list[Document], batch: FingerprintBatch) -> None:
            if collection is not None:
                spans = stage.take_spans(docs) if stage is not None else None
                collection.load(docs, list(batch), spans=spans)

        result = run_bulk(
            documents(),
            config,
            options,
            sink=store if collection is not None else None,
            progress=reporter.stage,
            transform=stage.content if stage else None,
            exclusions=stage.spans if stage else None,
        )
        if collection is not None and stage is not None:
            collection.load([], [], stage.model.store.entries())
        reporter.close()
        if stage is not None:
            result.timings["learn_boilerplate"] = learn_seconds
            result.timings["total"] += learn_seconds
        patterns = stage.patterns() if stage else []
        extra = {
            "engine": "local",
            "jobs": options.resolved_jobs(),
            "boilerplate_paragraphs": stage.removed if stage else 0,
            "boilerplate_patterns": len(patterns),
        }
        data = write_outputs(
            out_dir,
            result,
            documents(),
            boilerplate=patterns,
            extra_summary=extra,
            strip=stage.strip if stage else None,
        )
        if with_report:
            from dedup.report import write_report

            write_report(out_dir)
        if not quiet:
            _print_summary(data, out_dir, patterns=patterns)
            if with_report:
                click.echo(f"  report: {out_dir}/report.html", err=True)
            if passages:
                _print_passages(result, documents())


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False))
@config_options
@click.option("--id-field", default="id", show_default=True)
@click.option("--text-field", default="text", show_default=True)
@click.option("--source-field", default="source", show_default=True)
@click.option("--page-chrome", is_flag=True, help="Also cut known page-chrome lines.")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, exists=True),
    help="Judge boilerplate against this stored collection instead of learning the inputs.",
)
@_errors_to_exit
def strip(
    inputs: tuple[str, ...],
    out_file: str,
    config_path: str | None,
    threshold: float | None,
    ngram: int | None,
    num_perm: int | None,
    id_field: str,
    text_field: str,
    source_field: str,
    page_chrome: bool,
    db_path: str | None,
) -> None:
    """Learn boilerplate from INPUT... and write them to --out as JSONL without it.

    Each line is the input record with ``text`` stripped and ``removed``: the ``[start, end]``
    character spans of the original text that were cut. A paragraph is only ever cut when its
    pattern recurs in other documents (of its source, when sources are known). With --db the
    patterns are those of a stored collection (`dedup bulk --db`, the service) and the inputs
    are only stripped, not learned."""
    from dedup.bulk.boilerplate import BoilerplateStage
    from dedup.collection import Collection
    from dedup.io import atomic_text_file, write_jsonl

    config = build_config(config_path, threshold, ngram, num_perm)
    fields = {"id_field": id_field, "text_field": text_field, "source_field": source_field}
    with _rereadable(inputs, fields) as documents, ExitStack() as stack:
        if db_path is not None:
            stored = stack.enter_context(Collection.open(db_path, readonly=True))
            stage = BoilerplateStage(config, chrome=page_chrome, model=stored.boilerplate)
            count = sum(1 for _ in documents())
        else:
            stage = BoilerplateStage(config, chrome=page_chrome)
            count = stage.learn(documents())

        def records() -> Iterator[dict[str, Any]]:
            for doc in documents():
                stripped = stage.strip(doc)
                record: dict[str, Any] = {"id": doc.id, "text": stripped.text}
                record["removed"] = [list(span) for span in stripped.removed + stripped.chrome]
                for name in ("source", "published", "title"):
                    if (value := getattr(doc, name)) is not None:
                        record[name] = value
                yield record

        with atomic_text_file(out_file) as handle:
            write_jsonl(handle, records())
        patterns = len(stage.patterns())
    click.echo(
        f"dedup: stripped {count} documents of {patterns} boilerplate pattern(s) -> {out_file}",
        err=True,
    )


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


@main.command()
@click.option(
    "--db", help="SQLite index file, created if missing (the one `dedup bulk --db` fills)."
)
@click.option("--host", help="Address to listen on [127.0.0.1].")
@click.option("--port", type=int, help="Port to listen on; 0 picks a free one [8080].")
@click.option("--max-body-bytes", type=int, help="Largest request body or bulk line [2 MiB].")
@click.option("--max-text-chars", type=int, help="Longest document text [1,000,000].")
@click.option("--max-token-chars", type=int, help="Longest word in a text [10,000].")
@click.option("--max-json-depth", type=int, help="Deepest JSON nesting of a body [16].")
@click.option("--readers", type=int, help="Reader threads; 0 = one per core [0].")
@click.option("--queue-size", type=int, help="Jobs waiting per pool before 503 [64].")
@click.option("--bulk-window", type=int, help="Lines of one bulk request in flight [16].")
@click.option("--idle-timeout", type=float, help="Seconds to deliver a request's headers [15].")
@click.option("--body-timeout", type=float, help="Seconds to deliver a body / bulk chunk [30].")
@click.option("--shutdown-timeout", type=float, help="Seconds requests get on SIGTERM [30].")
@config_options
@_errors_to_exit
def serve(
    config_path: str | None,
    threshold: float | None,
    ngram: int | None,
    num_perm: int | None,
    **service_options: Any,
) -> None:
    """Serve the index in --db over HTTP until SIGTERM (see /openapi.json for the API).

    Service settings come from the [service] table of --config, DEDUP_<KEY> variables
    (DEDUP_PORT=9000) and these flags. Fingerprint settings are the ones stored in the index
    unless given (then they must match it)."""
    import asyncio
    import logging

    from service import load_settings
    from service import serve as run_service

    logging.basicConfig(level=logging.INFO, format="dedup: %(message)s", stream=sys.stderr)
    settings = load_settings(config_path, overrides=service_options)
    config = None
    if _config_given(config_path, threshold, ngram, num_perm):
        config = build_config(config_path, threshold, ngram, num_perm)
    asyncio.run(
        run_service(
            settings,
            config,
            on_ready=lambda url: click.echo(f"dedup: serving {settings.db} on {url}", err=True),
        )
    )


def _config_given(
    config_path: str | None, threshold: float | None, ngram: int | None, num_perm: int | None
) -> bool:
    """Whether any fingerprint setting is given at all (else an index keeps its stored ones)."""
    from dataclasses import fields

    from dedup.settings import from_env, read_toml

    if any(v is not None for v in (threshold, ngram, num_perm)) or from_env(os.environ):
        return True
    names = {f.name for f in fields(Config)}
    return config_path is not None and any(k in names for k in read_toml(config_path))


@contextmanager
def _rereadable(
    inputs: Sequence[str], fields: Mapping[str, str]
) -> Iterator[Callable[[], Iterator[Document]]]:
    """A function that reads the inputs from the start each time it is called.

    Jobs read their input more than once (learn, fingerprint, write); standard input is copied
    to a temporary file first so that it can be read again too.
    """
    from dedup.io import read_documents

    with ExitStack() as stack:
        stdin_copy = stack.enter_context(_stdin_spooled()) if "-" in inputs else None

        def documents() -> Iterator[Document]:
            with ExitStack() as files:
                stdin = files.enter_context(open(stdin_copy, "rb")) if stdin_copy else None
                yield from read_documents(list(inputs), stdin=stdin, **fields)

        yield documents


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


def _counted(items: Iterable[T], progress: Callable[[int], None]) -> Iterator[T]:
    """``items``, reporting the running count every 256."""
    count = 0
    for count, item in enumerate(items, 1):
        if count % 256 == 0:
            progress(count)
        yield item
    progress(count)


def _print_passages(result: BulkResult, documents: Iterable[Document], pairs: int = 5) -> None:
    """The pairs with the longest shared passages, passages side by side."""
    from dedup.verify import RELATIONS

    reuse = result.passages or []
    chosen = sorted(
        (k for k in range(len(reuse)) if reuse[k].passages), key=lambda k: -reuse[k].longest
    )[:pairs]
    if not chosen:
        click.echo("  no pairs share passages", err=True)
        return
    left_of = result.pairs.left.tolist()
    right_of = result.pairs.right.tolist()
    wanted = {left_of[k] for k in chosen} | {right_of[k] for k in chosen}
    texts = {i: doc.text for i, doc in enumerate(documents) if i in wanted}
    width = 60
    for k in chosen:
        a, b = left_of[k], right_of[k]
        click.echo(
            f"\n  {result.ids[a]} <-> {result.ids[b]}: {RELATIONS[int(result.pairs.relation[k])]}, "
            f"{len(reuse[k].passages)} passage(s) covering "
            f"{reuse[k].coverage_a:.0%} / {reuse[k].coverage_b:.0%}",
            err=True,
        )
        for passage in reuse[k].passages[:2]:
            left = _wrap(texts[a][passage.a[0] : passage.a[1]], width)
            right = _wrap(texts[b][passage.b[0] : passage.b[1]], width)
            spans = f"[{passage.a[0]}:{passage.a[1]}]"
            click.echo(f"    {spans:<{width}} | [{passage.b[0]}:{passage.b[1]}]", err=True)
            for i in range(max(len(left), len(right))):
                one = left[i] if i < len(left) else ""
                two = right[i] if i < len(right) else ""
                click.echo(f"    {one:<{width}} | {two}", err=True)


def _wrap(text: str, width: int, lines: int = 4) -> list[str]:
    import textwrap

    wrapped = textwrap.wrap(" ".join(text.split()), width)
    return wrapped[:lines] if len(wrapped) <= lines else [*wrapped[: lines - 1], "..."]


def _print_summary(
    data: dict[str, Any],
    out_dir: str,
    kind: str = "jsonl",
    patterns: Sequence[Mapping[str, Any]] = (),
) -> None:
    relations = ", ".join(f"{k} {v}" for k, v in data["relations"].items()) or "none"
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in data["timings"].items() if k != "total")
    lines = [
        f"dedup: {data['documents']} documents -> {data['clusters']} clusters "
        f"({data['duplicate_clusters']} with duplicates, largest {data['largest_cluster']})",
        f"  duplicates removed: {data['duplicates']}",
        f"  verified pairs: {data['pairs']} ({relations}) of {data['candidate_pairs']} candidates",
        f"  time: {data['seconds']:.2f}s ({timings}), {data['jobs']} job(s) on {data['engine']}",
        f"  config: {data['config_id']}",
        f"  outputs: {out_dir}/{{clusters,pairs,deduped}}.{kind}, "
        "boilerplate.jsonl, samples.jsonl, summary.json",
    ]
    if patterns:
        lines.append(
            f"  boilerplate: {len(patterns)} pattern(s), "
            f"{data['boilerplate_paragraphs']} paragraph(s) kept out of similarity:"
        )
        for pattern in patterns[:10]:
            text = " ".join(str(pattern["text"]).split())
            text = text if len(text) <= 70 else text[:67] + "..."
            lines.append(f"    [{len(pattern['documents'])} docs] {text}")
    click.echo("\n".join(lines), err=True)


# Registers report, eval and tune on `main`; last, because that module imports from this one.
from dedup import cli_report  # noqa: E402, F401

if __name__ == "__main__":  # pragma: no cover
    main()
