"""The files a bulk run leaves in its output directory.

All six are written through :class:`dedup.io.OutputDir`, so a run that fails (or is killed)
leaves the directory as it was. Everything but the timings in ``summary.json`` is a pure
function of the input and the config: byte-identical whatever ``--jobs`` is.

* ``clusters.jsonl`` - one line per input document, in input order:
  ``{"id", "cluster", "canonical"}``; ``cluster`` is the id of the cluster's canonical
  document and ``canonical`` says whether this document is it.
* ``pairs.jsonl`` - verified pairs, ``a`` before ``b`` in input order:
  ``{"a", "b", "jaccard", "containment_a_in_b", "containment_b_in_a", "relation"}``.
* ``deduped.jsonl`` - the canonical documents, in input order, as read: the input's own
  records where they were JSON (see :mod:`dedup.bulk.records`).
* ``boilerplate.jsonl`` - learned boilerplate, ``{"text", "documents", "sources",
  "per_source"}`` (``per_source``: how many of ``documents`` come from each source).
* ``samples.jsonl`` - the original texts (cut at 8,000 characters) of the documents the report
  shows: ``{"id", "cluster", "text", "length", ...}`` (see :mod:`dedup.bulk.samples`).
* ``summary.json`` - counts, per-stage timings and the config. ``candidate_pairs`` are the LSH
  candidates of the whole-text relations. A ``--passages`` run also has ``passage_candidates``
  (``null`` without passages), the pairs shared sampled shingles propose beyond those verified:
  ``alike_from_passage_candidates`` of them reach a whole-text relation and join the clusters,
  and the ``shares_passages`` pairs are found among the rest, so each count of pairs has its
  own candidates.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, TextIO

import numpy as np

from dedup.boilerplate import Stripped
from dedup.bulk.candidates import CandidateStats
from dedup.bulk.records import RecordSpool, output_line
from dedup.bulk.run import BulkResult
from dedup.bulk.samples import ReportSamples
from dedup.config import Config
from dedup.errors import InputError
from dedup.io import OutputDir, Plain, write_documents, write_jsonl, write_lines
from dedup.types import Document
from dedup.verify import RELATIONS

_DIGITS = 6  # similarity figures are rounded so that outputs are stable and readable


def cluster_records(result: BulkResult) -> Iterable[dict[str, Plain]]:
    """``clusters.jsonl`` lines (no floats: written with :func:`dedup.io.write_documents`)."""
    ids = result.ids
    for i, c in enumerate(result.canon.tolist()):
        yield {"id": ids[i], "cluster": ids[c], "canonical": c == i}


def pair_records(result: BulkResult) -> Iterable[dict[str, Any]]:
    """``pairs.jsonl`` lines; with passages, each also carries its shared passages."""
    p = result.pairs
    ids = result.ids
    for k in range(len(p)):
        relation = RELATIONS[int(p.relation[k])]
        record: dict[str, Any] = {
            "a": ids[int(p.left[k])],
            "b": ids[int(p.right[k])],
            "jaccard": round(float(p.jaccard[k]), _DIGITS),
            "containment_a_in_b": round(float(p.a_in_b[k]), _DIGITS),
            "containment_b_in_a": round(float(p.b_in_a[k]), _DIGITS),
            "relation": None if relation is None else relation.value,
        }
        if result.passages is not None:
            reuse = result.passages[k]
            record["coverage_a"] = round(reuse.coverage_a, 4)
            record["coverage_b"] = round(reuse.coverage_b, 4)
            record["passages"] = [passage.to_dict() for passage in reuse.passages]
        yield record


def write_pairs(handle: TextIO, result: BulkResult) -> int:
    """Write ``pairs.jsonl``: the lines ``write_jsonl(handle, pair_records(result))`` writes.

    Without passages each line is formatted directly, the ids JSON-encoded once each and the
    floats by ``repr`` (what :func:`json.dumps` writes for them): a run's pairs came to a third
    of its output time through dicts and ``json.dumps``. A test holds the two ways
    byte-identical.
    """
    if result.passages is not None:
        return write_jsonl(handle, pair_records(result))
    p = result.pairs
    measures = (p.jaccard, p.a_in_b, p.b_in_a)
    if not all(np.isfinite(m).all() for m in measures):
        raise ValueError("a pair similarity is not a finite number")
    ids = result.ids
    names: dict[int, str] = {}

    def name(position: int) -> str:
        found = names.get(position)
        if found is None:
            found = names[position] = json.dumps(ids[position], ensure_ascii=False)
        return found

    relations = [
        "null" if relation is None else json.dumps(relation.value) for relation in RELATIONS
    ]
    lines = (
        f'{{"a":{name(a)},"b":{name(b)},"jaccard":{round(j, _DIGITS)!r},'
        f'"containment_a_in_b":{round(x, _DIGITS)!r},"containment_b_in_a":{round(y, _DIGITS)!r},'
        f'"relation":{relations[r]}}}\n'
        for a, b, j, x, y, r in zip(
            p.left.tolist(),
            p.right.tolist(),
            p.jaccard.tolist(),
            p.a_in_b.tolist(),
            p.b_in_a.tolist(),
            p.relation.tolist(),
            strict=True,
        )
    )
    count = 0
    for line in lines:
        handle.write(line)
        count += 1
    return count


#: Reads the input again: ``(position, document)`` for the positions a boolean mask marks.
Reread = Callable[[np.ndarray], Iterable[tuple[int, Document]]]


def deduped_records(
    result: BulkResult,
    documents: Iterable[tuple[int, Document]],
    strip: Callable[[Document], Stripped] | None = None,
    text_field: str = "text",
) -> Iterable[bytes]:
    """``deduped.jsonl`` lines from a second read of the input (texts are not kept in memory).

    ``documents`` are ``(position, document)`` pairs in input order, the canonical ones among
    them. Each line is :func:`~dedup.bulk.records.output_line`'s: with ``strip``, the value of
    ``text_field`` is the stripped text and ``removed`` lists the ``[start, end]`` spans of the
    original text that were cut.
    """
    canon = result.canon
    for position, doc in documents:
        if doc.id != result.ids[position]:
            raise InputError("the input changed while the job was running (document order differs)")
        if canon[position] == position:
            yield output_line(doc, None if strip is None else strip(doc), text_field)


@dataclass(frozen=True, slots=True)
class SummaryCounts:
    """The figures of ``summary.json`` that engines count in their own way."""

    documents: int
    clusters: int
    duplicate_clusters: int
    largest_cluster: int
    pairs: int
    relations: Mapping[str, int]  # relation name -> pairs
    candidates: CandidateStats
    empty_texts: int = 0  # documents whose text has no word (each its own cluster)
    passage_candidates: int | None = None  # None: passages were not looked for
    alike_from_passage_candidates: int | None = None

    @classmethod
    def of(cls, result: BulkResult) -> SummaryCounts:
        """The counts of an in-memory result."""
        relations = Counter(str(RELATIONS[code]) for code in result.pairs.relation.tolist())
        sizes = np.bincount(result.canon, minlength=len(result.ids)) if result.ids else np.zeros(0)
        return cls(
            documents=len(result.ids),
            clusters=result.clusters,
            duplicate_clusters=int(np.count_nonzero(sizes > 1)),
            largest_cluster=int(sizes.max()) if sizes.size else 0,
            pairs=len(result.pairs),
            relations=relations,
            candidates=result.candidates,
            empty_texts=result.empty_texts,
            passage_candidates=result.passage_candidates,
            alike_from_passage_candidates=result.alike_from_passage_candidates,
        )


def summary(result: BulkResult, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``summary.json`` content."""
    return summary_data(SummaryCounts.of(result), result.config, result.timings, extra)


