"""Faults injected into the library for the tests of what it does when they happen."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

from dedup._postings import Postings


@contextmanager
def adding_pairs_fails() -> Iterator[None]:
    """Inside the block, ``Postings.add_many`` raises :class:`MemoryError`, as it would when
    memory runs out while an in-memory index takes in the rows it has read."""

    def out_of_memory(self: Postings, batches: list[tuple[np.ndarray, np.ndarray]]) -> None:
        raise MemoryError

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Postings, "add_many", out_of_memory)
        yield
