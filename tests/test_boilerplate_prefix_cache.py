"""The kept prefixes and story counts are bounded: when full, the one used longest ago is
dropped for the next, and the rest are kept."""

from __future__ import annotations

import pytest

from dedup.boilerplate import _prefixes
from dedup.boilerplate._prefixes import Prefixes, keep, recent


@pytest.fixture
def three(monkeypatch: pytest.MonkeyPatch) -> Prefixes:
    """Prefixes that keep three."""
    monkeypatch.setattr(_prefixes, "ENTRIES", 3)
    return Prefixes()


def test_a_full_cache_drops_the_prefix_used_longest_ago(three: Prefixes) -> None:
    for key in (1, 2, 3):
        three.put(key, "north", [(f"d{key}", key)])
    assert three.get(1, "north") is not None  # used: now the last to go
    three.put(4, "north", [("d4", 4)])
    assert [k for k in (1, 2, 3, 4) if three.get(k, "north") is not None] == [1, 3, 4]


def test_putting_a_kept_prefix_again_drops_none(three: Prefixes) -> None:
    for key in (1, 2, 3):
        three.put(key, "north", [(f"d{key}", key)])
    three.put(2, "north", [("e2", 2)])
    assert [three.get(k, "north") is not None for k in (1, 2, 3)] == [True, True, True]
    prefix = three.get(2, "north")
    assert prefix is not None and prefix.ids == ["e2"]


def test_a_removal_after_a_prefix_was_dropped_updates_the_kept_ones(three: Prefixes) -> None:
    three.put(1, "south", [("a", 10), ("b", 11)])
    for key in (2, 3, 4):  # the first is dropped
        three.put(key, "north", [("a", 20 + key)])
    three.removed("a", "south", 10)
    three.removed("a", "north", 23)
    kept = three.get(3, "north")
    assert three.get(1, "south") is None and kept is not None and kept.ids == []


def test_recent_moves_a_key_last_and_keep_drops_the_first() -> None:
    kept = {"a": 1, "b": 2}
    assert recent(kept, "a") == 1 and recent(kept, "z") is None
    assert list(kept) == ["b", "a"]
    assert keep(kept, "c", 3, most=2) == "b"
    assert kept == {"a": 1, "c": 3}
    assert keep(kept, "a", 5, most=2) is None
    assert list(kept.items()) == [("c", 3), ("a", 5)]
