"""Updates of a developing story: a short new lede above the same long background paragraph,
posted again and again by one outlet. The background is the story, not the outlet's chrome:
it is never stripped, and the updates stay near duplicates of the first in one cluster.

Counting stories by whole texts is what keeps it so: the updates are alike whole (the
background is most of each), so however many there are they count as one story. A rule that
told stories apart by their text without the judged paragraph (their ledes, which share
nothing) learned the background as boilerplate at the fourth update and dissolved the cluster;
it was tried to let six-word briefs under a 27-word footer learn the footer, and reverted: by
counting, the two shapes cannot be told apart, and eating a story's text is the worse error."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup import Document
from dedup.collection import Collection
from tests._index_support import text

BACKGROUND = text(4242, 60) + "."


def update(k: int) -> Document:
    lede = f"UPDATE {k}: {text(5000 + k, 8)}."
    return Document(f"quake-{k}", f"{lede}\n\n{BACKGROUND}", "daily", f"2024-05-01T0{k}:00:00Z")


@pytest.fixture
def updated(tmp_path: Path) -> Collection:
    collection = Collection.open(tmp_path / "c.db")
    for k in range(5):
        collection.post(update(k))
    return collection


def test_the_background_is_not_stripped_from_any_update(updated: Collection) -> None:
    assert updated.check(update(5)).boilerplate == ()


def test_every_update_stays_in_the_first_ones_cluster(updated: Collection) -> None:
    assert {updated.get(f"quake-{k}").cluster for k in range(5)} == {"quake-0"}


def test_a_later_update_is_a_near_duplicate_of_the_first(updated: Collection) -> None:
    verdict = updated.check(update(5))
    assert (verdict.status, verdict.duplicate_of) == ("near_duplicate", "quake-0")
