"""Learning boilerplate with worker processes (``dedup bulk --strip-boilerplate --jobs 2``):
the model, and everything judged from it, is what one process learns; an error reading the
input stops it as in one process; no worker outlives a killed run."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from dedup.bulk import learn_procs
from dedup.bulk.boilerplate import BoilerplateStage
from dedup.config import Config
from dedup.errors import InputError
from dedup.synth import boilerplate_corpus
from dedup.types import Document
from tests._process_support import killed_leaves, session_members, session_of

pytestmark = pytest.mark.skipif(not learn_procs.forkable(), reason="workers are forked (Linux)")


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 8 documents: many in flight, and more than the workers hold at once."""
    monkeypatch.setattr(learn_procs, "BATCH", 8)


@pytest.fixture(scope="module")
def corpus() -> list[Document]:
    """Six outlets' pages with their headers and footers (84 documents)."""
    return boilerplate_corpus(seed=3, docs_per_source=14)[0]


def canonical(value: object) -> object:
    """A stored entry as plain values (its arrays as lists), to compare with ``==``."""
    if isinstance(value, np.ndarray):
        return (str(value.dtype), value.tolist())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple(canonical(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, tuple):
        return tuple(canonical(v) for v in value)
    return value


def learned(corpus: list[Document], jobs: int) -> BoilerplateStage:
    stage = BoilerplateStage(Config())
    assert stage.learn(corpus, jobs=jobs) == len(corpus)
    return stage


def test_workers_learn_the_model_one_process_learns(corpus: list[Document]) -> None:
    one, two = learned(corpus, 1), learned(corpus, 2)
    assert [canonical(e) for e in two.model.store.entries()] == [
        canonical(e) for e in one.model.store.entries()
    ]
    assert two.patterns() == one.patterns()
    assert two.content(corpus) == one.content(corpus)


def test_fewer_documents_than_a_batch_start_no_worker(
    corpus: list[Document], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(learn_procs, "BATCH", 100)
    started: list[object] = []
    monkeypatch.setattr(learn_procs, "ProcessPoolExecutor", lambda **kw: started.append(kw))
    stage = learned(corpus, 2)
    assert started == [] and len(list(stage.model.store.entries())) == len(corpus)


def test_a_bad_document_stops_the_learning_with_its_error(corpus: list[Document]) -> None:
    def reading() -> Iterator[Document]:
        yield from corpus[:60]
        raise InputError("not a JSON object", "in.jsonl", 61)

    with pytest.raises(InputError, match=r"in\.jsonl:61"):
        BoilerplateStage(Config()).learn(reading(), jobs=2)


_STUCK_PARENT = """
import sys, time
from dedup import Config
from dedup.bulk import learn_procs
from dedup.bulk.boilerplate import BoilerplateStage
from dedup.synth import boilerplate_corpus

learn_procs.BATCH = 4

def stuck():
    yield from boilerplate_corpus(seed=3, docs_per_source=14)[0]
    print("workers running", flush=True)
    time.sleep(120)

BoilerplateStage(Config()).learn(stuck(), jobs=2)
"""


def test_workers_exit_when_the_parent_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "stuck.py"
    script.write_text(_STUCK_PARENT)
    with session_of([sys.executable, str(script)]) as proc:
        assert proc.stdout is not None and proc.stdout.readline() == b"workers running\n"
        assert len(session_members(proc.pid) - {proc.pid}) >= 2
        assert killed_leaves(proc) == set()
