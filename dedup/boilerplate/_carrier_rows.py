"""Array helpers of :class:`dedup.boilerplate.sqlite_lookups.Carriers`: each row's source as a
small integer, and grouping the row numbers a lookup found by key.

Listing one source's carriers of a key used to walk every carrier of the key in Python and
compare sources one by one. A key as common as a date line's masked form is carried by
thousands of documents of every source, so the first judgement of such a key in a source
(each writer's, and again whenever its prefix is rebuilt, :mod:`dedup.boilerplate._prefixes`)
took 17-27 ms of the writer's CPU for one post on session 26's box, where a post takes 3-6.
With each row's source code in an array, NumPy picks out the source's rows first, and only
those are looked at in Python.
"""

from __future__ import annotations

from array import array

import numpy as np
from numba import njit

#: Every source a process has seen, as a code: the same in every inversion and view, so that
#: a view's rows and its base's compare. As many entries as distinct sources, which the
#: inversions hold as strings anyway.
_CODES: dict[str | None, int] = {}


class SourceCodes:
    """The source of each row of one inversion (or view), as a code (see :data:`_CODES`)."""

    __slots__ = ("_codes",)

    def __init__(self) -> None:
        self._codes = array("i")

    def append(self, source: str | None) -> None:
        """The next row's source."""
        code = _CODES.get(source)
        if code is None:
            code = _CODES[source] = len(_CODES)
        self._codes.append(code)

    def of(self, numbers: np.ndarray) -> np.ndarray:
        """The codes of rows ``numbers`` (``int64``, counted from this inversion's first)."""
        codes: np.ndarray = np.frombuffer(self._codes, dtype=np.int32)[numbers]
        return codes


def code_of(source: str | None) -> int | None:
    """The code of ``source``, or None if no row of this process has it."""
    return _CODES.get(source)


@njit(cache=True, nogil=True)
def census_counts(
    which: np.ndarray, values: np.ndarray, held: np.ndarray, most: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``values`` grouped by ``which`` (their key's place among ``held``'s), each group in its
    order, with the groups' bounds; and each key's count: its group's size if it held at most
    ``most`` pairs, else ``held``."""
    n = held.shape[0]
    bounds = np.zeros(n + 1, dtype=np.int64)
    for i in range(which.shape[0]):
        bounds[which[i] + 1] += 1
    for k in range(n):
        bounds[k + 1] += bounds[k]
    grouped = np.empty(which.shape[0], dtype=values.dtype)
    fill = bounds[:n].copy()
    for i in range(which.shape[0]):
        grouped[fill[which[i]]] = values[i]
        fill[which[i]] += 1
    counts = np.empty(n, dtype=np.int64)
    for k in range(n):
        counts[k] = held[k] if held[k] > most else bounds[k + 1] - bounds[k]
    return grouped, bounds, counts


def split_by_key(which: np.ndarray, numbers: np.ndarray, n: int) -> list[np.ndarray]:
    """``numbers`` grouped by ``which`` (their key's place among ``n``)."""
    # A stable sort of small integers is a radix sort: a footer's keys find thousands.
    small = np.int16 if n <= np.iinfo(np.int16).max else np.int64
    order = np.argsort(which.astype(small), kind="stable")
    numbers, which = numbers[order], which[order]
    bounds = np.searchsorted(which, np.arange(n + 1)).tolist()
    return [numbers[bounds[k] : bounds[k + 1]] for k in range(n)]
