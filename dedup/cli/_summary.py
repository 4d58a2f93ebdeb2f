"""What ``dedup bulk`` prints on stderr once its outputs are written: the summary, read from
the run's ``summary.json`` content (so the two never disagree), and with ``--passages`` the
pairs sharing the longest passages side by side."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from dedup.bulk.run import BulkResult
    from dedup.types import Document

#: The relation of the pairs found by passages rather than by whole-text similarity.
SHARES_PASSAGES = "shares_passages"


def summary_lines(
    data: Mapping[str, Any],
    out_dir: str,
    kind: str = "jsonl",
    patterns: Sequence[Mapping[str, Any]] = (),
) -> list[str]:
    """The summary of a run whose ``summary.json`` holds ``data``.

    The pairs of a ``--passages`` (or ``--excerpts``) run come from two sets of candidates:
    the LSH candidates
    (``candidate_pairs``), which give whole-text pairs (duplicate, near-duplicate,
    containment), and the pairs sampled shingles propose beyond them (``passage_candidates``),
    which give whole-text pairs LSH missed (``alike_from_passage_candidates``) and the
    ``shares_passages`` pairs. Each count is given with its own candidates: all pairs "of"
    the LSH candidates would read as more pairs verified than there were candidates.
    """
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in data["timings"].items() if k != "total")
    lines = [
        f"dedup: {data['documents']} documents -> {data['clusters']} clusters "
        f"({data['duplicate_clusters']} with duplicates, largest {data['largest_cluster']})",
        f"  duplicates removed: {data['duplicates']}",
    ]
    if data.get("empty_texts"):
        lines.append(
            f"  empty texts: {data['empty_texts']} (no words: kept, each a cluster of its own)"
        )
    relations: Mapping[str, int] = data["relations"]
    whole = {k: v for k, v in relations.items() if k != SHARES_PASSAGES}
    named = ", ".join(f"{k} {v}" for k, v in whole.items()) or "none"
    passage_candidates = data.get("passage_candidates")
    if passage_candidates is None:  # no passages looked for: every pair is a whole-text one
        lines.append(
            f"  verified pairs: {data['pairs']} ({named}) of {data['candidate_pairs']} candidates"
        )
    else:
        found = int(data.get("alike_from_passage_candidates") or 0)
        alike = sum(whole.values())
        lines += [
            f"  verified pairs: {data['pairs']}",
            f"    texts alike: {alike} ({named}): {alike - found} of {data['candidate_pairs']} "
            f"candidates, {found} of {passage_candidates} from shared sampled shingles",
        ]
        if data.get("passages", True):  # not with --excerpts alone (older runs: --passages)
            lines.append(
                f"    sharing passages: {relations.get(SHARES_PASSAGES, 0)} of the other "
                f"{passage_candidates - found}"
            )
    lines += [
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
    return lines


def print_summary(
    data: Mapping[str, Any],
    out_dir: str,
    kind: str = "jsonl",
    patterns: Sequence[Mapping[str, Any]] = (),
) -> None:
    """:func:`summary_lines` on stderr."""
    click.echo("\n".join(summary_lines(data, out_dir, kind, patterns)), err=True)


def print_passages(result: BulkResult, documents: Iterable[Document], pairs: int = 5) -> None:
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
    wrapped = textwrap.wrap(" ".join(text.split()), width)
    return wrapped[:lines] if len(wrapped) <= lines else [*wrapped[: lines - 1], "..."]
