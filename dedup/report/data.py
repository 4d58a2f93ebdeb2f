"""What a report shows, read from a bulk run's output directory in bounded memory.

Every file is streamed once or twice, line by line: ``clusters.jsonl`` for the cluster sizes
and the chosen members (:mod:`dedup.report.selection`), ``pairs.jsonl`` for the similarity
histogram (all pairs, counted into fixed bins) and for the pairs of the shown documents,
``boilerplate.jsonl`` for the first patterns, and ``samples.jsonl`` (written by the bulk job)
or the original input for the shown texts. Memory grows with the number of clusters (one
counter each) and with the shown documents (bounded by :class:`Limits`), never with the texts
or the pairs of the corpus.

The files may have been damaged or edited by hand: a record is checked as it is read, for all
the page uses of it; a bad one is an :class:`InputError` at its file:line (:func:`_jsonl`).
"""

from __future__ import annotations

import json
import os
import reprlib
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from dedup.align import Aligner
from dedup.config import Config
from dedup.errors import InputError
from dedup.io import decode_line
from dedup.io._jsonl import decode_object
from dedup.report.highlight import Highlight
from dedup.report.selection import Limits, Selection, select
from dedup.report.views import ClusterView, DocView, Histogram, PairView
from dedup.types import Document

SAMPLES_FILE = "samples.jsonl"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RunData:
    """Everything a report page shows."""

    directory: str
    summary: dict[str, Any]
    config: Config
    limits: Limits
    histogram: Histogram
    selection: Selection
    clusters: tuple[ClusterView, ...]
    patterns: tuple[dict[str, Any], ...]
    total_patterns: int
    per_source: dict[str, tuple[int, int]]  # source -> (patterns, documents carrying them)
    passages: Literal["run", "report"]  # from pairs.jsonl, or aligned for the report
    texts: Literal["samples", "input", "none"]
    #: With texts from the input: how many of the shown documents it lacks (shown without
    #: text), so that a report made from the wrong corpus says so instead of looking complete.
    missing_texts: int = 0


def load_run(
    directory: str | os.PathLike[str],
    documents: Iterable[Document] | None = None,
    limits: Limits | None = None,
    *,
    input_name: str | None = None,
) -> RunData:
    """Read what the report needs from a bulk output ``directory``.

    Texts come from ``documents`` (the run's input, read again) when given, else from the
    run's ``samples.jsonl``; without either the clusters are listed without texts.
    ``input_name`` names what ``documents`` were read from, in the error below.

    Shown documents that ``documents`` lacks are shown without text and counted
    (:attr:`RunData.missing_texts`). If it holds none of them at all, that is an
    :class:`InputError`: the documents were given to show texts, and finding none means they
    are another corpus (or were read with another id field), not the run's input cut short;
    a page of its clusters without a single text would pass for a report of the run. So is
    a ``samples.jsonl`` holding none of them (the Spark engine once left it empty): the bulk
    job writes the shown documents' texts there, so a page without them would hide a run
    whose samples were lost, and the input is where the texts still are.
    """
    limits = limits or Limits()
    root = Path(directory)
    summary, config = _summary(root)
    selection = select(lambda: _cluster_records(root / "clusters.jsonl"), limits)
    shown = selection.documents()
    wanted_pairs = {
        frozenset((cluster, member))
        for cluster, _, members in selection.clusters
        for member in members[1:]
    }
    histogram = Histogram()
    pair_records: dict[frozenset[str], dict[str, Any]] = {}
    run_passages = False
    for key, jaccard, record in _jsonl(
        root / "pairs.jsonl", lambda r: _pair_record(r, wanted_pairs)
    ):
        histogram.add(jaccard, str(record.get("relation")))
        run_passages = run_passages or "passages" in record
        if key in wanted_pairs:
            pair_records[key] = record
    texts: Literal["samples", "input", "none"] = "none"
    missing = 0
    if documents is not None:
        views, texts = _from_documents(documents, shown, limits), "input"
        missing = len(shown) - len(views)
        if shown and not views:
            raise InputError(
                f"none of the {len(shown)} documents the report shows are in the documents "
                "given (another corpus, or ids read from another field than the run's)",
                input_name,
            )
    elif (root / SAMPLES_FILE).is_file():
        views, texts = _from_samples(root / SAMPLES_FILE, shown, limits), "samples"
        if shown and not views:
            raise InputError(
                f"holds none of the {len(shown)} documents the report shows (the run kept no "
                "texts for it); give the run's input with `dedup report DIR --input INPUT...`",
                str(root / SAMPLES_FILE),
            )
    else:
        views = {}
    aligner = None if run_passages else Aligner()
    clusters = tuple(
        ClusterView(
            cluster,
            size,
            views.get(cluster),
            tuple(
                _pair(
                    views.get(cluster),
                    member,
                    views.get(member),
                    pair_records.get(frozenset((cluster, member))),
                    aligner,
                )
                for member in members[1:]
            ),
        )
        for cluster, size, members in selection.clusters
    )
    patterns, per_source, total_patterns = _patterns(root / "boilerplate.jsonl", limits.patterns)
    return RunData(
        directory=os.fspath(directory),
        summary=summary,
        config=config,
        limits=limits,
        histogram=histogram,
        selection=selection,
        clusters=clusters,
        patterns=patterns,
        total_patterns=total_patterns,
        per_source=per_source,
        passages="run" if run_passages else "report",
        texts=texts,
        missing_texts=missing,
    )


