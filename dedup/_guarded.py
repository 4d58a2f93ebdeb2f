"""Reads that meet a failing or damaged file raise the library's errors, not SQLite's.

The index's transactions turn SQLite's errors that speak of the file (full, an I/O error,
damaged, not writable) into :class:`~dedup.errors.StorageError` and the like, naming it
(:class:`dedup.index._connect.storage_errors_raised`). Reads run outside transactions, so an
I/O error or a damaged page met while checking, reporting, getting a document or judging
boilerplate came out as a bare :class:`sqlite3.DatabaseError`: a traceback at the command
line, a 500 from the service, and across a process boundary SQLite's error code is lost.
:func:`storage_errors` translates them at the public methods of the objects that read the file
(a collection's verbs, the boilerplate store a collection's model reads through), each with
the guard of its file.

:func:`one_snapshot` does the same for the read-only verbs, and runs them in one read snapshot
of the file besides (:mod:`dedup._snapshot`): a check or a view reads a dozen tables, and a
writer's commit between two of those reads tore the answer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Concatenate, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class Guarded(Protocol):
    """An object over one file: ``_guard()`` is a block that translates its storage errors."""

    _guard: Callable[[], AbstractContextManager[None]]


G = TypeVar("G", bound=Guarded)


class Snapshotted(Guarded, Protocol):
    """A :class:`Guarded` object whose ``_snapshot()`` is a block of reads that all see its
    file as it was at one moment (:meth:`dedup.index.SQLiteIndex.reading`)."""

    _snapshot: Callable[[], AbstractContextManager[None]]


S = TypeVar("S", bound=Snapshotted)


def storage_errors(method: Callable[Concatenate[G, P], R]) -> Callable[Concatenate[G, P], R]:
    """``method``, its SQLite errors about the file raised as the library's (others as they are)."""

    @functools.wraps(method)
    def translating(self: G, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._guard():
            return method(self, *args, **kwargs)

    return translating


def one_snapshot(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """``method`` as :func:`storage_errors` makes it, its reads in one snapshot of the file
    (for the verbs that write nothing: a write inside is refused)."""

    @functools.wraps(method)
    def reading(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._guard(), self._snapshot():
            return method(self, *args, **kwargs)

    return reading
