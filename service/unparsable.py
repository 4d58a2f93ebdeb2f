"""Requests aiohttp's parser rejects, answered as problems like every other error.

A request line or header over 8 KiB (a path with a 20,000-character id), a broken chunk, a
``Content-Encoding`` the server cannot decode (``br``, ``zstd``), bytes that are not HTTP: the
parser rejects these before any handler or middleware runs, and aiohttp answers them itself in
``RequestHandler.handle_error``, in ``text/plain``, after logging a traceback for each. A client
owed an ``application/problem+json`` body got text, and one bad client could fill the log.

aiohttp has no public hook for that answer, so each connection's handler is made of a subclass
whose ``handle_error`` answers with :class:`~service.problems.Problem`, logs a client's error
in one line and has the app's metrics count it. The seam is two methods, ``Server.__call__``
(which makes a connection's handler) and ``RequestHandler.handle_error``;
``tests/test_service_unparsable.py`` sends each kind of request and fails if an aiohttp
release moves either.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web
from aiohttp.http_exceptions import ContentEncodingError

from service.problems import FAILED, Problem

LOG = logging.getLogger("service")

#: The content codings a body may come in: what aiohttp decodes without optional packages.
ACCEPTED_ENCODINGS = "gzip, deflate"


def answer_unparsable_as_problems(
    server: web.Server, refused: Callable[[Problem], None] | None = None
) -> None:
    """Make the connections ``server`` opens from now on answer parser errors as problems,
    each of a 4xx told to ``refused`` too (the app's metrics count them: no route saw them).

    Called once the runner is set up (``runner.server``); connections made before keep
    aiohttp's handler, so call it before the site starts taking connections when it can.
    The classes are made per call, to hold ``refused``: a handler has slots and no room.
    """

    class Handler(_ProblemHandler):
        __slots__ = ()

        def refused(self, problem: Problem) -> None:
            if refused is not None:
                refused(problem)

    class ProblemServer(web.Server):
        __slots__ = ()  # the same layout as web.Server's, whether or not it declares slots

        def __call__(self) -> web.RequestHandler:
            handler = super().__call__()
            handler.__class__ = Handler  # the same slots: only methods differ
            return handler

    server.__class__ = ProblemServer


class _ProblemHandler(web.RequestHandler):
    __slots__ = ()

    def refused(self, problem: Problem) -> None:
        """Told of each request the parser refused, once its problem is made."""

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
            return Problem(status, FAILED, close=True).response()
        problem = _rejected(status, exc, message)
        LOG.info("refused an unparsable request from %s: %s", request.remote, problem.detail)
        self.refused(problem)
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
