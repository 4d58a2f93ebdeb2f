"""The signed masked forms of ``bp_forms`` inverted in memory: by band key (:class:`Forms`,
the forms near a paragraph) and by masked key (:class:`FormKeys`, a writer's only). Kept
current like the carriers: :mod:`dedup.boilerplate.sqlite_lookups` says how and why.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np

from dedup._int64 import unsigned
from dedup.boilerplate._inversion import FORM, Inversion

_CACHED_FORMS = 4096  # forms kept with their shingles (cleared when full)


class Forms(Inversion):
    """Band key -> the stored signed forms with that band key; see the module docstring."""

    _TABLE = "bp_forms"
    _COLUMNS = "bands"
    _KIND = FORM

    def _reset(self) -> None:
        super()._reset()
        # seq -> (masked key, shingles) of forms read: a form never changes once committed,
        # and the footers of a busy source are found by most posts.
        self.cache: dict[int, tuple[int, np.ndarray]] = {}

    def _forms(
        self, conn: sqlite3.Connection, seqs: list[int]
    ) -> dict[int, tuple[int, np.ndarray]]:
        """The masked key and shingles of the forms of ``seqs`` still stored."""
        base = self if self._base is None else self._base
        if not isinstance(base, Forms):  # pragma: no cover - a view's base is a Forms
            raise TypeError("a forms view over another inversion")
        cache = base.cache
        found = {seq: cache[seq] for seq in seqs if seq in cache}
        wanted = [seq for seq in seqs if seq not in found]
        if wanted:
            marks = ",".join("?" * len(wanted))
            for seq, masked, blob in conn.execute(
                f"SELECT seq, masked, shingles FROM bp_forms WHERE seq IN ({marks})", wanted
            ):
                form = (unsigned(masked), np.frombuffer(blob, "<u8"))
                found[seq] = form
                # Only forms the base has read are committed: a view's may be rolled back,
                # and their seq given to another form.
                if seq <= base.last:
                    if len(cache) >= _CACHED_FORMS:
                        cache.clear()
                    cache[seq] = form
        return found

    def find(
        self, conn: sqlite3.Connection, bands: Sequence[np.ndarray]
    ) -> list[list[tuple[int, np.ndarray]]]:
        """``(masked key, masked shingles)`` of the living forms sharing a band key with each
        array of ``bands``, in masked key order; the shingles are read from ``conn``."""
        out: list[list[tuple[int, np.ndarray]]] = [[] for _ in bands]
        owners, numbers = self._living(*self.postings.find_each(bands))
        if owners.shape[0] == 0:
            return out
        seqs = self._seqs_of(numbers)
        forms = self._forms(conn, np.unique(seqs).tolist())
        for q, seq in zip(owners.tolist(), seqs.tolist(), strict=True):
            form = forms.get(seq)
            if form is not None:
                out[q].append(form)
        for found in out:
            found.sort(key=lambda form: form[0])
        return out


class FormKeys(Inversion):
    """Masked key -> the stored form of that masked text (one living at most)."""

    _TABLE = "bp_forms"
    _COLUMNS = "masked"
    _KIND = FORM

    def _hashes(self, rows: list[tuple[object, ...]]) -> tuple[np.ndarray, np.ndarray]:
        masked = np.array([row[1] for row in rows], dtype=np.int64).view(np.uint64)
        return masked, np.ones(len(rows), dtype=np.int64)

    def of_masked(self, keys: Sequence[int]) -> list[int | None]:
        """The ``seq`` of the living form of each masked key (unsigned), or None."""
        which, numbers = self._living(*self.postings.find(np.array(keys, dtype=np.uint64)))
        out: list[int | None] = [None] * len(keys)
        for q, seq in zip(which.tolist(), self._seqs_of(numbers).tolist(), strict=True):
            found = out[q]
            out[q] = seq if found is None else min(found, seq)
        return out
