"""``dedup bulk``: the bulk job on the local engine or on Spark, and its terminal summary."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import click

from dedup.cli._app import (
    _counted,
    _errors_to_exit,
    _Progress,
    _rereadable,
    collection_config,
    collection_config_options,
    main,
)
from dedup.cli._summary import print_passages, print_summary
from dedup.config import Config
from dedup.types import Document

if TYPE_CHECKING:  # (the kernels these bring load only when a command runs)
    from dedup.fingerprint import FingerprintBatch
    from dedup.io import FieldNames, OutputDir


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@collection_config_options
@click.option(
    "--jobs",
    type=int,
    default=0,
    show_default=True,
    help="Workers; 0 = all cores (local engine: processes for .jsonl files, else threads).",
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
    help="Attach shared passages to pairs and report pairs that share passages (implies "
    "--excerpts).",
)
@click.option(
    "--excerpts",
    is_flag=True,
    help="Also find the short excerpts of long articles LSH misses: pairs sharing sampled "
    "shingles, measured whole, join the clusters.",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="Also store every document in this SQLite collection (for `dedup serve`).",
)
@click.option(
    "--commit-every",
    type=click.IntRange(min=1),
    metavar="N",
    help="With --db: commit every N documents (in steps of 4,096), so that a service on the "
    "file can write between commits; a failed run keeps what it committed [one commit].",
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
    excerpts: bool,
    db_path: str | None,
    commit_every: int | None,
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
    from dedup._malloc import keep_freed_memory
    from dedup.bulk import BulkOptions, run_bulk, write_outputs
    from dedup.bulk.boilerplate import BoilerplateStage
    from dedup.bulk.like_for_like import PairsAlike
    from dedup.bulk.procs import JsonlFiles
    from dedup.bulk.records import RecordSpool
    from dedup.fingerprint import Fingerprinter
    from dedup.io import FieldNames

    config = collection_config(db_path, config_path, threshold, ngram, num_perm)
    if jobs < 0:
        raise click.BadParameter("must be 0 (all cores) or more", param_hint="--jobs")
    if out_dir == "-":  # elsewhere standard output, which cannot hold a directory of files
        raise click.BadParameter(
            "a run's outputs are a directory of files, not standard output; name a directory",
            param_hint="--out",
        )
    if commit_every is not None and db_path is None:
        raise click.UsageError("--commit-every needs --db")
    if page_chrome and not strip_boilerplate:
        raise click.UsageError("--page-chrome needs --strip-boilerplate")
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
        data = _bulk_on_spark(
            inputs, out_dir, config, names, spark_master, out_format, excerpts=excerpts
        )
        if not quiet:
            print_summary(data, out_dir, out_format)
        return
    if spark_master is not None or out_format != "jsonl":
        option = "--spark-master" if spark_master is not None else "--format parquet"
        raise click.UsageError(f"{option} needs --engine spark")
    keep_freed_memory()  # see dedup._malloc: 12 % less CPU at --jobs 1, same peak RSS
    options = BulkOptions(jobs=jobs, passages=passages, excerpts=excerpts)
    fields = {"id_field": id_field, "text_field": text_field, "source_field": source_field}
    field_names = FieldNames(id=id_field, text=text_field, source=source_field)
    with _rereadable(inputs, fields) as documents, ExitStack() as stack:
        reporter = _Progress(enabled=not quiet)
        stage = BoilerplateStage(config, chrome=page_chrome) if strip_boilerplate else None
        learn_seconds = 0.0
        if stage is not None:
            started = time.perf_counter()
            progress = reporter.stage("learn boilerplate")
            stage.learn(_counted(documents(), progress), jobs=options.resolved_jobs())
            learn_seconds = time.perf_counter() - started
        elif commit_every is not None:
            # Committing as it goes, a bad line must stop the run before its first commit, as
            # one transaction would (nothing half-written): every input is read once first,
            # as learning boilerplate does (1.2 s for 100,000 news articles, by hand).
            for _ in documents():
                pass
        collection = None
        if db_path:  # imported only when needed: sqlite-utils adds a tenth of a second
            from dedup.collection import Collection

            if not os.path.exists(db_path):  # made by this run: a failed one leaves none
                stack.push(_dropped_if_empty(db_path))
            collection = stack.enter_context(Collection.open(db_path, config))
        # One loading session for the whole run, ended (committed) right after it: one
        # transaction (or one per --commit-every documents), postings inserted in order at the
        # end (Collection.load per batch took 301 s for 100,000 documents, 60.7 s so). Entered
        # after the collection: unwound first.
        session = stack.enter_context(ExitStack())
        loader = None
        if collection is not None:
            loader = session.enter_context(collection.loading(commit_every))

        # Without stripping, deduped.jsonl is copied from records kept during ingest instead of
        # a second parse of the input (dedup.bulk.records).
        records = (
            None
            if stage is not None
            else stack.enter_context(RecordSpool(options.spool_dir, field_names))
        )

        alike = PairsAlike(stage, documents.selected, Fingerprinter(config)) if stage else None

        def store(docs: list[Document], batch: FingerprintBatch) -> None:
            if loader is not None:
                spans = [stage.spans(d) for d in docs] if stage is not None else None
                loader.add(docs, list(batch), spans=spans)

        result = run_bulk(
            documents(),
            config,
            options,
            sink=store if loader is not None else None,
            progress=reporter.stage,
            transform=stage.content if stage else None,
            exclusions=stage.spans if stage else None,
            records=records,
            alike=alike,
            # Plain JSON Lines files can be ingested by worker processes (dedup.bulk.procs).
            files=None if "-" in inputs else JsonlFiles.of(inputs, field_names),
        )
        if loader is not None and stage is not None:
            loader.add_boilerplate(stage.model.store.entries())
        if loader is not None:  # as clusters.jsonl, whatever the input order
            loader.place_as_run(result.ids, [result.ids[c] for c in result.canon.tolist()])
        if loader is not None:  # the whole-text pairs LSH missed place documents too
            # Looked for (--excerpts, --passages): those with documents stored before as well.
            loader.join_clusters(result.alike_ids(), stored=result.alike is not None)
        if loader is not None and alike is not None:  # and those related like for like only
            loader.join_verified(alike.joins(result.ids))
        if loader is not None:  # and with documents stored before the run, as posts would be
            loader.join_stored_alike()
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
            "passages": passages,
        }
        if records is not None:
            records.seal()

        def finish(out: OutputDir) -> None:
            """Once the outputs are written, before they take --out's place: the report of
            them, then the collection's commit (its postings written first). A run that fails
            up to here leaves --out and the collection as they were."""
            if with_report:
                from dedup.report import REPORT_FILE, load_run, render_report

                # Read where the outputs are staged, named where they are going.
                data = replace(load_run(out.staging), directory=os.fspath(out_dir))
                page = render_report(data)
                with out.open(REPORT_FILE) as handle:
                    handle.write(page)
            session.close()

        data = write_outputs(
            out_dir,
            result,
            documents.selected,
            boilerplate=patterns,
            extra_summary=extra,
            strip=stage.strip if stage else None,
            records=records,
            text_field=text_field,
            jobs=options.resolved_jobs(),
            before_commit=finish,
        )
        if not quiet:
            print_summary(data, out_dir, patterns=patterns)
            if with_report:
                click.echo(f"  report: {out_dir}/report.html", err=True)
            if passages:
                print_passages(result, documents())


def _dropped_if_empty(path: str) -> Callable[..., None]:
    """An exit callback that removes the collection file ``path`` (with its WAL files), made by
    this run, if the run fails with nothing committed in it: bad input would otherwise leave a
    new, empty file behind, its config fixed. A file holding committed steps of a
    ``--commit-every`` run is kept: running it again completes it."""

    def drop(kind: type[BaseException] | None, *_: object) -> None:
        from dedup.collection import Collection
        from dedup.errors import DedupError

        if kind is None or not os.path.exists(path):
            return
        try:
            with Collection.open(path, readonly=True) as made:
                stored = len(made)
        except DedupError:  # not one this run could make sense of: left as it is
            return
        if stored == 0:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path + suffix)

    return drop


def _bulk_on_spark(
    inputs: tuple[str, ...],
    out_dir: str,
    config: Config,
    fields: FieldNames,
    master: str | None,
    out_format: str,
    *,
    excerpts: bool = False,
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
        run = run_spark_bulk(spark, inputs, config, fields, excerpts=excerpts)
        try:
            run.timings["session"] = round(session, 3)
            run.timings["total"] += session
            context = spark.sparkContext
            extra = {"engine": "spark", "jobs": context.defaultParallelism, "passages": False}
            write = write_parquet_outputs if out_format == "parquet" else write_jsonl_outputs
            return write(run, out_dir, extra)
        finally:
            run.release()
