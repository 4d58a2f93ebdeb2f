"""What a post costs to send between the service's processes: pickled by fields, against the
generic way.

Every post crosses three times as a pickle: its preparation from a reader's process to the
writer's (:class:`dedup.collection.Prepared`, with the boilerplate entry of about a dozen
paragraphs), the pending post back to the service's process and on to a reader's for its
passages (:class:`dedup.collection.Pending`, without the entry: ``service.remote.bare_pending``).
The crossing dataclasses pickle as their class called with their fields, the entry's paragraph
arrays joined into one of each kind, and arrays as their bytes (:mod:`dedup._pickling`). The
baseline, measured in the same run, is how they pickled before: the ``__getstate__`` and
``__setstate__`` that :mod:`dataclasses` writes for frozen slotted classes, and NumPy's own
reduction of every array (their ``__reduce__`` taken off for the while: :func:`generic_way`).

Both ways must unpickle to the same values. Prints microseconds per object (pickling,
unpickling; median of ``--rounds`` rounds over ``--docs`` news articles) and their ratios.

Run: ``python -m benchmarks.crossing [--docs 200] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import dataclasses
import pickle
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

import dedup.boilerplate.store
import dedup.boilerplate.strip
import dedup.collection.reports
import dedup.fingerprint
import dedup.index.base
import dedup.types
from benchmarks._common import machine
from dedup.collection import Collection, Pending
from dedup.synth.news import news_corpus
from dedup.types import Document
from service.crossing import bare_pending

_PROTOCOL = pickle.HIGHEST_PROTOCOL


#: The modules of the dataclasses that cross, each pickled its own way now.
_MODULES = (
    dedup.types,
    dedup.fingerprint,
    dedup.boilerplate.store,
    dedup.boilerplate.strip,
    dedup.index.base,
    dedup.collection.reports,
)


@contextmanager
def generic_way() -> Iterator[None]:
    """Inside the block, the crossing dataclasses pickle as they did before: their own
    ``__reduce__`` is taken off, leaving the ``__getstate__``/``__setstate__`` that
    :mod:`dataclasses` writes, and NumPy's reduction of their arrays."""
    own = {
        cls: cls.__dict__["__reduce__"]
        for module in _MODULES
        for cls in vars(module).values()
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) and "__reduce__" in cls.__dict__
    }
    for cls in own:
        delattr(cls, "__reduce__")
    try:
        yield
    finally:
        for cls, reduce in own.items():
            setattr(cls, "__reduce__", reduce)  # noqa: B010 - a method, put back


def dumps(value: object) -> bytes:
    return pickle.dumps(value, protocol=_PROTOCOL)


def _time(work: Callable[[], object], count: int, rounds: int) -> float:
    """Median microseconds per object of ``work`` over ``count`` objects."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) / count * 1e6)
    return statistics.median(times)


def _equal(a: object, b: object) -> bool:
    """Field by field, arrays by value and dtype."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and np.array_equal(a, b)
        )
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            _equal(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    if isinstance(a, tuple | list):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(_equal(x, y) for x, y in zip(a, b, strict=True))
        )
    return a == b


def compare(name: str, values: Sequence[object], rounds: int) -> None:
    """Time both ways over ``values`` and check they unpickle alike."""
    with generic_way():
        old = [dumps(v) for v in values]
    new = [dumps(v) for v in values]
    for value, a, b in zip(values, old, new, strict=True):
        if not (_equal(pickle.loads(a), value) and _equal(pickle.loads(b), value)):
            raise SystemExit(f"{name}: a value did not pickle back to itself")
    n = len(values)
    with generic_way():
        dump_old = _time(lambda: [dumps(v) for v in values], n, rounds)
        load_old = _time(lambda: [pickle.loads(b) for b in old], n, rounds)
    dump_new = _time(lambda: [dumps(v) for v in values], n, rounds)
    load_new = _time(lambda: [pickle.loads(b) for b in new], n, rounds)
    size_old = sum(map(len, old)) // n
    size_new = sum(map(len, new)) // n
    ratio = (dump_old + load_old) / (dump_new + load_new)
    print(
        f"| {name} | {size_new:,} ({size_old:,}) | {dump_new:.1f} ({dump_old:.1f}) "
        f"| {load_new:.1f} ({load_old:.1f}) | {ratio:.2f}x |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=200, help="news articles")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, median taken")
    args = parser.parse_args()
    docs = [
        Document(f"x-{d.id}", d.text, d.source, d.published, d.title)
        for d in news_corpus(args.docs, seed=3, fresh_bodies=True)
    ]
    with tempfile.TemporaryDirectory() as tmp, Collection.open(Path(tmp) / "c.db") as collection:
        prepared = [collection.prepare(d) for d in docs]
        pending: list[Pending] = [collection.post_pending(p.doc, prepared=p) for p in prepared]
    print(machine())
    print(f"\n{args.docs} news articles, microseconds an object (the generic way in brackets):\n")
    print("| object | bytes | pickle | unpickle | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    compare("a preparation (reader to writer)", prepared, args.rounds)
    compare("a pending post with its entry", pending, args.rounds)
    bare = [bare_pending(p) for p in pending]
    compare("a pending post, bare (writer to reader)", bare, args.rounds)
    compare("its verdict", [p.verdict for p in pending], args.rounds)
    compare("a document", docs, args.rounds)


if __name__ == "__main__":
    main()