def summary_data(
    counts: SummaryCounts,
    config: Config,
    timings: Mapping[str, float],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``summary.json`` content from counts: one layout whichever engine counted."""
    data: dict[str, Any] = {
        "documents": counts.documents,
        "clusters": counts.clusters,
        "duplicate_clusters": counts.duplicate_clusters,
        "largest_cluster": counts.largest_cluster,
        "duplicates": counts.documents - counts.clusters,
        "empty_texts": counts.empty_texts,
        "pairs": counts.pairs,
        "relations": dict(sorted(counts.relations.items())),
        "candidate_pairs": counts.candidates.pairs,
        "hot_buckets": counts.candidates.hot_buckets,
        "passage_candidates": counts.passage_candidates,
        "alike_from_passage_candidates": counts.alike_from_passage_candidates,
        "boilerplate_paragraphs": 0,
        "boilerplate_patterns": 0,
        "seconds": round(timings.get("total", 0.0), 3),
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "config_id": config.id,
        "config": config.to_dict(),
    }
    if extra:
        data.update(extra)
    return data


#: Whether :func:`write_outputs` may fork: Linux only, as for the ingest workers.
_CHILDREN = sys.platform.startswith("linux") and hasattr(os, "fork")


def _copy_and_sync(records: RecordSpool, canonical: np.ndarray, handle: TextIO) -> None:
    records.copy(canonical, handle.buffer)
    handle.buffer.flush()  # what the copy wrote by hand (os._exit flushes nothing)
    os.fsync(handle.fileno())


def _in_child(work: Callable[[], None]) -> Callable[[], None]:
    """Run ``work`` in a forked child process; returns the function that waits for it.

    Waiting raises :class:`OSError` with the child's error if it failed. This is for the
    system calls of ``deduped.jsonl`` (a copy of thousands of ranges, an ``fsync``): on a
    thread they waited for the GIL after every call while this thread formatted the other
    files, and took as long as in turn (no gain measured). A child process has an
    interpreter of its own: ``write_outputs`` of 100,000 documents takes 0.38-0.40 s with two
    jobs against 0.64-0.69 s with one (``python -m benchmarks.bulk_outputs``, two runs). The
    child is forked before anything else is done: forked after the report's samples were read,
    it took 0.42-0.48 s.

    The child shares this process's files, writes only through the descriptor it was
    given, and leaves with ``os._exit``: no cleanup, no buffered data of the parent's
    flushed twice. At this point the job runs no thread of its own (its pools are shut).
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 0
        try:
            os.close(read_end)
            work()
        except BaseException as exc:  # whatever it is, the parent reports it
            code = 1
            with contextlib.suppress(OSError):
                os.write(write_end, f"{exc}".encode("utf-8", "replace")[:4000])
        finally:
            os._exit(code)
    os.close(write_end)

    def wait() -> None:
        with open(read_end, "rb") as pipe:
            message = pipe.read().decode("utf-8", "replace")
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise OSError(message or f"writing deduped.jsonl failed (exit status {code})")

    return wait


def write_outputs(
    target: str,
    result: BulkResult,
    reread: Reread | None,
    boilerplate: Iterable[Mapping[str, Any]] = (),
    extra_summary: Mapping[str, Any] | None = None,
    strip: Callable[[Document], Stripped] | None = None,
    *,
    records: RecordSpool | None = None,
    text_field: str = "text",
    jobs: int = 1,
    before_commit: Callable[[OutputDir], None] | None = None,
) -> dict[str, Any]:
    """Write all six files into ``target`` atomically; returns the summary.

    ``before_commit`` runs once they are all written, before they take ``target``'s place: what
    it adds (a report of them) or does (a collection's commit) is part of the run, and its
    error fails the run as theirs would, leaving ``target`` as it was.

    ``deduped.jsonl`` is copied from ``records`` (every document's record, kept during
    ingest) when given and nothing is stripped; else it comes from ``reread`` (a second read
    of the input, asked for the canonical documents and those the report's ``samples.jsonl``
    shows; the Spark engine's reads them where the texts are). ``text_field`` names the text
    in the input's own records, which a stripped text replaces.

    With ``jobs > 1`` on Linux, the copy from ``records`` and its flush to disk run in a forked
    child process while this one formats the other files (see :func:`_in_child`).
    """
    canonical = result.canon == np.arange(result.canon.shape[0])
    with OutputDir(target) as out:
        deduped = out.open("deduped.jsonl")
        copying: Callable[[], None] | None = None
        try:
            spool = records if strip is None else None
            if spool is not None and jobs > 1 and _CHILDREN:
                # First thing: the copy and its sync are the longest part, and from here on
                # this process only reads the records (at offsets of its own).
                copying = _in_child(partial(_copy_and_sync, spool, canonical, deduped))
            samples = ReportSamples(result, boilerplate, strip)
            if spool is not None:
                for _ in samples.watch(spool.documents(samples.wanted(result.ids))):
                    pass
                if copying is None:
                    spool.copy(canonical, deduped.buffer)
            else:
                if reread is None:
                    raise ValueError("write_outputs needs records or reread")
                documents = samples.watch(reread(canonical | samples.wanted(result.ids)))
                write_lines(deduped, deduped_records(result, documents, strip, text_field))
            with out.open("clusters.jsonl") as handle:
                write_documents(handle, cluster_records(result))
            with out.open("pairs.jsonl") as handle:
                write_pairs(handle, result)
            with out.open("boilerplate.jsonl") as handle:
                write_jsonl(handle, samples.boilerplate_records())
            with out.open("samples.jsonl") as handle:
                write_jsonl(handle, samples.sample_records())
            data = summary(result, extra_summary)
            with out.open("summary.json") as handle:
                json.dump(data, handle, indent=2, ensure_ascii=False, allow_nan=False)
                handle.write("\n")
        except BaseException:
            if copying is not None:
                with contextlib.suppress(OSError):  # the first error is the one to report
                    copying()
            raise
        if copying is not None:
            copying()  # waits for the child, raises its error (before the commit)
        if before_commit is not None:
            before_commit(out)
    return data
