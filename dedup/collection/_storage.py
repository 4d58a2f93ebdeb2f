"""A collection's reads that meet a failing or damaged file raise the library's errors.

The index's transactions turn SQLite's errors that speak of the file (full, an I/O error,
damaged, not writable) into :class:`~dedup.errors.StorageError` and the like, naming it. Reads
run outside transactions, so an I/O error or a damaged page met while checking, reporting or
getting a document came out as a bare :class:`sqlite3.DatabaseError`: a traceback at the
command line, a 500 from the service, and across a process boundary SQLite's error code is
lost. :func:`storage_errors` translates them at the collection's public methods.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from dedup.index import SQLiteIndex

P = ParamSpec("P")
R = TypeVar("R")


class _OnIndex(Protocol):
    index: SQLiteIndex


S = TypeVar("S", bound=_OnIndex)


def storage_errors(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """``method``, its SQLite errors about the file raised as the library's (others as they are)."""

    @functools.wraps(method)
    def translating(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.index.storage_errors_raised():
            return method(self, *args, **kwargs)

    return translating