def _pair(
    canonical: DocView | None,
    member_id: str,
    member: DocView | None,
    record: dict[str, Any] | None,
    aligner: Aligner | None,
) -> PairView:
    """The pair view, passages oriented canonical-side first."""
    if canonical is None or member is None:
        return PairView(member_id, member, record)
    marks: list[tuple[Highlight, Highlight]] = []
    if aligner is None:
        canonical_side = "a" if record is None or record["a"] == canonical.id else "b"
        member_side = "b" if canonical_side == "a" else "a"
        for p in (record or {}).get("passages", []):
            c, m = p[canonical_side], p[member_side]
            score = float(p.get("score", 0.0))
            marks.append(
                (Highlight(c[0], c[1], m[0], m[1], score), Highlight(m[0], m[1], c[0], c[1], score))
            )
    else:
        found = aligner.align(
            canonical.text, member.text, exclude_a=canonical.removed, exclude_b=member.removed
        )
        for p in found:
            marks.append(
                (
                    Highlight(p.a[0], p.a[1], p.b[0], p.b[1], p.score),
                    Highlight(p.b[0], p.b[1], p.a[0], p.a[1], p.score),
                )
            )
    return PairView(
        member_id,
        member,
        record,
        tuple(c for c, _ in marks),
        tuple(m for _, m in marks),
    )


