"""A snapshot in a directory its user may not write (its permissions, not a read-only mount):
SQLite cannot make the WAL file beside it (``SQLITE_READONLY_DIRECTORY``, where a read-only
mount gives ``SQLITE_CANTOPEN``), so a read-only open reads it immutable, as on a read-only
mount, and refuses it if its WAL file holds commits; a read-write open says to open it
read-only. Root's override capability ignores a directory's permissions, so as root the CLI
runs under ``setpriv`` with that capability dropped (``test_collection_read_only.py`` covers
the read-only mount's way, ``chattr +i``, in-process)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dedup import Document
from dedup.collection import Collection
from tests.conftest import ROOT
from tests.service_support import free_port, http_json, running_service
from tests.test_collection_read_only import copied_while_written

#: The capabilities by which root writes where permissions say no one may.
OVERRIDES = "-dac_override,-dac_read_search,-fowner"
SECOND = "A story of its own, told in other words entirely."


@contextmanager
def read_only_modes(directory: Path) -> Iterator[None]:
    """The directory's files made read-only (0444), then the directory (0555); restored after."""
    files = [p for p in directory.iterdir() if p.is_file()]
    for file in files:
        file.chmod(0o444)
    directory.chmod(0o555)
    try:
        yield
    finally:
        directory.chmod(0o755)
        for file in files:
            file.chmod(0o644)


@pytest.fixture(scope="module")
def no_override(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The command prefix under which permissions stop this user: none for a user that is not
    root, ``setpriv`` dropping :data:`OVERRIDES` for root (skipped where that does not work)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("no setpriv to drop root's CAP_DAC_OVERRIDE, which ignores permissions")
    prefix = [setpriv, f"--bounding-set={OVERRIDES}", "--inh-caps=-all"]
    if subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        pytest.skip("setpriv cannot drop capabilities here (no CAP_SETPCAP?)")
    probe = tmp_path_factory.mktemp("probe")
    with read_only_modes(probe):
        made = subprocess.run([*prefix, "touch", str(probe / "made")], capture_output=True)
    if made.returncode == 0:
        pytest.skip("root still writes a 0555 directory with its override capabilities dropped")
    return prefix


@pytest.fixture
def snapshot(tmp_path: Path, article: str) -> Path:
    """A collection of two articles, closed (its WAL moved into the file), alone in its
    directory."""
    directory = tmp_path / "snapshot"
    directory.mkdir()
    with Collection.open(directory / "articles.db") as collection:
        collection.post(Document("a", article))
        collection.post(Document("b", SECOND))
    return directory / "articles.db"


def dedup(prefix: list[str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``python -m dedup ARGS`` run under ``prefix``, its output captured."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "dedup", *map(str, args)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def inputs(tmp_path: Path, article: str) -> Path:
    """A JSONL file of one copy of the stored article and one new text."""
    path = tmp_path / "in.jsonl"
    records = [{"id": "c", "text": article}, {"id": "d", "text": "Nothing like the others."}]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_strip_reads_the_patterns_of_a_snapshot_there(
    no_override: list[str], snapshot: Path, tmp_path: Path, article: str
) -> None:
    """``dedup strip --db`` strips with the snapshot's patterns and makes nothing beside it."""
    out = tmp_path / "stripped.jsonl"
    with read_only_modes(snapshot.parent):
        args = ("strip", inputs(tmp_path, article), "--out", out, "--db", snapshot)
        done = dedup(no_override, *args)
        assert done.returncode == 0, done.stderr
        assert sorted(p.name for p in snapshot.parent.iterdir()) == ["articles.db"]
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["c", "d"]


def test_backup_copies_a_snapshot_there(
    no_override: list[str], snapshot: Path, tmp_path: Path
) -> None:
    """``dedup backup --db`` copies it whole, the copy checked, nothing made beside it."""
    copy = tmp_path / "copy.db"
    with read_only_modes(snapshot.parent):
        done = dedup(no_override, "backup", copy, "--db", snapshot)
        assert done.returncode == 0, done.stderr
        assert sorted(p.name for p in snapshot.parent.iterdir()) == ["articles.db"]
    with Collection.open(copy, readonly=True) as copied:
        assert len(copied) == 2
        assert copied.get("b").length == len(SECOND)


def test_serve_read_only_serves_a_snapshot_there(
    no_override: list[str], snapshot: Path, article: str
) -> None:
    """``dedup serve --read-only`` starts, answers checks and lookups, refuses posts (403)."""
    with (
        read_only_modes(snapshot.parent),
        running_service(["dedup", "serve"], snapshot, "--read-only", prefix=no_override) as served,
    ):
        status, verdict = http_json(f"{served.url}/v1/check", {"id": "c", "text": article})
        assert (status, verdict["duplicate_of"]) == (200, "a")
        assert http_json(f"{served.url}/v1/documents/b")[0] == 200
        refused, _ = http_json(f"{served.url}/v1/documents", {"id": "e", "text": article})
        assert refused == 403
        assert served.stop() == 0
        assert sorted(p.name for p in snapshot.parent.iterdir()) == ["articles.db"]


def test_a_snapshot_whose_wal_holds_commits_is_refused_there_naming_the_wal(
    no_override: list[str], snapshot: Path, tmp_path: Path, article: str
) -> None:
    """Copied while a writer had it open, its last commits are in its WAL, which an immutable
    read would leave out: the CLI exits 2 with one line naming the WAL."""
    copy = copied_while_written(snapshot, tmp_path / "copy", article)
    out = tmp_path / "stripped.jsonl"
    with read_only_modes(copy):
        args = ("strip", inputs(tmp_path, article), "--out", out, "--db", copy / "articles.db")
        done = dedup(no_override, *args)
    assert done.returncode == 2
    assert done.stderr.startswith("dedup: error:") and "WAL" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_serve_that_writes_there_says_to_open_it_read_only(
    no_override: list[str], snapshot: Path
) -> None:
    """A writing service does not start there: it says to open the file read-only (not that
    the file is not an SQLite database)."""
    with read_only_modes(snapshot.parent):
        done = dedup(no_override, "serve", "--db", snapshot, "--port", str(free_port()))
    assert done.returncode == 2
    assert done.stderr.startswith("dedup: error:") and "open it read-only" in done.stderr
    assert "not an SQLite database" not in done.stderr
