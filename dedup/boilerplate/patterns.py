"""What a boilerplate model reports of a corpus: its patterns, who carries them, and the
union-find that groups the boilerplate paragraphs found into patterns
(:meth:`dedup.boilerplate.model.BoilerplateModel.patterns`)."""

from __future__ import annotations

from dataclasses import dataclass

from dedup.boilerplate.store import KeyKind


@dataclass(frozen=True, slots=True)
class Carriers:
    """Who carries a paragraph's pattern: stored document ids and their sources, sorted."""

    documents: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Pattern:
    """One boilerplate pattern: a representative original paragraph and who carries it."""

    text: str
    documents: tuple[str, ...]
    sources: tuple[str, ...]

    def to_record(self) -> dict[str, object]:
        """The ``boilerplate.jsonl`` record: ``{"text", "documents", "sources"}``."""
        return {"text": self.text, "documents": list(self.documents), "sources": list(self.sources)}


def carriers_of(found: dict[str, str | None]) -> Carriers:
    """``{id: source}`` as :class:`Carriers`."""
    sources = sorted({s for s in found.values() if s is not None})
    return Carriers(tuple(sorted(found)), tuple(sources))


class Groups:
    """Union-find over found occurrences, joined by equal keys and near-duplicate forms."""

    def __init__(self) -> None:
        self._parent: list[int] = []
        self._first: dict[tuple[KeyKind, int], int] = {}

    def _find(self, i: int) -> int:
        while self._parent[i] != i:
            self._parent[i] = self._parent[self._parent[i]]
            i = self._parent[i]
        return i

    def _join(self, i: int, kind: KeyKind, key: int) -> None:
        other = self._first.setdefault((kind, key), i)
        a, b = self._find(i), self._find(other)
        if a != b:
            self._parent[max(a, b)] = min(a, b)

    def add(self, i: int, keys: list[tuple[KeyKind, int]]) -> None:
        """Add occurrence ``i`` (numbered from 0 in order) with every key it matches under."""
        self._parent.append(i)
        for kind, key in keys:
            self._join(i, kind, key)

    def members(self) -> list[list[int]]:
        """The groups, each a sorted list of occurrence numbers."""
        groups: dict[int, list[int]] = {}
        for i in range(len(self._parent)):
            groups.setdefault(self._find(i), []).append(i)
        return list(groups.values())
