"""Inline SVG charts: the similarity histogram with the S-curve, and cluster sizes.

Plain SVG elements built with :func:`dedup.report.markup.el` (no scripts, no external
resources), sized by ``viewBox`` so they scale with the page. Every bar carries a ``<title>``
with its exact count, which browsers show on hover.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from dedup.lsh import s_curve
from dedup.report.markup import Child, Markup, el, join
from dedup.report.views import BINS, Histogram

WIDTH, HEIGHT = 760, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 64, 24, 52
COLORS = {
    "duplicate": "#1b4f72",
    "near_duplicate": "#2e86c1",
    "contains": "#28b463",
    "contained_in": "#a9cf54",
    "shares_passages": "#f5b041",
}
OTHER_COLOR = "#999999"
SIZE_BINS: tuple[tuple[int, int], ...] = (
    (1, 1),
    (2, 2),
    (3, 3),
    (4, 4),
    (5, 5),
    (6, 10),
    (11, 20),
    (21, 50),
    (51, 100),
    (101, 1000),
    (1001, 10**12),
)


def similarity_chart(
    histogram: Histogram, threshold: float, lsh_threshold: float, bands: int, rows: int
) -> Markup:
    """Stacked histogram of pair Jaccard by relation, the S-curve and both thresholds."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    relations = histogram.relations()
    totals = [sum(histogram.counts[r][b] for r in relations) for b in range(BINS)]
    top = _nice_max(max(totals, default=0))

    def x(value: float) -> float:
        return LEFT + value * plot_w

    def y(count: float, scale: float = top) -> float:
        return TOP + plot_h - (count / scale) * plot_h

    parts: list[Child] = [_axes(plot_w, plot_h)]
    for tick in _ticks(top):
        parts.append(_hline(y(tick), plot_w, f"{tick:,.0f}", "left"))
    for tenth in range(11):
        s = tenth / 10
        parts.append(
            el(
                "text",
                {"x": x(s), "y": TOP + plot_h + 16, "class": "tick", "text-anchor": "middle"},
                f"{s:.1f}",
            )
        )
    width = plot_w / BINS
    for b in range(BINS):
        base = 0
        for relation in relations:
            count = histogram.counts[relation][b]
            if not count:
                continue
            lo, hi = b / BINS, (b + 1) / BINS
            tip = f"Jaccard {lo:.2f} to {hi:.2f}: {count:,} {relation} pair(s)"
            parts.append(
                el(
                    "rect",
                    {
                        "x": x(lo) + 0.5,
                        "y": y(base + count),
                        "width": width - 1,
                        "height": y(base) - y(base + count),
                        "class": "bar",
                        "fill": COLORS.get(relation, OTHER_COLOR),
                        "data-relation": relation,
                        "data-bin": b,
                        "data-count": count,
                    },
                    el("title", None, tip),
                )
            )
            base += count
    xs = np.linspace(0.0, 1.0, 201)
    ys = s_curve(xs, bands, rows)
    path = "M" + " L".join(
        f"{x(float(a)):.1f},{y(float(p), 1.0):.1f}" for a, p in zip(xs, ys, strict=True)
    )
    parts.append(
        el(
            "path",
            {"d": path, "class": "s-curve", "fill": "none", "stroke": "#c0392b", "stroke-width": 2},
        )
    )
    for p in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            el("text", {"x": LEFT + plot_w + 6, "y": y(p, 1.0) + 4, "class": "tick"}, f"{p:.2f}")
        )
    parts.append(_vline(x(threshold), plot_h, f"threshold {threshold:g}", "threshold"))
    parts.append(_vline(x(lsh_threshold), plot_h, f"LSH tuned for {lsh_threshold:g}", "lsh"))
    if not histogram.total:
        parts.append(_label(LEFT + plot_w / 2, TOP + plot_h / 3, "no verified pairs"))
    parts.append(_label(LEFT + plot_w / 2, HEIGHT - 12, "Jaccard similarity of the pair"))
    parts.append(_label(14, TOP + plot_h / 2, "verified pairs", rotate=True))
    parts.append(_label(WIDTH - 10, TOP + plot_h / 2, "P(candidate)", rotate=True))
    title = "Histogram of verified pair similarity with the LSH S-curve"
    return _svg("similarity-chart", title, parts)


