"""Pickling of the frozen dataclasses that cross between a service's processes.

A frozen dataclass with slots pickles through the ``__getstate__``/``__setstate__`` that
:mod:`dataclasses` writes for it: both call :func:`dataclasses.fields` and go through the fields
one ``getattr``/``object.__setattr__`` at a time, in Python; and a NumPy array through a
``__reduce_ex__`` written in Python too. A post's preparation holds about fifteen such objects
and two dozen arrays (its boilerplate entry's paragraphs), and a service pickles it in a
reader's process and unpickles it in the writer's, then sends the pending post back and on to
a reader. :func:`by_fields` pickles an instance as its class called with its fields in order,
which :mod:`pickle` does in C but for one ``attrgetter``; :func:`array_state` an array as its
bytes, dtype and shape. ``python -m benchmarks.crossing`` compares both with the generic way:
a preparation 2.3-2.5 times cheaper to pickle and unpickle, a pending post without its
entry 1.5-1.7 times (three runs, 2026-11-27)."""

from __future__ import annotations

import dataclasses
import operator
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


def by_fields(cls: type[T]) -> type[T]:
    """Pickle ``cls``'s instances as ``cls(*fields)`` (a class decorator, outside
    ``@dataclass``). Every field must be an ``__init__`` parameter, in field order, and
    ``__init__`` must keep what it is given: the unpickled instance is built by it."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if any(not f.init for f in fields):
        raise TypeError(f"{cls.__name__}: a field outside __init__ cannot be pickled by fields")
    names = [f.name for f in fields]
    get = operator.attrgetter(*names)

    if len(names) == 1:

        def reduce(self: object) -> tuple[Any, tuple[Any, ...]]:
            return cls, (get(self),)

    else:

        def reduce(self: object) -> tuple[Any, tuple[Any, ...]]:
            return cls, get(self)

    reduce.__qualname__ = f"{cls.__qualname__}.__reduce__"
    setattr(cls, "__reduce__", reduce)  # noqa: B010 - a slotted class, after @dataclass
    return cls


#: An array as :func:`array_state` pickles it: its bytes, dtype and shape (or the array itself,
#: if it holds Python objects).
ArrayState = tuple[bytes, str, tuple[int, ...]] | np.ndarray


def array_state(array: np.ndarray) -> ArrayState:
    """What pickles ``array`` fast: its bytes, dtype and shape (:func:`array_of` undoes it)."""
    if array.dtype.hasobject:
        return array
    return array.tobytes(), array.dtype.str, array.shape


def array_of(state: ArrayState) -> np.ndarray:
    """The array of :func:`array_state`, writable as any array unpickled (a copy of the
    bytes: arrays on them would be read-only)."""
    if isinstance(state, np.ndarray):
        return state
    raw, dtype, shape = state
    return np.frombuffer(bytearray(raw), dtype=dtype).reshape(shape)
