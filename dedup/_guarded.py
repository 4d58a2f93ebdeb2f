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


def storage_errors(method: Callable[Concatenate[G, P], R]) -> Callable[Concatenate[G, P], R]:
    """``method``, its SQLite errors about the file raised as the library's (others as they are)."""

    @functools.wraps(method)
    def translating(self: G, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._guard():
            return method(self, *args, **kwargs)

    return translating