def size_bins(sizes: Counter[int]) -> list[tuple[str, int]]:
    """``(label, clusters)`` for each size bin (1, 2, ..., 6-10, 11-20, ...), empty tail cut."""
    out = []
    for lo, hi in SIZE_BINS:
        count = sum(n for size, n in sizes.items() if lo <= size <= hi)
        label = str(lo) if lo == hi else (f"{lo}-{hi}" if hi < 10**12 else f"{lo}+")
        out.append((label, count))
    while len(out) > 1 and out[-1][1] == 0:
        out.pop()
    return out


def size_chart(sizes: Counter[int]) -> Markup:
    """Clusters per size bin, on a log scale (singletons outnumber the rest by far).

    A run of no documents has no clusters: its chart is the bare axes with a note saying so
    (the largest count is 0, which has no logarithm, so the scale is kept at its minimum).
    """
    bins = size_bins(sizes)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    largest = max((n for _, n in bins), default=0)
    top = max(1.0, math.log10(max(largest, 1)) + 0.3)

    def y(count: int) -> float:
        return TOP + plot_h - (math.log10(count) + 0.3) / top * plot_h if count else TOP + plot_h

    parts: list[Child] = [_axes(plot_w, plot_h)]
    width = plot_w / max(1, len(bins))
    for i, (label, count) in enumerate(bins):
        x0 = LEFT + i * width
        if count:
            tip = f"{count:,} cluster(s) of size {label}"
            parts.append(
                el(
                    "rect",
                    {
                        "x": x0 + 4,
                        "y": y(count),
                        "width": width - 8,
                        "height": TOP + plot_h - y(count),
                        "class": "bar",
                        "fill": "#2e86c1",
                        "data-size": label,
                        "data-count": count,
                    },
                    el("title", None, tip),
                )
            )
            parts.append(
                el(
                    "text",
                    {
                        "x": x0 + width / 2,
                        "y": y(count) - 4,
                        "class": "tick",
                        "text-anchor": "middle",
                    },
                    f"{count:,}",
                )
            )
        parts.append(
            el(
                "text",
                {
                    "x": x0 + width / 2,
                    "y": TOP + plot_h + 16,
                    "class": "tick",
                    "text-anchor": "middle",
                },
                label,
            )
        )
    if not largest:
        parts.append(_label(LEFT + plot_w / 2, TOP + plot_h / 2, "no clusters: no documents"))
    parts.append(_label(LEFT + plot_w / 2, HEIGHT - 12, "documents in the cluster"))
    parts.append(_label(14, TOP + plot_h / 2, "clusters (log scale)", rotate=True))
    return _svg("size-chart", "Number of clusters by size", parts)


def _svg(css_id: str, title: str, parts: Sequence[Child]) -> Markup:
    return el(
        "svg",
        {
            "id": css_id,
            "viewBox": f"0 0 {WIDTH} {HEIGHT}",
            "role": "img",
            "aria-label": title,
            "xmlns": "http://www.w3.org/2000/svg",
        },
        el("title", None, title),
        join(parts),
    )


def _axes(plot_w: float, plot_h: float) -> Markup:
    d = f"M{LEFT},{TOP} V{TOP + plot_h} H{LEFT + plot_w}"
    return el("path", {"d": d, "class": "axis", "fill": "none", "stroke": "#444"})


def _hline(y: float, plot_w: float, label: str, side: str) -> Markup:
    line = el(
        "line",
        {"x1": LEFT, "x2": LEFT + plot_w, "y1": y, "y2": y, "class": "grid", "stroke": "#ddd"},
    )
    text = el("text", {"x": LEFT - 6, "y": y + 4, "class": "tick", "text-anchor": "end"}, label)
    return join([line, text]) if side == "left" else line


def _vline(x: float, plot_h: float, label: str, css: str) -> Markup:
    line = el(
        "line",
        {"x1": x, "x2": x, "y1": TOP, "y2": TOP + plot_h, "class": css, "stroke-dasharray": "5 4"},
    )
    text = el("text", {"x": x + 4, "y": TOP + 12, "class": f"{css} label"}, label)
    return join([line, text])


def _label(x: float, y: float, text: str, rotate: bool = False) -> Markup:
    attrs: dict[str, str | float] = {"x": x, "y": y, "class": "axis-label", "text-anchor": "middle"}
    if rotate:
        attrs["transform"] = f"rotate(-90 {x:.1f} {y:.1f})"
    return el("text", attrs, text)


def _nice_max(value: int) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (at least 5)."""
    if value <= 5:
        return 5.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _ticks(top: float) -> list[float]:
    """Round grid values up to ``top`` (a :func:`_nice_max`): 5 steps, or 4 for 2 x 10^k."""
    steps = 4 if f"{top:g}".startswith("2") else 5
    return [top * k / steps for k in range(1, steps + 1)]
