"""The OpenAPI 3.1 document served at ``/openapi.json``, built from :mod:`service.schemas`.

The operations are listed here once, next to the statuses each one answers; the schemas are the
ones bodies are validated with, so the document cannot drift from the checks.
"""

from __future__ import annotations

from typing import Any

from service.config import ServiceSettings
from service.schemas import components, ref

Op = dict[str, Any]

_PROBLEM = {"application/problem+json": {"schema": ref("Problem")}}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "content": _PROBLEM}
    if headers:
        answer["headers"] = headers
    return answer


_OVERLOADED = _problem(
    "A queue is full, the service is not ready, a write found another process writing the "
    "index for write_wait seconds (`index-busy`: a `dedup bulk --db` run), the index file "
    "cannot be written (`read-only`), or reading or writing it failed (`storage-error`: an I/O "
    "error); nothing was stored; retry later. When a reader or the writer process stopped "
    "under a post or delete (`overloaded`, 'process stopped'), it may have been done just "
    "before: repeating it is safe.",
    _RETRY_AFTER,
)
_DAMAGED = _problem(
    "The index file is damaged (`index-damaged`, logged): its operator must restore it; nothing "
    "was stored. Any other 500 is a bug of the service's, logged."
)
_FULL = _problem("The disk holding the index is full (`storage-full`); nothing was stored.")
_READ_ONLY = _problem(
    "The service was started read-only (`writes-disabled`: a snapshot or replica serving "
    "checks, strips and lookups); nothing was stored. Post and delete where the index is written."
)
_BAD_PATH = _problem(
    "The path's percent-escapes do not decode to UTF-8 (`undecodable-path`): an id is sent as "
    "the escapes of its UTF-8 bytes, a '%' in it as %25. A request line over 8190 bytes is "
    "`unparsable-request`, and the connection closes."
)
_BODY_ERRORS = {
    "400": _problem(
        "The body is not one UTF-8 JSON text (BOM, NaN, duplicate key, depth), or its "
        "Content-Encoding does not decode (`undecodable-body`), or the request is "
        "not parsable HTTP/1.1 (`unparsable-request`: a request line or header over 8190 "
        "bytes, a chunk broken in the bytes that came with the head; the connection closes; "
        "one broken later gets the 408 of body_timeout)."
    ),
    "408": _problem("The body did not arrive in time."),
    "413": _problem("The body is larger than max_body_bytes."),
    "415": _problem(
        "The body is not application/json in UTF-8, or its Content-Encoding is not one the "
        "service decodes (`unsupported-encoding`; `Accept-Encoding` names gzip and deflate)."
    ),
    "422": _problem("The JSON is not what the operation takes; `errors` names the fields."),
    "500": _DAMAGED,
    "503": _OVERLOADED,
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _window() -> list[dict[str, Any]]:
    date = {
        "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]
    }
    return [
        {
            "name": "since",
            "in": "query",
            "description": (
                "Only match documents published at or after this (inclusive; ISO 8601, UTC "
                "without an offset; a fraction of a second rounds up, as stored dates keep "
                "whole seconds)."
            ),
            "schema": date,
        },
        {
            "name": "until",
            "in": "query",
            "description": (
                "Only match documents published before this (exclusive; ISO 8601, a fraction "
                "of a second rounds up); one not later than since matches nothing."
            ),
            "schema": date,
        },
        {
            "name": "exclude_same_source",
            "in": "query",
            "description": "Ignore documents of the posted (or looked-up) document's source.",
            "schema": {"type": "boolean"},
        },
    ]


def _of_bulk(operation: Op) -> Op:
    """``operation`` of /v1/documents/{id} for the id "bulk". OpenAPI matches a concrete path
    before a templated one, so /v1/documents/bulk must list the GET and DELETE that reach the
    document stored as "bulk" (the bulk endpoint takes POST only)."""
    return {
        **operation,
        "operationId": operation["operationId"] + "Bulk",
        "summary": operation["summary"] + ' The document whose id is "bulk".',
        "parameters": [p for p in operation["parameters"] if p["in"] != "path"],
        "responses": {k: v for k, v in operation["responses"].items() if k != "400"},
    }


def _operations() -> dict[str, dict[str, Op]]:
    body = {"required": True, "content": {"application/json": {"schema": ref("DocumentIn")}}}
    doc_id = {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
        "description": "The document id, its UTF-8 bytes percent-encoded.",
    }
    location = {"Location": {"description": "The stored document.", "schema": {"type": "string"}}}
    ndjson_in = {
        "schema": {
            "type": "string",
            "description": "One DocumentIn object per line; blank lines are skipped, and a "
            "body of blank lines only is refused (`empty-body`).",
            # Some character that is not ASCII white space: some line that is not blank.
            "pattern": "[^ \\t\\n\\r\\v\\f]",
        },
        "example": '{"id": "a1", "text": "Leaders met at the summit on Monday."}\n'
        '{"id": "a2", "text": "Leaders met at the summit on Monday."}\n',
    }
    ndjson_out = {"schema": {"type": "string", "description": "One BulkLine object per line."}}
    get_document: Op = {
        "operationId": "getDocument",
        "summary": "A stored document's metadata, cluster and matches.",
        "description": "The query's window filters the matches, not the cluster.",
        "parameters": [doc_id, *_window()],
        "responses": {
            "200": _json(ref("DocumentView"), "The document."),
            "400": _BAD_PATH,
            "404": _problem("No document with that id."),
            "422": _problem("A query parameter is invalid; `errors` names it."),
            "500": _DAMAGED,
            "503": _OVERLOADED,
        },
    }
    delete_document: Op = {
        "operationId": "deleteDocument",
        "summary": "Remove a stored document.",
        "parameters": [doc_id],
        "responses": {
            "204": {"description": "Removed."},
            "400": _BAD_PATH,
            "403": _READ_ONLY,
            "404": _problem("No document with that id."),
            "500": _DAMAGED,
            "503": _OVERLOADED,
            "507": _FULL,
        },
    }
    return {
        "/v1/documents": {
            "post": {
                "operationId": "postDocument",
                "summary": "Check a document against the index and store it, atomically.",
                "description": (
                    "Idempotent per id and text: posting the same id and text again answers "
                    "200 with stored = unchanged. A new text for a stored id replaces it "
                    "(200, stored = updated). The window parameters narrow the answer's "
                    "matches, not where the document is clustered: that follows everything "
                    "stored."
                ),
                "parameters": _window(),
                "requestBody": body,
                "responses": {
                    "201": {**_json(ref("Verdict"), "Stored under a new id."), "headers": location},
                    "200": _json(ref("Verdict"), "The id was stored already (updated/unchanged)."),
                    "403": _READ_ONLY,
                    **_BODY_ERRORS,
                    "507": _FULL,
                },
            }
        },
        "/v1/documents/bulk": {
            "get": _of_bulk(get_document),
            "delete": _of_bulk(delete_document),
            "post": {
                "operationId": "postDocumentsBulk",
                "summary": "Post many documents: NDJSON in, one NDJSON result line per input line.",
                "description": (
                    "Each non-empty line is a DocumentIn; each answer line is "
                    '{"line", "id", "status", "result"} or {"line", "error": Problem}. Lines are '
                    "read as they arrive and answered as they are done, in input order."
                ),
                "parameters": _window(),
                "requestBody": {"required": True, "content": {"application/x-ndjson": ndjson_in}},
                "responses": {
                    "200": {
                        "description": "Per-line results.",
                        "content": {"application/x-ndjson": ndjson_out},
                    },
                    "400": _problem("The body has no lines but blank ones (`empty-body`)."),
                    "403": _READ_ONLY,
                    "415": _BODY_ERRORS["415"],
                    "422": _problem("A query parameter is invalid; `errors` names it."),
                    "500": _DAMAGED,
                    "503": _OVERLOADED,
                },
            },
        },
        "/v1/documents/{id}": {"get": get_document, "delete": delete_document},
        "/v1/check": {
            "post": {
                "operationId": "checkDocument",
                "summary": "What a document duplicates, reuses or carries; nothing is stored.",
                "parameters": _window(),
                "requestBody": body,
                "responses": {"200": _json(ref("Verdict"), "The verdict."), **_BODY_ERRORS},
            }
        },
        "/v1/strip": {
            "post": {
                "operationId": "stripText",
                "summary": "A text without its learned boilerplate.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("StripIn")}},
                },
                "responses": {"200": _json(ref("Stripped"), "The stripped text."), **_BODY_ERRORS},
            }
        },
        "/livez": {
            "get": {
                "operationId": "livez",
                "summary": "The process answers.",
                "responses": {"200": _json(ref("Health"), "Alive.")},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "readyz",
                "summary": "The index is open and the worker threads answer.",
                "responses": {
                    "200": _json(ref("Health"), "Ready."),
                    "500": _DAMAGED,
                    "503": _OVERLOADED,
                },
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics.",
                "responses": {
                    "200": {
                        "description": "Prometheus text exposition format.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1.")},
            }
        },
    }


def openapi_document(settings: ServiceSettings) -> dict[str, Any]:
    """The whole document, with the limits of ``settings`` in its schemas."""
    from dedup import __version__

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "dedup",
            "version": __version__,
            "description": (
                "Near-duplicate, text-reuse and boilerplate detection for news articles. "
                "Errors are RFC 9457 application/problem+json. Limits: bodies up to "
                f"{settings.max_body_bytes} bytes, texts up to {settings.max_text_chars} "
                f"characters, words up to {settings.max_token_chars} characters, JSON nested "
                f"up to {settings.max_json_depth} levels."
            ),
        },
        "paths": _operations(),
        "components": {"schemas": components(settings)},
    }
