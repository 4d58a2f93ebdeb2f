"""What a load run reads from the service's own /metrics (see :mod:`benchmarks.service_load`):
where posts were prepared and the garbage collector's pauses."""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


def scrape(url: str) -> str:
    """The /metrics text of the service at ``url``."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=30) as response:
        return str(response.read().decode())


def _samples(metrics: str, family: str) -> list[Sample]:
    """The samples of one metric family in a /metrics text."""
    return [
        sample
        for found in text_string_to_metric_families(metrics)
        if found.name == family
        for sample in found.samples
    ]


def gc_pauses(metrics: str) -> str:
    """The service process's collector pauses by generation, from a /metrics scrape: how many,
    their total, and the smallest histogram bound that holds the longest."""
    counts: dict[str, float] = {}
    sums: dict[str, float] = {}
    buckets: dict[str, list[tuple[float, float]]] = {}
    for sample in _samples(metrics, "dedup_gc_pause_seconds"):
        generation = sample.labels.get("generation", "?")
        if sample.name.endswith("_count"):
            counts[generation] = sample.value
        elif sample.name.endswith("_sum"):
            sums[generation] = sample.value
        elif sample.name.endswith("_bucket"):
            bound = float(sample.labels["le"])
            buckets.setdefault(generation, []).append((bound, sample.value))
    parts = []
    for generation in sorted(counts, reverse=True):
        count = counts[generation]
        longest = min(
            (bound for bound, seen in buckets.get(generation, []) if seen >= count),
            default=float("inf"),
        )
        parts.append(
            f"generation {generation}: {count:,.0f}, {sums.get(generation, 0.0) * 1e3:,.1f} ms "
            f"in all, each under {longest * 1e3:g} ms"
        )
    return "; ".join(parts) or "none reported"


def preparations(metrics: str, before: str | None = None) -> str:
    """Where posts' preparations ran (``dedup_post_preparations`` by ``by``), from a /metrics
    scrape, less an earlier scrape ``before``: share of each place."""

    def counts(text: str) -> dict[str, float]:
        samples = _samples(text, "dedup_post_preparations")
        return {s.labels["by"]: s.value for s in samples if s.name.endswith("_total")}

    now, earlier = counts(metrics), counts(before) if before else {}
    done = {by: now[by] - earlier.get(by, 0.0) for by in now}
    total = sum(done.values())
    if not total:
        return "none"
    return ", ".join(f"{by} {n / total:.0%}" for by, n in sorted(done.items()))
