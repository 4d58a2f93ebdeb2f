"""The report page: one self-contained HTML file, no scripts, no external resources.

The page carries a Content-Security-Policy that forbids every fetch and every script
(``default-src 'none'``; only inline styles), so even a mistake in escaping could not run code
or call out; escaping itself is guaranteed by :mod:`dedup.report.markup`. Sections (each a
``<section id=...>``): ``summary`` (counts, timings, config), ``similarity`` (histogram with the
threshold and the S-curve), ``sizes`` (cluster-size distribution), ``clusters`` (the largest
clusters, members beside their canonical, shared passages highlighted) and ``boilerplate``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import metadata
from typing import Any

from dedup.report.charts import COLORS, similarity_chart, size_bins, size_chart
from dedup.report.data import RunData, pattern_sources
from dedup.report.highlight import render_text
from dedup.report.markup import AttrValue, Child, Markup, el
from dedup.report.views import ClusterView, DocView, PairView

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"
OPEN_CLUSTERS = 5  # the first clusters are expanded, the rest collapsed
PATTERN_CHARS = 400
_NO_BOILERPLATE = (
    "No boilerplate learned (the run was made without --strip-boilerplate, or nothing recurred)."
)

STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;
background:#fafafa}
header.top{background:#1b4f72;color:#fff;padding:1rem 2rem}header.top h1{margin:0;font-size:1.4rem}
nav a{color:#d6eaf8;margin-right:1rem}main{padding:0 2rem 3rem;max-width:1400px}
section{margin-top:2rem}h2{border-bottom:2px solid #1b4f72;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .6rem;
text-align:left;vertical-align:top}th{background:#eef2f5}td.num{text-align:right}
.tables{display:flex;flex-wrap:wrap;gap:2rem;align-items:flex-start}.note{color:#555;font-size:.9rem}
svg{max-width:900px;width:100%;height:auto;background:#fff;border:1px solid #ddd}
svg .tick{font-size:11px;fill:#444}svg .axis-label{font-size:12px;fill:#222}
svg line.threshold{stroke:#c0392b;stroke-width:2}svg text.threshold{fill:#c0392b;font-size:12px}
svg line.lsh{stroke:#7f8c8d;stroke-width:1.5}svg text.lsh{fill:#7f8c8d;font-size:12px}
.legend span{display:inline-block;margin-right:1rem}.legend i{display:inline-block;width:.9rem;
height:.9rem;margin-right:.3rem;vertical-align:-2px}
details.cluster{background:#fff;border:1px solid #ccc;border-radius:4px;margin:1rem 0;
padding:.5rem 1rem}details.cluster>summary{cursor:pointer;font-weight:600}
.pair{border-top:1px solid #eee;padding:.6rem 0}.pair-meta{margin:.2rem 0 .5rem;font-size:.9rem}
.side-by-side{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
.doc header{font-size:.85rem;color:#444;margin-bottom:.3rem}.doc header b{color:#111}
.text{white-space:pre-wrap;overflow-wrap:anywhere;font:13px/1.45 Georgia,serif;
max-height:26rem;overflow:auto;border:1px solid #e5e5e5;padding:.5rem;background:#fdfdfd}
mark{background:#ffe58a;padding:0}.bp{color:#888;background:#eee}
.cut{display:block;color:#888;font-style:italic;margin-top:.4rem}
td.pattern{white-space:pre-wrap;font:13px/1.4 Georgia,serif;max-width:48rem}
"""


