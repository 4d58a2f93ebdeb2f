"""The boilerplate lookups of one connection's file (:class:`Lookups`), current as of each
lookup: the inversions of :mod:`dedup.boilerplate.sqlite_lookups` (whose docstring says how
and why), kept current from the rows appended since, and a transaction's own rows in views.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TypeVar

from dedup._snapshot import writing
from dedup.boilerplate._forms import FormKeys, Forms
from dedup.boilerplate._inversion import Inversion, Told
from dedup.boilerplate.sqlite_lookups import Carriers

_I = TypeVar("_I", bound=Inversion)


class Lookups:
    """The inversions of one connection's file, current as of each lookup.

    Inside a transaction a lookup reads the rows the transaction wrote into a view. With
    ``keep_views``, the owner promises to call :meth:`catch_up` as each transaction begins and
    :meth:`rolled_back` whenever a savepoint rolls back; a transaction's views
    are then kept between lookups and brought up to the rows written since the last one (a
    writer committing posts in batches made two views per post, each reading the batch's rows
    so far): the rows its store tells it it wrote (:meth:`wrote_rows`), or, once the store
    removed any (:meth:`wrote_removals`), those read back from the file.
    """

    def __init__(self, conn: sqlite3.Connection, *, keep_views: bool = False) -> None:
        self._conn = conn
        self._carriers = Carriers()
        self._forms = Forms()
        self._keep = keep_views
        self._kept_carriers: Carriers | None = None
        self._kept_forms: Forms | None = None
        self._form_keys: FormKeys | None = None  # a writer's only: made on first use
        self._kept_form_keys: FormKeys | None = None
        # The carrier and form rows written since the kept views last read (see Told).
        self._told_carriers, self._told_forms = Told(), Told()
        # The forms this transaction made (masked key -> seq) and the seqs it dropped, while
        # known: from a transaction's begin (catch_up, with keep_views) to a rollback.
        self._made: dict[int, int] | None = None
        self._dropped: set[int] = set()

    def refresh(self) -> None:
        """Read what was committed since the last refresh (nothing, inside a write
        transaction: what the connection sees then may be rolled back; up to the snapshot,
        inside a read snapshot: :mod:`dedup._snapshot`)."""
        conn = self._conn
        if writing(conn):
            return
        if conn.in_transaction:
            self.catch_up()
            return
        conn.execute("BEGIN")  # every table from one snapshot
        try:
            self.catch_up()
        finally:
            conn.execute("COMMIT")

    def catch_up(self, writing: bool = False) -> None:
        """Read the rows committed since the last read, in a transaction that has written
        nothing yet (so that everything it sees is committed); ``writing``: a write
        transaction, whose stores look forms up by masked key, so those are read too.

        They used to be made at a writer's first store, inside its transaction: read into
        that transaction's view, then again as the next began, 0.58 s each at 100,000 stored
        documents (by hand), both in the first posts a service answered."""
        self.rolled_back()
        self._carriers.read(self._conn)
        self._forms.read(self._conn)
        if writing and self._form_keys is None:
            self._form_keys = FormKeys()
        if self._form_keys is not None:
            self._form_keys.read(self._conn)
        self._made, self._dropped = ({} if self._keep else None), set()

    def removals_read(self) -> int:
        """The last ``bp_removed.n`` every committed inversion of this connection has read:
        the log may be pruned up to it (:func:`dedup._removal_log.prune`) without this
        connection missing a removal."""
        inversions: list[Inversion] = [self._carriers, self._forms]
        if self._form_keys is not None:
            inversions.append(self._form_keys)
        return min(inversion.last_removed for inversion in inversions)

    def rolled_back(self) -> None:
        """Rows this connection wrote may be gone: views kept so far are dropped, and which
        forms the transaction made is no longer known (:meth:`form_seqs` reads them)."""
        self._kept_carriers = self._kept_forms = self._kept_form_keys = None
        self._made = None
        self.wrote_removals()

    def wrote_rows(self, carrier: tuple[object, ...], forms: list[tuple[object, ...]]) -> None:
        """The connection appended a ``bp_carriers`` row and these ``bp_forms`` rows
        (``(seq, columns...)``, as the inversions read them): the kept views take them."""
        self._told_carriers.add(carrier)
        for form in forms:
            self._told_forms.add(form)

    def wrote_removals(self) -> None:
        """The connection removed rows (or may have): the kept views read the tables back."""
        self._told_carriers.forget()
        self._told_forms.forget()

    def form_seqs(self, keys: Sequence[int]) -> list[int | None]:
        """:meth:`FormKeys.of_masked` as the connection sees the forms now.

        While the transaction's own forms are known (:meth:`made_form`, :meth:`dropped_forms`),
        the committed forms are looked up and those laid over them: a view of the forms by
        masked key, read again before each post's store, cost the writer about 35 us a post
        (session 25 of ``docs/performance-log.md``). Otherwise, from that view."""
        committed, made = self._form_keys, self._made
        if committed is None or made is None or not writing(self._conn):
            return self.form_keys().of_masked(keys)
        dropped = self._dropped
        return [
            made.get(key, None if seq is None or seq in dropped else seq)
            for key, seq in zip(keys, committed.of_masked(keys), strict=True)
        ]

    def made_form(self, masked: int, seq: int) -> None:
        """The transaction made form ``seq`` for masked key ``masked``."""
        if self._made is not None:
            self._made[masked] = seq

    def dropped_forms(self, seqs: set[int] | None) -> None:
        """The transaction dropped the forms of ``seqs`` (None: some, not known which)."""
        if seqs is None:
            self._made = None
        elif self._made is not None and seqs:
            self._dropped |= seqs
            self._made = {key: seq for key, seq in self._made.items() if seq not in seqs}

    def carriers(self) -> Carriers:
        """The carriers as the connection sees them now."""
        found, self._kept_carriers = self._now(
            self._carriers, self._kept_carriers, self._told_carriers
        )
        return found

    def forms(self) -> Forms:
        """The forms as the connection sees them now."""
        found, self._kept_forms = self._now(self._forms, self._kept_forms, self._told_forms)
        return found

    def form_keys(self) -> FormKeys:
        """The forms by masked key as the connection sees them now."""
        if self._form_keys is None:
            self._form_keys = FormKeys()
        found, self._kept_form_keys = self._now(self._form_keys, self._kept_form_keys)
        return found

    def _now(
        self, committed: _I, kept: _I | None, told: Told | None = None
    ) -> tuple[_I, _I | None]:
        """The inversion to look up in, and the view to keep (a transaction's, extended by
        the rows ``told``, if all are known, else read)."""
        conn = self._conn
        if not writing(conn):
            self.refresh()
            return committed, None
        if kept is None:
            view = committed.view(conn)
            if told is not None and self._keep:
                told.known()
            return view, view if self._keep else None
        if told is None:
            kept.read(conn)
        else:
            told.update(kept, conn)
        return kept, kept
