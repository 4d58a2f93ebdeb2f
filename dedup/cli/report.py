"""``dedup report``, ``dedup eval`` and ``dedup tune``: thin commands over the library.

Registered on :func:`dedup.cli.main` when :mod:`dedup.cli` is imported. Errors follow the rest
of the command line: ``dedup: error: ...``, exit code 2.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

import click

from dedup.cli._app import _errors_to_exit, _rereadable, build_config, config_options, main
from dedup.errors import ConfigError, InputError

if TYPE_CHECKING:
    from dedup.cli._app import Inputs
    from dedup.config import Config
    from dedup.evaluate import Labels

N = TypeVar("N", int, float)

_FIELD_OPTIONS = (
    click.option("--id-field", default="id", show_default=True),
    click.option("--text-field", default="text", show_default=True),
    click.option("--source-field", default="source", show_default=True),
)


#: eval's and tune's threads.
_JOBS = click.option(
    "--jobs",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Threads; 0 = all cores.",
)


def _field_options(func: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(_FIELD_OPTIONS):
        func = option(func)
    return func


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Where to write the page; - for standard output [DIRECTORY/report.html].",
)
@click.option(
    "--input",
    "inputs",
    multiple=True,
    help="The run's input (repeatable), read for the texts instead of the run's samples.jsonl.",
)
@click.option("--clusters", type=int, default=50, show_default=True, help="Clusters shown.")
@click.option("--members", type=int, default=4, show_default=True, help="Members per cluster.")
@click.option("--text-chars", type=int, default=8000, show_default=True, help="Text shown.")
@_field_options
@_errors_to_exit
def report(
    directory: str,
    out_file: str | None,
    inputs: tuple[str, ...],
    clusters: int,
    members: int,
    text_chars: int,
    id_field: str,
    text_field: str,
    source_field: str,
) -> None:
    """Write an HTML report of the bulk run in DIRECTORY: summary, similarity histogram with the
    S-curve, cluster sizes, the largest clusters side by side with shared passages highlighted,
    and the boilerplate learned. One self-contained file: no scripts, no network."""
    from dedup.io import STDOUT_NAME
    from dedup.report import Limits, load_run, save_report

    limits = Limits(clusters=clusters, members=members, text_chars=text_chars)
    fields = {"id_field": id_field, "text_field": text_field, "source_field": source_field}
    named = ", ".join(inputs)
    if inputs:
        with _rereadable(inputs, fields) as documents:
            data = load_run(directory, documents(), limits, input_name=named)
    else:
        data = load_run(directory, limits=limits)
    path = save_report(data, out_file)
    if data.missing_texts:
        shown = len(data.selection.documents())
        click.echo(
            f"dedup: warning: {data.missing_texts} of the {shown} documents the report shows "
            f"are not in --input {named}; their text is not shown",
            err=True,
        )
    click.echo(f"dedup: report -> {STDOUT_NAME if out_file == '-' else path}", err=True)


@main.command("eval")
@click.argument("inputs", nargs=-1, required=True)
@config_options
@click.option("--strip-boilerplate", is_flag=True, help="Fingerprint without boilerplate.")
@click.option(
    "--passages",
    is_flag=True,
    help="Look for passages as bulk --passages does (its sampled candidates join the clusters).",
)
@click.option(
    "--excerpts",
    is_flag=True,
    help="Propose pairs from shared sampled shingles as bulk --excerpts does.",
)
@_JOBS
@click.option("--cluster-field", default="cluster", show_default=True)
@click.option("--boilerplate-field", default="boilerplate", show_default=True)
@_field_options
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@_errors_to_exit
def evaluate_command(
    inputs: tuple[str, ...],
    config_path: str | None,
    threshold: float | None,
    ngram: int | None,
    num_perm: int | None,
    strip_boilerplate: bool,
    passages: bool,
    excerpts: bool,
    jobs: int,
    cluster_field: str,
    boilerplate_field: str,
    id_field: str,
    text_field: str,
    source_field: str,
    as_json: bool,
) -> None:
    """Run the pipeline on labelled JSONL (each record with a gold `cluster`, optionally gold
    `boilerplate` spans) and print pairwise precision/recall/F1, the Adjusted Rand Index and,
    with gold spans, character-level boilerplate precision/recall/F1."""
    from dedup.evaluate import evaluate
    from dedup.evaluate.text import format_evaluation

    config = build_config(config_path, threshold, ngram, num_perm)
    _check_files(inputs)
    fields = {"id_field": id_field, "text_field": text_field, "source_field": source_field}
    with _rereadable(inputs, fields) as documents:
        labels = _gold_labels(
            documents,
            id_field=id_field,
            cluster_field=cluster_field,
            boilerplate_field=boilerplate_field,
            text_field=text_field,
        )
        result = evaluate(
            documents,
            labels,
            config,
            strip_boilerplate=strip_boilerplate,
            jobs=jobs,
            passages=passages,
            excerpts=excerpts,
        )
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(format_evaluation(result))


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML settings.")
@click.option("--num-perm", type=int, help="MinHash permutations [128].")
@click.option(
    "--thresholds",
    default="0.4,0.45,0.5,0.55,0.6,0.65,0.7,0.75,0.8,0.85,0.9,0.95",
    show_default=True,
    help="Verify thresholds to try, comma-separated.",
)
@click.option("--ngrams", default="3,4,5", show_default=True, help="N-gram sizes to try.")
@click.option(
    "--min-precision",
    type=float,
    default=0.98,
    show_default=True,
    help="Recommend only settings with at least this pairwise precision.",
)
@click.option("--strip-boilerplate", is_flag=True, help="Fingerprint without boilerplate.")
@click.option(
    "--excerpts",
    is_flag=True,
    help="Propose pairs from shared sampled shingles in every run, as bulk --excerpts does.",
)
@_JOBS
@click.option("--cluster-field", default="cluster", show_default=True)
@_field_options
@click.option("--json", "as_json", is_flag=True, help="Print the sweep as JSON.")
@_errors_to_exit
def tune(
    inputs: tuple[str, ...],
    config_path: str | None,
    num_perm: int | None,
    thresholds: str,
    ngrams: str,
    min_precision: float,
    strip_boilerplate: bool,
    excerpts: bool,
    jobs: int,
    cluster_field: str,
    id_field: str,
    text_field: str,
    source_field: str,
    as_json: bool,
) -> None:
    """Sweep the threshold and n-gram size on labelled JSONL; print the precision/recall
    trade-off, the S-curve and the recommended settings (best F1 with precision >=
    --min-precision). Higher threshold and larger n-gram are stricter."""
    from dedup.evaluate import tune as run_tune
    from dedup.evaluate.text import format_tune

    base = build_config(config_path, None, None, num_perm)
    sweep_thresholds = _numbers(thresholds, float, "--thresholds")
    sweep_ngrams = _numbers(ngrams, int, "--ngrams")
    if not 0.0 <= min_precision <= 1.0:
        raise click.BadParameter("must be within 0 and 1", param_hint="--min-precision")
    _check_sweep(base, "threshold", sweep_thresholds, "--thresholds")
    _check_sweep(base, "ngram", sweep_ngrams, "--ngrams")
    _check_files(inputs)
    fields = {"id_field": id_field, "text_field": text_field, "source_field": source_field}
    with _rereadable(inputs, fields) as documents:
        labels = _gold_labels(
            documents, id_field=id_field, cluster_field=cluster_field, text_field=text_field
        )
        result = run_tune(
            documents,
            labels,
            base,
            thresholds=sweep_thresholds,
            ngrams=sweep_ngrams,
            min_precision=min_precision,
            strip_boilerplate=strip_boilerplate,
            jobs=jobs,
            excerpts=excerpts,
        )
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(format_tune(result))


def _numbers(text: str, kind: type[N], hint: str) -> list[N]:
    try:
        values = [kind(part) for part in text.split(",") if part.strip()]
    except ValueError:
        message = f"not a comma-separated list of numbers: {text!r}"
        raise click.BadParameter(message, param_hint=hint) from None
    if not values:
        raise click.BadParameter("give at least one value", param_hint=hint)
    return values


def _check_sweep(base: Config, setting: str, values: Sequence[float], hint: str) -> None:
    """Every value of a sweep is a valid setting, checked before any work; a bad one is a
    usage error of its option, as a value that is no number is (the config's own message)."""
    for value in values:
        try:
            base.replace(**{setting: value})
        except ConfigError as exc:
            raise click.BadParameter(str(exc), param_hint=hint) from None


def _gold_labels(documents: Inputs, **fields: str) -> Labels:
    """The gold labels of the job's inputs, read through the copies their documents are read
    again from (an input that can be read only once is read once)."""
    from dedup.evaluate import read_labels

    with documents.opened() as streams:
        return read_labels(documents.inputs, streams=streams, **fields)


def _check_files(inputs: Sequence[str]) -> None:
    """Labels are read from files: stdin cannot be read twice by two readers."""
    if "-" in inputs:
        raise InputError("labelled input must be files (stdin cannot be read for the labels)")
