"""Bytes per document of three layouts of the LSH band table, with the same 32 rows per document.

Schema version 1 of the index stored ``bands (band, key, doc)`` as a ``WITHOUT ROWID`` table
whose primary key is the covering index, with integer document handles; this prints what that
choice saved against text ids and against an ordinary rowid table with a separate covering
index. (Version 2 keeps one appended row of band keys per document instead, inverted in
memory: :mod:`dedup.index._bands`.) Keys are random
64-bit integers (as band keys are), inserted in key order in one transaction.

Run: ``python -m benchmarks.index_layout [--docs 100000]``
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from pathlib import Path

import numpy as np

BANDS = 32

LAYOUTS: dict[str, tuple[str, bool]] = {
    "integer doc, WITHOUT ROWID (the index)": (
        "CREATE TABLE bands (band INTEGER NOT NULL, key INTEGER NOT NULL, doc INTEGER NOT NULL,"
        " PRIMARY KEY (band, key, doc)) WITHOUT ROWID",
        False,
    ),
    "text id, WITHOUT ROWID": (
        "CREATE TABLE bands (band INTEGER NOT NULL, key INTEGER NOT NULL, doc TEXT NOT NULL,"
        " PRIMARY KEY (band, key, doc)) WITHOUT ROWID",
        True,
    ),
    "integer doc, rowid table + covering index": (
        "CREATE TABLE bands (band INTEGER NOT NULL, key INTEGER NOT NULL, doc INTEGER NOT NULL);"
        " CREATE INDEX bands_key ON bands (band, key, doc)",
        False,
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    n = parser.parse_args().docs
    rng = np.random.default_rng(1)
    keys = rng.integers(-(2**63), 2**63 - 1, size=(n, BANDS), dtype=np.int64).reshape(-1)
    band = np.tile(np.arange(BANDS), n)
    doc = np.repeat(np.arange(1, n + 1), BANDS)
    order = np.lexsort((doc, keys, band))
    band_l, key_l, doc_l = band[order].tolist(), keys[order].tolist(), doc[order].tolist()
    text_ids = [f"n{d:09d}" for d in doc_l]
    print(f"band table layouts, {n:,} documents x {BANDS} band rows")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (ddl, text) in LAYOUTS.items():
            path = Path(tmp) / "layout.db"
            path.unlink(missing_ok=True)
            docs: list[str] | list[int] = text_ids if text else doc_l
            with sqlite3.connect(path) as conn:
                conn.executescript(ddl)
                conn.executemany(
                    "INSERT INTO bands VALUES (?, ?, ?)", zip(band_l, key_l, docs, strict=True)
                )
                size = conn.execute("SELECT sum(pgsize) FROM dbstat").fetchone()[0]
            conn.close()
            print(f"  {name:<44} {size / n:6,.0f} bytes/document")


if __name__ == "__main__":
    main()
