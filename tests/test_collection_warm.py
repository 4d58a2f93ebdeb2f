"""A collection's warm-up loads every compiled kernel its verbs use (dedup.collection.warm).

The verbs run in a fresh interpreter, as in a service's child process: kernels the test
process loaded earlier would hide a missing one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dedup.collection import Collection
from dedup.synth.news import news_corpus
from dedup.types import Document

ROOT = Path(__file__).resolve().parent.parent

# Opens the collection as a service's writer and reader do, warms both up (or not), then runs
# what clients ask of a service: posts (new, reprinted, sharing passages), checks, a lookup, a
# strip, deletes and replacements, and posts and checks among the dead rows those leave.
# Prints the kernels compiled or loaded after the warm-up.
SESSION = r"""
import json, sys
from numba.core.registry import CPUDispatcher
from dedup.collection import Collection
from dedup.synth.news import news_corpus
from dedup.types import Document

def loaded():
    return {
        f"{name}.{attr}": len(value.overloads)
        for name, module in list(sys.modules.items()) if name.startswith("dedup")
        for attr, value in list(vars(module).items()) if isinstance(value, CPUDispatcher)
    }

db, warm = sys.argv[1], sys.argv[2] == "warm"
stored = list(news_corpus(420, seed=7))
fresh = [Document(f"new-{d.id}", d.text, d.source, d.published) for d in news_corpus(12, seed=8)]
cut = [Document(f"cut-{d.id}", d.text.rsplit("\n\n", 2)[0], d.source) for d in stored[:6]]
with Collection.open(db) as writer, Collection.open(db, readonly=True) as reader:
    if warm:
        writer.warm_up(fresh[0])
        reader.warm_up(fresh[0])
    before = loaded()
    for doc in fresh[:6] + cut:
        reader.report(writer.post_pending(doc, prepared=reader.prepare(doc)))
    reader.check(stored[10])
    reader.get(cut[0].id)
    reader.strip(stored[11].text, stored[11].source)
    for doc in stored[:3]:
        writer.delete(doc.id)
    for doc in stored[3:6]:
        edited = Document(doc.id, doc.text + " Corrected.", doc.source)
        reader.report(writer.post_pending(edited))
    for doc in fresh[6:]:
        reader.report(writer.post_pending(doc, prepared=reader.prepare(doc)))
        reader.check(doc)
    after = loaded()
print(json.dumps(sorted(k for k, n in after.items() if n > before.get(k, 0))))
"""


def _stored_collection(path: Path) -> Path:
    """420 news articles, several outlets past 64 of them (busy footer keys)."""
    with Collection.open(path) as collection, collection.transaction():
        for doc in news_corpus(420, seed=7):
            collection.post_pending(doc)
    return path


def _kernels_loaded_after(db: Path, warm: bool) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SESSION, str(db), "warm" if warm else "cold"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_after_the_warm_up_a_service_session_loads_no_kernel(tmp_path: Path) -> None:
    assert _kernels_loaded_after(_stored_collection(tmp_path / "c.db"), warm=True) == []


def test_without_the_warm_up_the_same_session_loads_kernels(tmp_path: Path) -> None:
    # The session reaches kernels at all: the test above could not pass by doing nothing.
    assert len(_kernels_loaded_after(_stored_collection(tmp_path / "c.db"), warm=False)) >= 10


def test_the_warm_up_stores_nothing(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    doc = Document("probe", "Leaders met at the summit on Monday to talk about trade.", "wire")
    with Collection.open(db) as collection:
        collection.post(Document("kept", "A stored article about harbour works.", "wire"))
        collection.warm_up(doc)
        rows = [
            collection.connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("documents", "texts", "reuse_sets", "bp_documents")
        ]
    assert rows == [1, 1, 1, 1]
