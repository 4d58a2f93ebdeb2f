"""Values made in one process of the service and used in another: a preparation that
crosses packed (:class:`Packed`), and a pending post stripped of what its report does not
read (:func:`bare_pending`)."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

import numpy as np

from dedup.boilerplate.store import DocumentEntry
from dedup.collection import Pending, Prepared

T = TypeVar("T")

_NO_SIGNATURE = np.empty(0, dtype=np.uint32)


@dataclass(frozen=True, slots=True)
class Packed(Generic[T]):
    """A value pickled in the process that made it, unpickled only in the one that uses it.

    A post's preparation is made by a reader's process and used by the writer's; the
    service's own process only hands it on. It used to unpickle the preparation and pickle it
    again (its boilerplate entry is about 12 KB for a news article): ``ForkingPickler.dumps``
    was a fifth of that process's samples holding the interpreter lock at 16 clients (py-spy
    ``--gil``). As bytes it is copied, not rebuilt: at 16 clients the service's writer thread
    and reader threads spent 0.45-0.56 ms of CPU a post with it against 0.63-0.75 ms before
    (four alternating pairs of ``benchmarks/service_load.py``; ``docs/performance-log.md``,
    session 13).
    """

    blob: bytes

    @classmethod
    def of(cls, value: T) -> Packed[T]:
        return cls(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def unpack(self) -> T:
        value: T = pickle.loads(self.blob)
        return value


#: A post's preparation as a reader hands it over: made here, or packed in a reader's process.
Preparation = Prepared | Packed[Prepared]


def unpacked(preparation: Preparation) -> Prepared:
    """The :class:`Prepared` itself, unpacked if it came packed."""
    return preparation.unpack() if isinstance(preparation, Packed) else preparation


def bare_pending(pending: Pending) -> Pending:
    """``pending`` without its boilerplate entry and compressed text, which a report does not
    read. The entry is the costliest part of a pending post to pickle: for a news article
    about 0.02 ms to pickle and 0.03 ms to unpickle as columns (:mod:`dedup._pickling`), 0.08
    and 0.07 ms the generic way (``python -m benchmarks.crossing``, with and without it)."""
    ready = pending.prepared
    bare = DocumentEntry(ready.doc.id, ready.doc.source, _NO_SIGNATURE, ())
    return replace(pending, prepared=replace(ready, entry=bare, compressed=None))
