"""A rolling live story from one outlet: each update puts a new paragraph on top, keeps the
three before it and ends with the same background paragraph. Updates far apart share only the
background, so counted as copies of a first founder they were three stories by the sixth
update and the background was learned as the outlet's boilerplate, cut from every update.
Each update shares paragraphs word for word with the next, though: chained by them, the
updates are one story, whatever order their ids sort in, and the background stays theirs.
Unrelated articles are chained by nothing, so a footer under them (and under such stories)
is still learned; nor does a "Read more: ..." line two of them share chain them."""

from __future__ import annotations

import random
from collections.abc import Sequence

from _boilerplate_support import FOOTER, body, sentence

from dedup.boilerplate import BoilerplateModel
from dedup.types import Document


def rolling(ids: list[str], seed: int, tail: Sequence[str] = ()) -> list[Document]:
    """Updates of one story, the k-th with id ``ids[k]``: 25-45-word paragraphs on top of a
    47-word background."""
    rng = random.Random(seed)
    background = sentence(rng, 47)
    ledes: list[str] = []
    docs = []
    for k, doc_id in enumerate(ids):
        ledes = [f"UPDATE {k + 1}: " + sentence(rng, rng.randint(25, 45)), *ledes][:3]
        docs.append(Document(doc_id, "\n\n".join([*ledes, background, *tail]), "courier"))
    return docs


def removed(documents: list[Document]) -> set[str]:
    model = BoilerplateModel()
    entries = model.observe_many(documents)
    return {occ.text for found in model.judge(entries) for occ in found}


def test_the_background_of_a_rolling_story_is_not_boilerplate() -> None:
    assert removed(rolling([f"live-{k}" for k in range(6)], seed=1)) == set()


def test_updates_chain_into_one_story_whatever_order_their_ids_sort_in() -> None:
    ids = ["live-d", "live-a", "live-f", "live-b", "live-e", "live-c"]
    assert removed(rolling(ids, seed=2)) == set()


def test_a_footer_under_two_rolling_stories_and_an_article_is_still_learned() -> None:
    first = rolling([f"a-{k}" for k in range(6)], seed=3, tail=FOOTER)
    second = rolling([f"b-{k}" for k in range(6)], seed=4, tail=FOOTER)
    article = Document("c-0", "\n\n".join([*body(5), *FOOTER]), "courier")
    assert set(FOOTER) <= removed([*first, *second, article])


def test_a_read_more_line_two_articles_share_does_not_chain_them() -> None:
    more = "Read more: How the council rebuilt the old harbour bridge in a single winter"
    articles = [
        Document(f"c-{k}", "\n\n".join([*body(k), *([more] if k < 2 else []), *FOOTER]), "courier")
        for k in range(3)
    ]
    assert set(FOOTER) <= removed(articles)
