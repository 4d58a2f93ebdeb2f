"""A list as one JSON text, the parameter of SQLite's ``json_each(?)``.

Lookups of several rows at once send their ids or handles as one JSON array (no SQLite
variable limit to chunk under, one cached statement). A post's writer and its report make
several such lookups, each of a few values: ``json.dumps`` took 1.5-2.1 us a list there,
``orjson`` 0.16 us (by hand, session 36 of ``docs/performance-log.md``). SQLite reads both
spellings as the same values; a string ``orjson`` refuses (a lone surrogate) goes through
``json.dumps``, as every list did before.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import orjson


def json_array(values: Sequence[str] | Sequence[int]) -> str:
    """``values`` (strings or Python ints) as a JSON array."""
    items = list(values)
    try:
        return orjson.dumps(items).decode()
    except orjson.JSONEncodeError:
        return json.dumps(items)
