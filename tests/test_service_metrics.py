"""/metrics: Prometheus text with request counts and latencies by route and status, the index
size and the queue depths, from the app's own registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service import create_app
from tests.service_support import settings

Client = TestClient[Any, Any]


async def scrape(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, keyed by name and sorted labels."""
    response = await client.get("/metrics")
    assert response.status == 200
    samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def labels(**pairs: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(pairs.items()))


async def test_metrics_are_prometheus_text(client: Client) -> None:
    """/metrics answers the Prometheus text exposition format."""
    response = await client.get("/metrics")
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    assert "# TYPE dedup_http_requests_total counter" in await response.text()


async def test_requests_are_counted_by_route_template_and_status(
    client: Client, article: str
) -> None:
    """Posts, a lookup of an absent id and an unknown path are counted under their templates."""
    await client.post("/v1/documents", json={"id": "a1", "text": article})
    await client.post("/v1/documents", json={"id": "a1", "text": article})
    await client.get("/v1/documents/nope")
    await client.get("/no/such/path")
    samples = await scrape(client)
    count = "dedup_http_requests_total"
    assert samples[(count, labels(method="POST", route="/v1/documents", status="201"))] == 1
    assert samples[(count, labels(method="POST", route="/v1/documents", status="200"))] == 1
    assert samples[(count, labels(method="GET", route="/v1/documents/{id}", status="404"))] == 1
    assert samples[(count, labels(method="GET", route="unmatched", status="404"))] == 1


async def test_latencies_are_histograms_by_route_and_status(client: Client, article: str) -> None:
    """Each request is observed once in the latency histogram of its route and status."""
    await client.post("/v1/check", json={"id": "q", "text": article})
    samples = await scrape(client)
    route = labels(method="POST", route="/v1/check", status="200")
    assert samples[("dedup_http_request_duration_seconds_count", route)] == 1
    assert samples[("dedup_http_request_duration_seconds_sum", route)] > 0
    inf = labels(le="+Inf", method="POST", route="/v1/check", status="200")
    assert samples[("dedup_http_request_duration_seconds_bucket", inf)] == 1


async def test_the_index_size_is_the_number_of_documents(client: Client, article: str) -> None:
    """dedup_index_documents is the number of stored documents at the scrape."""
    await client.post("/v1/documents", json={"id": "a1", "text": article})
    await client.post("/v1/documents", json={"id": "a2", "text": "Another story."})
    samples = await scrape(client)
    assert samples[("dedup_index_documents", ())] == 2


async def test_queue_depths_are_reported_per_pool(client: Client) -> None:
    """Both pools report their waiting and running jobs (none when idle)."""
    samples = await scrape(client)
    for pool in ("writer", "reader"):
        assert samples[("dedup_queue_depth", labels(pool=pool))] == 0
        assert ("dedup_queue_running", labels(pool=pool)) in samples


async def test_each_post_counts_where_it_was_prepared(client: Client, story: str) -> None:
    """Every post is counted once in dedup_post_preparations, under one of its three places."""
    for k in range(5):
        await client.post("/v1/documents", json={"id": f"p{k}", "text": f"{story} {k}"})
    samples = await scrape(client)
    name = "dedup_post_preparations_total"
    places = [samples.get((name, labels(by=by)), 0) for by in ("ahead", "waited", "taker")]
    assert sum(places) == 5


async def test_two_apps_count_separately(aiohttp_client: Any, tmp_path: Path) -> None:
    """Each app has its own registry: a request to one is not counted by the other."""
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = await aiohttp_client(create_app(settings(tmp_path / "one")))
    second = await aiohttp_client(create_app(settings(tmp_path / "two")))
    await first.get("/livez")
    key = ("dedup_http_requests_total", labels(method="GET", route="/livez", status="200"))
    assert (await scrape(first))[key] == 1
    assert key not in await scrape(second)
