"""The figures of a load run and their tables (see :mod:`benchmarks.service_load`)."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks._proc import ROLES, WRITER_WAIT


@dataclass
class Level:
    """The figures of one concurrency level."""

    clients: int
    done: int
    failed: int
    seconds: float
    latencies: list[float]
    server_cpu: float
    load: float = 0.0  # the machine's 1-minute load average at the end of the level
    roles: dict[str, float] | None = None  # the server's CPU seconds by role (benchmarks._proc)
    client_cpu: float = 0.0  # the load client's CPU seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


#: Issue #9's bound on the mixed load's p99 (32 clients, half posts, half checks), in seconds.
MIXED_P99 = 0.250


@dataclass
class Mixed:
    """The figures of the mixed level: per kind of request, latencies and statuses."""

    seconds: float
    latencies: dict[str, list[float]]
    statuses: dict[int, int]
    server_cpu: float
    load: float


def mixed_table(mixed: Mixed, clients: int) -> str:
    rows = [
        "| requests | count | per s | p50 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    everything = [x for values in mixed.latencies.values() for x in values]
    kinds = {**mixed.latencies, "all": everything}
    levels = {kind: Level(clients, len(v), 0, mixed.seconds, v, 0.0) for kind, v in kinds.items()}
    for kind, values in kinds.items():
        level = levels[kind]
        rows.append(
            f"| {kind} | {len(values)} | {len(values) / mixed.seconds:,.0f} "
            f"| {level.percentile(0.5) * 1e3:.1f} | {level.percentile(0.99) * 1e3:.1f} "
            f"| {max(values, default=0) * 1e3:.1f} |"
        )
    fives = sum(n for status, n in mixed.statuses.items() if status >= 500)
    rows.append(
        f"\nstatuses {dict(sorted(mixed.statuses.items()))}: {fives} 5xx; server CPU "
        f"{mixed.server_cpu / max(len(everything), 1) * 1e3:.1f} ms/request; "
        f"load average {mixed.load:.1f} at the end"
    )
    if clients < 32 or mixed.seconds < 59 or "update" in mixed.latencies:
        rows.append(
            "target (issue #9): not judged, its load is 32 clients for 60 s, posts and checks"
        )
    else:
        met = "met" if levels["all"].percentile(0.99) <= MIXED_P99 and not fives else "missed"
        rows.append(f"target (issue #9): p99 <= {MIXED_P99 * 1e3:.0f} ms and no 5xx: {met}")
    return "\n".join(rows)


def table(levels: list[Level]) -> str:
    rows = [
        "| clients | requests | docs/s | p50 ms | p99 ms | max ms | non-2xx | server CPU ms/doc "
        "| load |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for lv in levels:
        rows.append(
            f"| {lv.clients} | {lv.done} | {lv.done / lv.seconds:,.0f} "
            f"| {lv.percentile(0.5) * 1e3:.1f} | {lv.percentile(0.99) * 1e3:.1f} "
            f"| {max(lv.latencies) * 1e3:.1f} | {lv.failed} "
            f"| {lv.server_cpu / max(lv.done, 1) * 1e3:.1f} | {lv.load:.1f} |"
        )
    return "\n".join(rows)


def roles_table(levels: list[Level]) -> str:
    """Milliseconds a post of each role's CPU, the client's, and the writer's wait for a core."""
    rows = [
        f"| clients | {' | '.join(ROLES)} | client | {WRITER_WAIT} |",
        "| ---: " * (len(ROLES) + 3) + "|",
    ]
    for lv in levels:
        if lv.roles is None:
            continue
        per = 1e3 / max(lv.done, 1)
        cells = [f"{lv.roles[role] * per:.2f}" for role in ROLES]
        cells += [f"{lv.client_cpu * per:.2f}", f"{lv.roles[WRITER_WAIT] * per:.2f}"]
        rows.append(f"| {lv.clients} | {' | '.join(cells)} |")
    return "\n".join(rows)
