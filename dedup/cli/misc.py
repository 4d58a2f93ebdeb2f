"""``dedup strip``, ``dedup curve`` and ``dedup serve``."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from itertools import islice
from typing import TYPE_CHECKING, Any

import click

from dedup.cli._app import (
    _errors_to_exit,
    _rereadable,
    build_config,
    collection_config,
    collection_config_options,
    config_options,
    main,
)
from dedup.lsh import s_curve

if TYPE_CHECKING:
    pass


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="The JSONL file to write, complete or not at all; - for standard output.",
)
@collection_config_options
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
@click.option(
    "--jobs",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Processes that learn the inputs' boilerplate; 0 = all cores.",
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
    jobs: int,
) -> None:
    """Learn boilerplate from INPUT... and write them to --out as JSONL without it.

    Each line is the input record, every field as given but the text (--text-field), which is
    stripped, and ``removed``: the ``[start, end]`` character spans of the original text that
    were cut. Documents that were not JSON records (.txt files, dump articles) get ``id``,
    ``text``, ``removed`` and their ``source`` and ``title``. A paragraph is only ever cut when its
    pattern recurs in other documents (of its source, when sources are known). With --db the
    patterns are those of a stored collection (`dedup bulk --db`, the service) and the inputs
    are only stripped, not learned."""
    from dedup.bulk.boilerplate import BoilerplateStage
    from dedup.bulk.records import output_line
    from dedup.collection import Collection
    from dedup.io import STDOUT_NAME, output_text_file, write_lines

    config = collection_config(db_path, config_path, threshold, ngram, num_perm)
    fields = {"id_field": id_field, "text_field": text_field, "source_field": source_field}
    with _rereadable(inputs, fields) as documents, ExitStack() as stack:
        if db_path is not None:
            stored = stack.enter_context(Collection.open(db_path, config, readonly=True))
            if len(stored) and not len(stored.boilerplate.store):
                click.echo(f"dedup: note: {db_path} {NO_MODEL}", err=True)
            stage = BoilerplateStage(stored.config, chrome=page_chrome, model=stored.boilerplate)
            count = sum(1 for _ in documents())
        else:
            stage = BoilerplateStage(config, chrome=page_chrome)
            count = stage.learn(documents(), jobs=jobs or len(os.sched_getaffinity(0)))

        def lines() -> Iterator[bytes]:
            docs = documents()
            while batch := list(islice(docs, 256)):  # judged together, from the learned entries
                for doc, stripped in zip(batch, stage.strip_many(batch), strict=True):
                    yield output_line(doc, stripped, text_field)

        with output_text_file(out_file) as handle:
            write_lines(handle, lines())
            patterns = len(stage.patterns())  # before the output is in place: it may fail
    shown = STDOUT_NAME if out_file == "-" else out_file
    click.echo(
        f"dedup: stripped {count} documents of {patterns} boilerplate pattern(s) -> {shown}",
        err=True,
    )


#: What ``strip --db`` says of a collection whose documents its boilerplate model does not
#: know (``bulk --db`` without ``--strip-boilerplate``): stripping nothing silently would look
#: like a corpus without boilerplate.
NO_MODEL = (
    "has documents but no boilerplate model (it was built without --strip-boilerplate): "
    "nothing recurs in it, so nothing is stripped"
)


@main.command()
@config_options
@_errors_to_exit
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
@click.option(
    "--reader-mode",
    type=click.Choice(["process", "thread"]),
    help="Readers compute in child processes or in threads here [process].",
)
@click.option(
    "--writer-mode",
    type=click.Choice(["process", "thread"]),
    help="The writer computes in a child process or in a thread here [process].",
)
@click.option(
    "--reader-nice",
    type=int,
    help="CPU priority reader processes give up, 0-19, for the writer's sake [5].",
)
@click.option("--queue-size", type=int, help="Jobs waiting per pool before 503 [64].")
@click.option("--bulk-window", type=int, help="Lines of one bulk request in flight [16].")
@click.option("--idle-timeout", type=float, help="Seconds to deliver a request's headers [15].")
@click.option("--body-timeout", type=float, help="Seconds to deliver a body / bulk chunk [30].")
@click.option("--shutdown-timeout", type=float, help="Seconds requests get on SIGTERM [30].")
@click.option(
    "--write-wait",
    type=float,
    help="Seconds a write waits while another process (dedup bulk --db) writes, then 503 [10].",
)
@click.option(
    "--read-only",
    is_flag=True,
    default=None,
    help="Serve checks, strips and lookups only (a snapshot, a replica): no writer; "
    "posts, deletes and bulk bodies answer 403.",
)
@collection_config_options
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
    (DEDUP_PORT=9000) and these flags. Fingerprint settings are the ones stored in the index,
    under those given (the ones that are part of its config id must match it)."""
    import asyncio
    import logging

    from service import load_settings
    from service import serve as run_service

    logging.basicConfig(level=logging.INFO, format="dedup: %(message)s", stream=sys.stderr)
    settings = load_settings(config_path, overrides=service_options)
    config = collection_config(settings.db, config_path, threshold, ngram, num_perm)
    asyncio.run(
        run_service(
            settings,
            config,
            on_ready=lambda url: click.echo(f"dedup: serving {settings.db} on {url}", err=True),
        )
    )


@main.command()
@click.argument("target", type=click.Path(dir_okay=False))
@click.option(
    "--db",
    "db_path",
    required=True,
    type=click.Path(dir_okay=False, exists=True),
    help="The collection file to copy; services and bulk loads may be writing it.",
)
@click.option("--no-check", is_flag=True, help="Do not read every page of the copy back.")
@_errors_to_exit
def backup(target: str, db_path: str, no_check: bool) -> None:
    """Copy the collection at --db to the new file TARGET, as of one commit.

    Unlike a copy of the file (which may catch a commit half-written, and misses those still
    in its -wal file), this goes through SQLite's backup API; writers go on meanwhile. The copy
    is checked page by page (PRAGMA quick_check) unless --no-check, and appears complete or
    not at all."""
    from dedup.collection import backup as copy

    made = copy(db_path, target, check=not no_check)
    checked = "" if no_check else ", every page checked"
    click.echo(
        f"dedup: backed up {made.documents} documents ({made.bytes / 1e6:,.1f} MB) to "
        f"{made.path} in {made.seconds:.1f} s{checked}",
        err=True,
    )
