"""Where a shared passage begins and ends in a text: its tokens' spans and the punctuation
attached to them (:func:`widened`, used by :mod:`dedup.align`).

The aligner matches normalised tokens, which leave punctuation out; a passage's character span
is then its first and last tokens' spans, widened here to the punctuation that belongs to them.
"""

from __future__ import annotations

import numpy as np

#: The most punctuation a passage's end takes in: a closing quote, bracket and full stop, an
#: ellipsis; a longer run (a rule of dashes, a row of "!") stays outside.
MAX_ATTACHED = 8


def widened(text: str | None, spans: np.ndarray, first: int, stop: int) -> tuple[int, int]:
    """The character span of tokens ``first`` to ``stop - 1``, with the punctuation attached
    to its ends: the characters between its first token and the white space (or start of
    text) before it, if no other token is among them ("(", an opening quote), and likewise
    after its last token (a full stop, a closing quote). A passage then reads as the sentence
    it copies, "...on the first of March." rather than "...on the first of March", and a
    highlight of it does not leave a stray quote outside.

    Only whole white-space-delimited chunks are taken in, so a passage never reaches into a
    word it does not hold ("U.S." ended after "u" stays "U"), two passages never meet inside
    a chunk, and boilerplate, which is removed in whole paragraphs, is never entered. Without
    ``text``, the tokens' own spans.
    """
    start, end = int(spans[first, 0]), int(spans[stop - 1, 1])
    if text is None:
        return start, end
    lo = start
    floor = int(spans[first - 1, 1]) if first > 0 else 0
    while lo > floor and start - lo <= MAX_ATTACHED and not text[lo - 1].isspace():
        lo -= 1
    if start - lo > MAX_ATTACHED or not (lo == 0 or text[lo - 1].isspace()):
        lo = start  # too long a run, or another token's chunk
    hi = end
    ceiling = int(spans[stop, 0]) if stop < spans.shape[0] else len(text)
    while hi < ceiling and hi - end <= MAX_ATTACHED and not text[hi].isspace():
        hi += 1
    if hi - end > MAX_ATTACHED or not (hi == len(text) or text[hi].isspace()):
        hi = end
    return lo, hi