def render_report(data: RunData) -> str:
    """The whole page for ``data`` as one HTML string."""
    title = f"dedup report: {data.directory}"
    head = el(
        "head",
        None,
        el("meta", {"charset": "utf-8"}),
        el("meta", {"http-equiv": "Content-Security-Policy", "content": CSP}),
        el("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}),
        el("title", None, title),
        el("style", None, Markup(STYLE)),  # a constant of this module, not data
    )
    nav = el(
        "nav",
        None,
        *(
            el("a", {"href": f"#{anchor}"}, label)
            for anchor, label in (
                ("summary", "Summary"),
                ("similarity", "Similarity"),
                ("sizes", "Cluster sizes"),
                ("clusters", "Largest clusters"),
                ("boilerplate", "Boilerplate"),
            )
        ),
    )
    body = el(
        "body",
        None,
        el("header", {"class": "top"}, el("h1", None, title), nav),
        el(
            "main",
            None,
            _bounds(data),
            _summary(data),
            _similarity(data),
            _sizes(data),
            _clusters(data),
            _boilerplate(data),
            el("footer", {"class": "note"}, f"Written by dedup {_version()}."),
        ),
    )
    return "<!DOCTYPE html>\n" + el("html", {"lang": "en"}, head, body) + "\n"


def _bounds(data: RunData) -> Markup:
    sel, limits = data.selection, data.limits
    empty = "The run had no documents: its charts and tables are empty. " if _empty(data) else ""
    text = empty + (
        f"What this page shows: the histogram counts all {data.histogram.total:,} verified pairs "
        f"and the size chart all {sum(sel.sizes.values()):,} clusters; the {len(sel.clusters):,} "
        f"largest of {sel.duplicate_clusters:,} clusters with duplicates are shown (at most "
        f"{limits.clusters}), each with its canonical and at most {limits.members} other "
        f"members (the first in input order), texts cut at {limits.text_chars:,} characters; "
        + (
            f"the first {min(limits.patterns, data.total_patterns):,} of "
            f"{data.total_patterns:,} boilerplate patterns are listed."
            if data.total_patterns
            else "no boilerplate was learned."
        )
    )
    return el("p", {"class": "note", "id": "bounds"}, text)


def _empty(data: RunData) -> bool:
    """Whether the run read no documents: an empty input is a run like any other, and its
    report says so rather than leaving a reader to wonder whether the page is broken."""
    return not data.summary.get("documents") and not data.selection.sizes


def _summary(data: RunData) -> Markup:
    s = data.summary
    counts = [
        (label, s[key])
        for key, label in (
            ("documents", "documents"),
            ("clusters", "clusters"),
            ("duplicate_clusters", "clusters with duplicates"),
            ("largest_cluster", "largest cluster"),
            ("duplicates", "duplicates removed"),
            ("empty_texts", "empty texts (no words)"),
            ("pairs", "verified pairs"),
            ("candidate_pairs", "candidate pairs"),
            ("passage_candidates", "candidates from shared sampled shingles"),
            ("alike_from_passage_candidates", "texts alike among them"),
            ("hot_buckets", "hot buckets"),
            ("boilerplate_paragraphs", "boilerplate paragraphs"),
            ("boilerplate_patterns", "boilerplate patterns"),
            ("seconds", "seconds"),
            ("jobs", "jobs"),
        )
        if s.get(key) is not None  # passage_candidates: null without --passages or --excerpts
    ]
    counts += [(f"pairs: {k}", v) for k, v in dict(s.get("relations", {})).items()]
    timings = [(k, f"{float(v):.3f} s") for k, v in dict(s.get("timings", {})).items()]
    config = [("config_id", s.get("config_id", data.config.id))]
    config += list(data.config.to_dict().items())
    return el(
        "section",
        {"id": "summary"},
        el("h2", None, "Run summary and config"),
        el(
            "div",
            {"class": "tables"},
            _table("counts", ("", "value"), counts),
            _table("timings", ("stage", "time"), timings),
            _table("config", ("setting", "value"), config),
        ),
    )


def _similarity(data: RunData) -> Markup:
    c = data.config
    legend = el(
        "p",
        {"class": "legend"},
        *(
            el("span", None, el("i", {"style": f"background:{COLORS.get(r, '#999')}"}), r)
            for r in data.histogram.relations()
        ),
        el("span", None, el("i", {"style": "background:#c0392b"}), "S-curve (right axis)"),
    )
    explain = (
        f"Every verified pair by its exact Jaccard similarity ({data.histogram.total:,} pairs, "
        f"bins of 0.02). The red curve is the probability that a pair of that similarity becomes "
        f"an LSH candidate with {c.bands} bands x {c.rows} rows (tuned for "
        f"{c.lsh_threshold:g}); the dashed red line is the verify threshold {c.threshold:g}. "
        "Pairs left of it were kept by containment: both ways (a lightly changed whole copy, "
        "near_duplicate), one way (an excerpt or a superset), or by shared passages."
    )
    return el(
        "section",
        {"id": "similarity"},
        el("h2", None, "Similarity of verified pairs"),
        el("p", {"class": "note"}, explain),
        similarity_chart(data.histogram, c.threshold, c.lsh_threshold, c.bands, c.rows),
        legend,
    )


def _sizes(data: RunData) -> Markup:
    rows = [(label, f"{count:,}") for label, count in size_bins(data.selection.sizes)]
    return el(
        "section",
        {"id": "sizes"},
        el("h2", None, "Cluster sizes"),
        size_chart(data.selection.sizes),
        _table("size-table", ("documents in the cluster", "clusters"), rows),
    )


def _clusters(data: RunData) -> Markup:
    notes: list[Child] = []
    if data.passages == "report" and data.clusters:  # nothing was aligned for no cluster
        notes.append(
            "The run was made without --passages: the highlighted passages were aligned for "
            "this report (same aligner, boilerplate excluded where known)."
        )
    if data.missing_texts:
        notes.append(
            f"{data.missing_texts:,} of the {len(data.selection.documents()):,} documents shown "
            "are not in the input given to the report: their text is not shown."
        )
    if data.texts == "none":
        notes.append(
            "The run left no samples.jsonl: texts are not shown. Give the run's input with "
            "`dedup report DIR --input INPUT...` to see them."
        )
    items = [_cluster(i, cluster) for i, cluster in enumerate(data.clusters)]
    if not items:
        items = [el("p", None, "No cluster has more than one document.")]
    return el(
        "section",
        {"id": "clusters"},
        el("h2", None, f"Largest clusters ({len(data.clusters)} shown)"),
        *(el("p", {"class": "note"}, note) for note in notes),
        *items,
    )


def _cluster(rank: int, cluster: ClusterView) -> Markup:
    shown = len(cluster.pairs) + 1
    summary = el(
        "summary",
        None,
        f"#{rank + 1}  {cluster.id}: {cluster.size:,} documents ({shown} shown)",
    )
    pairs = [_pair(cluster, pair) for pair in cluster.pairs]
    attrs: dict[str, AttrValue] = {
        "class": "cluster",
        "id": f"cluster-{rank + 1}",
        "data-cluster": cluster.id,
        "data-size": cluster.size,
        "open": rank < OPEN_CLUSTERS,
    }
    return el("details", attrs, summary, *pairs)


def _pair(cluster: ClusterView, pair: PairView) -> Markup:
    record = pair.record
    if record is None:
        meta: Child = "no pair record found between these two documents"
        relation = None
    else:
        relation = str(record.get("relation"))
        bits = [
            f"{relation}",
            f"Jaccard {float(record['jaccard']):.3f}",
            f"containment {record['a']} in {record['b']}: "
            f"{float(record['containment_a_in_b']):.3f}",
            f"{record['b']} in {record['a']}: {float(record['containment_b_in_a']):.3f}",
        ]
        if "coverage_a" in record:
            bits.append(
                f"passages cover {float(record['coverage_a']):.0%} / "
                f"{float(record['coverage_b']):.0%}"
            )
        meta = " · ".join(bits)
    attrs: dict[str, AttrValue] = {
        "class": "pair",
        "data-canonical": cluster.id,
        "data-member": pair.member_id,
        "data-relation": relation,
    }
    return el(
        "div",
        attrs,
        el("p", {"class": "pair-meta"}, meta),
        el(
            "div",
            {"class": "side-by-side"},
            _doc(cluster.canonical, cluster.id, "canonical", pair.canonical_marks),
            _doc(pair.member, pair.member_id, "member", pair.member_marks),
        ),
    )


def _doc(doc: DocView | None, doc_id: str, role: str, marks: Any) -> Markup:
    attrs = {"class": f"doc {role}", "data-doc": doc_id, "data-role": role}
    if doc is None:
        return el("div", attrs, el("header", None, el("b", None, doc_id), " (text not available)"))
    details = [f" · {value}" for value in (doc.source, doc.published) if value]
    header = el(
        "header",
        None,
        el("b", None, doc.id),
        f" ({role})",
        *details,
        f" · {doc.length:,} characters",
        el("br") if doc.title else None,
        doc.title,
    )
    text = render_text(doc.text, marks, doc.removed, length=doc.length)
    return el("div", attrs, header, el("div", {"class": "text"}, text))


def _boilerplate(data: RunData) -> Markup:
    if not data.total_patterns:
        body: list[Child] = [el("p", None, _NO_BOILERPLATE)]
    else:
        rows = []
        for record in data.patterns:
            text = str(record.get("text", ""))
            if len(text) > PATTERN_CHARS:
                text = text[:PATTERN_CHARS] + " …"
            counts = pattern_sources(record)
            per_source = "; ".join(f"{s}: {n:,}" if n else s for s, n in counts.items())
            rows.append(
                el(
                    "tr",
                    {"class": "pattern"},
                    el("td", {"class": "pattern"}, text),
                    el("td", {"class": "num"}, f"{len(record.get('documents', [])):,}"),
                    el("td", None, per_source),
                )
            )
        sources = [(s, f"{p:,}", f"{d:,}") for s, (p, d) in data.per_source.items()]
        body = [
            el("p", {"class": "note"}, f"{data.total_patterns:,} pattern(s) learned."),
            el(
                "table",
                {"id": "patterns"},
                el("tr", None, *(el("th", None, h) for h in ("pattern", "documents", "sources"))),
                *rows,
            ),
            el("h3", None, "Per source"),
            _table("per-source", ("source", "patterns", "documents carrying them"), sources),
        ]
    return el("section", {"id": "boilerplate"}, el("h2", None, "Boilerplate learned"), *body)


def _table(css_id: str, headings: Iterable[str], rows: Iterable[Iterable[Any]]) -> Markup:
    head = el("tr", None, *(el("th", None, h) for h in headings))
    body = [el("tr", None, *(el("td", _cell_attrs(v), _cell(v)) for v in row)) for row in rows]
    return el("table", {"id": css_id}, head, *body)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _cell_attrs(value: Any) -> dict[str, str] | None:
    return (
        {"class": "num"} if isinstance(value, int | float) and not isinstance(value, bool) else None
    )


def _version() -> str:
    try:
        return metadata.version("dedup")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "(source tree)"


__all__ = ["render_report"]
