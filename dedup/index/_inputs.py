"""What goes into an index, checked: documents with ids the service would take, and fingerprints
that can come from the index's config (made here, lazily, when the caller gives none)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from dedup.config import Config
from dedup.errors import InputError
from dedup.fields import id_problem
from dedup.fingerprint import Fingerprint, Fingerprinter
from dedup.index.base import QueryInput
from dedup.io import stored_document
from dedup.types import Document

#: Documents written per step of :meth:`IndexCore.add_many`. Large steps pay: each probes and
#: inserts its band keys in sorted order, so the bigger the step, the more of them land on the
#: same B-tree pages (measured at 100,000 documents into SQLite: 16,000 per step takes 30 % less
#: CPU than 1,000). Texts are fingerprinted :data:`FINGERPRINT_BATCH` at a time.
CHUNK = 10_000
FINGERPRINT_BATCH = 1000


class Inputs:
    """Checks and fingerprints an index's inputs under its :class:`Config`."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._fingerprinter: Fingerprinter | None = None  # made at the first text

    def chunks(
        self, documents: Iterable[Document], fingerprints: Iterable[Fingerprint] | None
    ) -> Iterator[tuple[list[Document], list[Fingerprint]]]:
        """``documents`` checked, :data:`CHUNK` at a time, each with its fingerprint."""
        docs: list[Document] = []
        fp_iter = iter(fingerprints) if fingerprints is not None else None
        for given in documents:
            doc = stored_document(given)
            # Every way into an index keeps the readers' and the service's rule on ids.
            problem = id_problem(doc.id) if isinstance(doc.id, str) else "is not a string"
            if problem is not None:
                raise InputError(f"id {doc.id!r} {problem}")
            docs.append(doc)
            if len(docs) == CHUNK:
                yield docs, self._fingerprints_for(docs, fp_iter)
                docs = []
        if docs:
            yield docs, self._fingerprints_for(docs, fp_iter)
        if fp_iter is not None and next(fp_iter, None) is not None:
            raise InputError("more fingerprints than documents")

    def fingerprint(self, query: QueryInput) -> Fingerprint:
        """The fingerprint of a query: given (and checked), or made from its text."""
        if isinstance(query, Fingerprint):
            return self.check(query)
        if isinstance(query, Document):
            return next(self._fingerprint_texts([query.text]))
        if isinstance(query, str):
            return next(self._fingerprint_texts([query]))
        raise InputError(
            f"query must be a text, Fingerprint or Document, got {type(query).__name__}"
        )

    def check(self, fp: Fingerprint) -> Fingerprint:
        """Refuse a fingerprint that cannot come from this index's config."""
        if not isinstance(fp, Fingerprint):
            raise InputError(f"expected a Fingerprint, got {type(fp).__name__}")
        if fp.signature.shape != (self.config.num_perm,) or fp.seed != self.config.seed:
            raise InputError(
                f"fingerprint has {fp.signature.shape[-1]} permutations and seed {fp.seed}; "
                f"this index uses {self.config.num_perm} and seed {self.config.seed}"
            )
        return fp

    def _fingerprints_for(
        self, docs: list[Document], fp_iter: Iterator[Fingerprint] | None
    ) -> list[Fingerprint]:
        if fp_iter is None:
            return [
                fp
                for i in range(0, len(docs), FINGERPRINT_BATCH)
                for fp in self._fingerprint_texts([d.text for d in docs[i : i + FINGERPRINT_BATCH]])
            ]
        fps = [self.check(fp) for fp in (next(fp_iter, None) for _ in docs) if fp is not None]
        if len(fps) != len(docs):
            raise InputError("fewer fingerprints than documents")
        return fps

    def _fingerprint_texts(self, texts: Sequence[str]) -> Iterator[Fingerprint]:
        if self._fingerprinter is None:
            self._fingerprinter = Fingerprinter(self.config)
        return iter(self._fingerprinter.fingerprint(texts))
