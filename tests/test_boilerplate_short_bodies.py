"""Short articles under a long footer: a story count leaves the judged paragraph out, so six
words of news under a 27-word footer are stories of their own and the footer is learned, while
copies of one story, cut to different lengths, still count once. Each test runs over a store in
memory (the bulk job's) and over one in a SQLite file (a collection's): they must agree."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from dedup.boilerplate import BoilerplateModel
from dedup.boilerplate.sqlite_store import SQLiteBoilerplateStore
from dedup.types import Document
from tests._collection_support import OUTLET_FOOTER, brief_post
from tests._index_support import text


@pytest.fixture(params=["memory", "sqlite"])
def model(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BoilerplateModel]:
    """A model over a fresh store, in memory or in a SQLite file."""
    if request.param == "memory":
        yield BoilerplateModel()
        return
    conn = sqlite3.connect(tmp_path / "bp.db", isolation_level=None)
    store = SQLiteBoilerplateStore(conn)
    store.create()
    yield BoilerplateModel(store=store)
    conn.close()


def footer_judged(model: BoilerplateModel, stored: list[Document]) -> bool:
    """Whether, with ``stored`` learned, the footer of a new brief of the outlet (not stored,
    as a collection judges a post) is boilerplate."""
    model.observe_many(stored)
    entry = model.build([brief_post(99)])[0]
    return any(occ.text == OUTLET_FOOTER for occ in model.judge([entry])[0])


def test_three_short_stories_make_a_long_footer_boilerplate(model: BoilerplateModel) -> None:
    """Compared whole, three briefs were copies of one story (the footer is most of each)."""
    assert footer_judged(model, [brief_post(n) for n in range(3)])


def test_two_short_stories_do_not(model: BoilerplateModel) -> None:
    assert not footer_judged(model, [brief_post(n) for n in range(2)])


def test_copies_of_one_story_cut_to_different_lengths_count_once(
    model: BoilerplateModel,
) -> None:
    """A 26-word wire story under the footer, reprinted cut to 18 and 22 words, and one other
    brief: two stories. Without the footer, the 18-word copy and the whole story share 14 of
    30 five-word shingles (Jaccard 0.47: two stories, by that alone); 14 of the shorter one's
    18 are in the other (containment 0.78), which keeps them copies. Whole, 0.70."""
    wire = text(505, 26).split()
    copies = [
        Document(f"wire-{k}", f"{' '.join(wire[:k])}.\n\n{OUTLET_FOOTER}", "brief-outlet")
        for k in (26, 18, 22)
    ]
    assert not footer_judged(model, [*copies, brief_post(0)])


def test_a_page_of_nothing_but_the_footer_holds_no_story(model: BoilerplateModel) -> None:
    """Two briefs and two pages of the footer alone: two stories, not four (nor three, as
    footer-only pages counted as one story would make)."""
    alone = [Document(f"empty-{k}", OUTLET_FOOTER, "brief-outlet") for k in range(2)]
    assert not footer_judged(model, [brief_post(0), brief_post(1), *alone])
