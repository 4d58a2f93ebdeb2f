"""RFC 9457 problem details: the one shape every error of the service takes.

Handlers and helpers raise :class:`Problem`; :func:`problem_middleware` (the only error
middleware) turns it, aiohttp's own HTTP errors (404 for an unknown path, 405, 413 from
``client_max_size``) and the library's :class:`dedup.DedupError` into an
``application/problem+json`` answer. Anything else is a bug: it is logged with its traceback and
answered with a bare 500 that leaks nothing.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from aiohttp import web

from dedup.errors import (
    ConfigMismatchError,
    DedupError,
    DocumentNotFoundError,
    IndexBusyError,
    IndexCorruptError,
    IndexFullError,
    InputError,
    ReadOnlyError,
    StorageError,
)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:dedup:problem:"
#: A problem response's kind (``storage-error``, ...; ``""`` for an untyped one), for metrics.
PROBLEM_KIND = web.ResponseKey("problem_kind", str)
LOG = logging.getLogger("service")
#: The detail of a 500: what the service did not expect is logged, never told.
FAILED = "the server failed to answer; the error is logged"
#: What a 503 of a process that stopped under a write says: the write may have been
#: committed just before, and repeating it is safe.
MAYBE_STORED = (
    "a post or delete may have been done already; repeating it is safe: a re-post of the same "
    "id and text answers stored: unchanged, a repeated delete 404"
)
#: Seconds a client is told to wait after an I/O error on the index file (``storage-error``).
IO_RETRY_AFTER = 5

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Problem(Exception):
    """An answer of status ``status`` explaining what was wrong with the request.

    ``kind`` becomes the problem ``type`` (``urn:dedup:problem:<kind>``; ``None`` for
    ``about:blank``, a plain HTTP error); ``errors`` lists the bad fields as
    ``{"field", "pointer", "detail"}`` objects, ``pointer`` a JSON pointer into the body.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        errors: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
        close: bool = False,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.title = title or HTTPStatus(status).phrase
        self.errors = [dict(e) for e in errors]
        self.headers = dict(headers or {})
        self.close = close or status == 408

    def to_dict(self, instance: str | None = None) -> dict[str, Any]:
        """The problem object (``instance`` is the request path it answers)."""
        body: dict[str, Any] = {
            "type": TYPE_PREFIX + self.kind if self.kind else "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance is not None:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        return body

    def response(self, request: web.BaseRequest | None = None) -> web.Response:
        """The ``application/problem+json`` response.

        ASCII-escaped JSON, so a lone surrogate quoted back from the request stays valid UTF-8.
        ``close`` (always for a 408) closes the connection: the rest of the body is unread.
        """
        instance = request.path if request is not None else None
        response = web.Response(
            status=self.status,
            body=json.dumps(self.to_dict(instance)).encode("ascii"),
            content_type=PROBLEM_JSON,
            headers=self.headers,
        )
        response[PROBLEM_KIND] = self.kind or ""
        if self.close:
            response.force_close()
        return response


def field_error(field: str, detail: str, *, where: str = "body") -> dict[str, str]:
    """One entry of a problem's ``errors``: a body field (JSON pointer) or a query parameter."""
    pointer = "/" + field.replace("~", "~0").replace("/", "~1") if field else ""
    if where == "body":
        return {"field": field or "(body)", "pointer": "#" + pointer, "detail": detail}
    return {"field": field, "in": where, "detail": detail}


def from_library(exc: DedupError) -> Problem:
    """The problem for a library error: what the library says, with a fitting status."""
    if isinstance(exc, DocumentNotFoundError):
        return Problem(404, str(exc), kind="not-found")
    if isinstance(exc, InputError):
        return Problem(422, exc.message, kind="validation")
    if isinstance(exc, ConfigMismatchError):
        return Problem(409, str(exc), kind="config-mismatch")
    if isinstance(exc, IndexBusyError):  # the file's path stays out of the answer
        # Retry no sooner than the lock was seen held: a bulk load holds it for minutes.
        retry = str(max(1, math.ceil(exc.waited)))
        detail = (
            f"another process is writing the index (the writer waited {exc.waited:g} s for it);"
            " nothing was stored: retry later"
        )
        return Problem(503, detail, kind="index-busy", headers={"Retry-After": retry})
    if isinstance(exc, IndexFullError):
        detail = "the disk holding the index is full; nothing was stored"
        return Problem(507, detail, kind="storage-full")
    if isinstance(exc, IndexCorruptError):  # retrying will not mend it: the operator must
        LOG.error("%s; answered 500 index-damaged", exc)
        detail = "the index file is damaged (logged) and must be restored; nothing was stored"
        return Problem(500, detail, kind="index-damaged")
    if isinstance(exc, StorageError):  # a failing disk (IndexIOError): the operator must hear
        LOG.error("%s; answered 503 storage-error", exc)
        detail = (
            "the index file could not be read or written (an I/O error, logged); nothing was stored"
        )
        # The writer lives on and writes again once the disk does: retry, but not at once.
        return Problem(
            503, detail, kind="storage-error", headers={"Retry-After": str(IO_RETRY_AFTER)}
        )
    if isinstance(exc, ReadOnlyError):  # the file's permissions, a read-only mount
        detail = "the index file cannot be written; nothing was stored"
        return Problem(503, detail, kind="read-only")
    return Problem(422, str(exc), kind="rejected")


def from_http(exc: web.HTTPException, request: web.BaseRequest) -> Problem:
    """aiohttp's HTTP error (unknown path, wrong method, body over ``client_max_size``)."""
    headers = {k: v for k, v in exc.headers.items() if k.lower() in {"allow", "retry-after"}}
    if exc.status == 404:
        detail = f"nothing at {request.path}; see /openapi.json"
    elif exc.status == 405:
        detail = f"{request.method} is not allowed here; allowed: {headers.get('Allow', 'none')}"
    else:
        detail = (exc.text or exc.reason).removeprefix(f"{exc.status}: ")
    kind = "body-too-large" if exc.status == 413 else None
    return Problem(exc.status, detail, kind=kind, headers=headers)


def undecodable(exc: web.RequestPayloadError) -> Problem:
    """A body that its transfer or content coding does not decode (a ``Content-Encoding:
    gzip`` body that is not gzip; a broken chunk only under aiohttp's pure-Python parser, as
    its C parser drops the body without an error, see :mod:`service.unparsable`'s tests): 400,
    and the connection closes, since where the next request starts is not known."""
    detail = f"the body could not be decoded as sent ({exc}); send it as its headers say"
    return Problem(400, detail, kind="undecodable-body", close=True)


#: The status counted for a request whose client left before its answer (nginx's "client
#: closed request"): nobody reads it, and ``/metrics`` keeps it apart from the server's 5xx.
CLIENT_GONE = 499


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer every error with problem details; never let a traceback reach the client.

    A client that closes its connection while its body is still being read is no error of the
    service's: it was logged as one with a traceback and counted as a 500 (a post or a bulk
    body cut before its first line). It is logged in a line and counted as :data:`CLIENT_GONE`.
    """
    try:
        return await handler(request)
    except Problem as problem:
        return problem.response(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return from_http(exc, request).response(request)
    except DedupError as exc:
        return from_library(exc).response(request)
    except web.RequestPayloadError as exc:
        return undecodable(exc).response(request)
    except ConnectionResetError:
        if request.transport is None or request.transport.is_closing():
            LOG.info("the client left before its answer: %s %s", request.method, request.path)
            return web.Response(status=CLIENT_GONE)
        return _failed(request)
    except Exception:
        return _failed(request)


def _failed(request: web.Request) -> web.Response:
    """The 500 of an error the service did not expect, logged with its traceback."""
    LOG.exception("unhandled error answering %s %s", request.method, request.path)
    return Problem(500, FAILED).response(request)