def _summary(root: Path) -> tuple[dict[str, Any], Config]:
    path = root / "summary.json"
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise InputError("not a dedup output directory (no summary.json)", str(root)) from None
    except (OSError, ValueError, RecursionError) as exc:
        raise InputError(f"cannot read summary.json: {exc}", str(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        raise InputError("summary.json has no config", str(path))
    try:  # and what the page shows of it
        _field(data, "relations", _OBJECT, {})
        for stage, seconds in _field(data, "timings", _OBJECT, {}).items():
            _checked(seconds, _NUMBER, f"timing {stage!r}")
        return data, Config.from_stored(data["config"])
    except _DAMAGE as exc:  # ConfigError is a ValueError
        raise _damaged(exc, str(path)) from None


# What reading a record of a damaged or hand-edited file raises: a field missing, of the wrong
# type or out of range.
_DAMAGE = (KeyError, TypeError, ValueError, IndexError, OverflowError)


def _damaged(exc: Exception, path: str, line: int | None = None) -> InputError:
    """``exc``, one of ``_DAMAGE``, as an :class:`InputError` at ``path:line``."""
    return InputError(f"missing field {exc}" if isinstance(exc, KeyError) else str(exc), path, line)


def _jsonl(path: Path, read: Callable[[dict[str, Any]], T]) -> Iterator[T]:
    """``read(record)`` for each record of one of the run's JSONL files (a missing file reads as
    empty). The one place their lines are read: a line that is no UTF-8 or no JSON object, or a
    record ``read`` refuses, stops the report at its file:line."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    name = str(path)
    with handle:
        for number, raw in enumerate(handle, 1):
            if raw.strip():
                record = decode_object(decode_line(raw, name, number), name, number)
                try:
                    value = read(record)
                except _DAMAGE as exc:
                    raise _damaged(exc, name, number) from None
                yield value


def _cluster_records(path: Path) -> Iterator[tuple[str, str]]:
    if not path.is_file():
        raise InputError("not a dedup output directory (no clusters.jsonl)", str(path.parent))
    return _jsonl(path, lambda record: (str(record["id"]), str(record["cluster"])))


def _pair_record(
    record: dict[str, Any], wanted: set[frozenset[str]]
) -> tuple[frozenset[str], float, dict[str, Any]]:
    """A pair's key, Jaccard and record; a shown pair's numbers and passages checked too."""
    jaccard = float(_field(record, "jaccard", _NUMBER))
    key = frozenset((str(record["a"]), str(record["b"])))
    if key in wanted:
        names = ["containment_a_in_b", "containment_b_in_a"]
        for name in names + (["coverage_a", "coverage_b"] if "coverage_a" in record else []):
            _field(record, name, _NUMBER)
        for passage in _field(record, "passages", _LIST, []):
            _checked(passage, _OBJECT, "a passage")
            _field(passage, "a", _SPAN)
            _field(passage, "b", _SPAN)
            _field(passage, "score", _NUMBER, 0.0)
    return key, jaccard, record


def _from_samples(path: Path, wanted: set[str], limits: Limits) -> dict[str, DocView]:
    views = _jsonl(path, lambda record: _sample(record, wanted, limits.text_chars))
    return {view.id: view for view in views if view is not None}


def _sample(record: dict[str, Any], wanted: set[str], text_chars: int) -> DocView | None:
    doc_id = str(record["id"])
    if doc_id not in wanted:
        return None
    text: str = _field(record, "text", _STRING)
    spans = _field(record, "removed", _LIST, [])
    return DocView(
        doc_id,
        text[:text_chars],
        _field(record, "length", _COUNT, len(text)),
        _field(record, "source", _OPTIONAL_STRING, None),
        _field(record, "published", _OPTIONAL_STRING, None),
        _field(record, "title", _OPTIONAL_STRING, None),
        tuple((s, e) for s, e in (_checked(x, _SPAN, "a 'removed' span") for x in spans)),
    )


def _from_documents(
    documents: Iterable[Document], wanted: set[str], limits: Limits
) -> dict[str, DocView]:
    views: dict[str, DocView] = {}
    for doc in documents:
        if doc.id in wanted:
            views[doc.id] = DocView(
                doc.id,
                doc.text[: limits.text_chars],
                len(doc.text),
                doc.source,
                doc.published,
                doc.title,
            )
    return views


def _patterns(
    path: Path, limit: int
) -> tuple[tuple[dict[str, Any], ...], dict[str, tuple[int, int]], int]:
    """The first ``limit`` patterns (the file lists the most widespread first), the per-source
    totals over all patterns (patterns, documents carrying them) and how many patterns."""
    kept: list[dict[str, Any]] = []
    totals: dict[str, list[int]] = {}
    count = 0
    for record, sources in _jsonl(path, lambda r: (r, pattern_sources(r))):
        count += 1
        if len(kept) < limit:
            kept.append(record)
        for source, documents in sources.items():
            entry = totals.setdefault(source, [0, 0])
            entry[0] += 1
            entry[1] += documents
    per_source = {
        s: (v[0], v[1]) for s, v in sorted(totals.items(), key=lambda i: (-i[1][1], i[0]))
    }
    return tuple(kept), per_source, count


def pattern_sources(record: dict[str, Any]) -> dict[str, int]:
    """Documents carrying a pattern, per source: ``per_source`` as the bulk job writes it, or
    (older runs) each listed source with an unknown count, shown as 0. A ValueError if the
    record has no such counts, or its ``documents`` are no list."""
    _field(record, "documents", _LIST, [])
    counts = record.get("per_source")
    if isinstance(counts, dict):
        return {str(k): _checked(v, _COUNT, "a 'per_source' count") for k, v in counts.items()}
    return {str(source): 0 for source in _field(record, "sources", _LIST, [])}


# What a value must be, and the test of it (of a decoded JSON value: a bool is no int); a bad
# value raises ValueError, which _damaged locates.
Kind = tuple[str, Callable[[Any], bool]]
_NUMBER: Kind = "a number", lambda v: type(v) in (int, float) and abs(v) <= sys.float_info.max
_COUNT: Kind = "a whole number >= 0", lambda v: type(v) is int and v >= 0
_STRING: Kind = "a string", lambda v: isinstance(v, str)
_OPTIONAL_STRING: Kind = "a string or null", lambda v: v is None or isinstance(v, str)
_LIST: Kind = "a list", lambda v: isinstance(v, list)
_OBJECT: Kind = "an object", lambda v: isinstance(v, dict)
_SPAN: Kind = (
    "[start, end] with 0 <= start <= end",
    lambda v: type(v) is list and [*map(type, v)] == [int, int] and 0 <= v[0] <= v[1],
)


def _checked(value: Any, kind: Kind, what: str) -> Any:
    """``value``, if it is of ``kind``."""
    if not kind[1](value):
        raise ValueError(f"{what} must be {kind[0]}, got {reprlib.repr(value)}")
    return value


def _field(record: dict[str, Any], name: str, kind: Kind, default: Any = ...) -> Any:
    """``record[name]`` (``default`` when absent; required without one), if of ``kind``."""
    value = record[name] if default is ... else record.get(name, default)
    return _checked(value, kind, f"field {name!r}")
