"""Requests aiohttp's parser rejects, answered as problems like every other error.

A request line or header over 8 KiB (a path with a 20,000-character id), a broken chunk, a
``Content-Encoding`` the server cannot decode (``br``, ``zstd``), bytes that are not HTTP: the
parser rejects these before any handler or middleware runs, and aiohttp answers them itself in
``RequestHandler.handle_error``, in ``text/plain``, after logging a traceback for each. A client
owed an ``application/problem+json`` body got text, and one bad client could fill the log.

aiohttp has no public hook for that answer, so each connection's handler is made of a subclass
whose ``handle_error`` answers with :class:`~service.problems.Problem` and logs a client's error
in one line. The seam is two methods, ``Server.__call__`` (which makes a connection's handler)
and ``RequestHandler.handle_error``; ``tests/test_service_unparsable.py`` sends each kind of
request and fails if an aiohttp release moves either.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.http_exceptions import ContentEncodingError

from service.problems import Problem

LOG = logging.getLogger("service")

#: The content codings a body may come in: what aiohttp decodes without optional packages.
ACCEPTED_ENCODINGS = "gzip, deflate"


def answer_unparsable_as_problems(server: web.Server) -> None:
    """Make the connections ``server`` opens from now on answer parser errors as problems.

    Called once the runner is set up (``runner.server``); connections made before keep
    aiohttp's handler, so call it before the site starts taking connections when it can.
    """
    server.__class__ = _ProblemServer


class _ProblemServer(web.Server):
    __slots__ = ()  # the same layout as web.Server's, whether or not it declares slots

    def __call__(self) -> web.RequestHandler:
        handler = super().__call__()
        handler.__class__ = _ProblemHandler  # same slots: only handle_error differs
        return handler


class _ProblemHandler(web.RequestHandler):
    __slots__ = ()

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """The problem answering a request the parser rejected, or a failure past the app.

        A 4xx is the client's error, logged in one line; a 5xx (an error past the app's
        middleware, such as one while sending an answer) keeps aiohttp's logging, traceback
        and all. Once part of an answer is sent, aiohttp's own handling raises as before.
        """
        if status >= 500 or request.writer.output_size > 0:
            super().handle_error(request, status, exc, message)  # logs, or raises if sent
            failed = "the server failed to answer; the error is logged"
            return Problem(status, failed, close=True).response()
        problem = _rejected(status, exc, message)
        LOG.info("refused an unparsable request from %s: %s", request.remote, problem.detail)
        return problem.response()


def _rejected(status: int, exc: BaseException | None, message: str | None) -> Problem:
    """The problem of a request the parser refused; it closes the connection, as where the
    next request would start is not known."""
    said = " ".join((message or str(exc or "")).split())  # aiohttp's message, on one line
    if isinstance(exc, ContentEncodingError):
        # Without its advice to install a decoder: that is for the server's owner.
        said = said.partition(". Please install")[0]
        detail = (
            f"the body's Content-Encoding cannot be decoded here ({said}); "
            f"send it as {ACCEPTED_ENCODINGS} or identity"
        )
        headers = {"Accept-Encoding": ACCEPTED_ENCODINGS}
        return Problem(415, detail, kind="unsupported-encoding", headers=headers, close=True)
    detail = f"the request could not be parsed as HTTP/1.1: {said or 'malformed'}"
    return Problem(status, detail, kind="unparsable-request", close=True)
