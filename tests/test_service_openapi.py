"""The OpenAPI document matches the behaviour: schemathesis drives every operation of the
document against a running service, with a bounded number of generated requests each."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import negative_data_rejection

from dedup.collection import Collection
from service import ServiceSettings
from service.openapi import openapi_document
from tests.service_support import settings, threaded_service

MAX_EXAMPLES = 25
# The document is built from the settings, so the one under test has the served limits.
SERVED = ServiceSettings(db="unused.db", readers=2)
schema = schemathesis.openapi.from_dict(openapi_document(SERVED))
# A bulk body is text (lines of JSON): send generated strings as they are, UTF-8 encoded.
schemathesis.serializer.alias("application/x-ndjson", "text/plain")


@pytest.fixture(scope="module", params=["writing", "read-only"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The service on a loopback port over a fresh file, for the whole module; then the same
    started ``read_only`` (whose writes answer 403) over a file holding an empty collection."""
    read_only = request.param == "read-only"
    app_settings = settings(tmp_path_factory.mktemp("openapi"), read_only=read_only)
    if read_only:
        Collection.open(app_settings.db).close()
    with threaded_service(app_settings) as url:
        yield url


def test_the_served_document_is_the_one_under_test(served: str) -> None:
    """GET /openapi.json answers exactly the document the generated tests are built from."""
    with urllib.request.urlopen(f"{served}/openapi.json", timeout=10) as answer:
        assert json.load(answer) == openapi_document(SERVED)


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_conforms_to_the_document(case: Any, served: str) -> None:
    """Generated requests get only documented statuses, media types and bodies; no 5xx."""
    # Any bytes are a bulk body (a "string"): bad lines are answered line by line inside a
    # 200, so there is no schema-violating bulk body for the server to reject.
    bulk = case.operation.path == "/v1/documents/bulk"
    case.call_and_validate(
        base_url=served, timeout=10, excluded_checks=[negative_data_rejection] if bulk else None
    )
