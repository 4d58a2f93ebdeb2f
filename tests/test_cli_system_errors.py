"""The system's refusals at the command line: a disk that takes no more of a run's temporary
files or of its output, an index file the disk fails to write, a port another process listens
on. Each is one line on stderr naming what was refused, exit code 2, no traceback, and no
output written (real processes: the limits are per process)."""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from dedup.collection import Collection
from tests.conftest import ROOT

#: Bytes any file of the run may reach: the kernels' cache files fit (200 KB at most), the
#: shingle sets of 300 news articles (about 1.4 MB) do not.
FILE_SIZE_LIMIT = 512 * 1024


def dedup(
    *args: str, env: dict[str, str] | None = None, limit: int | None = None
) -> tuple[int, str]:
    """Run the ``dedup`` command in a process of its own, its files limited to ``limit`` bytes
    each (``RLIMIT_FSIZE``) if given; the exit code and stderr."""

    def limited() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    done = subprocess.run(
        [sys.executable, "-m", "dedup", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limited,
    )
    return done.returncode, done.stderr


def refused(*args: str, env: dict[str, str] | None = None, limit: int | None = None) -> list[str]:
    """:func:`dedup`, which must exit with code 2; the lines of its stderr."""
    code, stderr = dedup(*args, env=env, limit=limit)
    assert code == 2, stderr
    return stderr.splitlines()


def articles(path: Path, count: int) -> Path:
    """``count`` news-length articles from the shipped web articles, as JSONL."""
    with open(ROOT / "data" / "web-articles.jsonl", encoding="utf-8") as source:
        texts = [json.loads(line)["text"] for line, _ in zip(source, range(count), strict=False)]
    path.write_text(
        "".join(json.dumps({"id": f"a{k}", "text": t}) + "\n" for k, t in enumerate(texts)),
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("jobs", ["1", "2"], ids=["one-process", "worker-processes"])
def test_a_disk_that_takes_no_more_temporary_files_ends_bulk_with_one_line(
    tmp_path: Path, jobs: str
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    corpus = articles(tmp_path / "in.jsonl", 300)
    lines = refused(
        "bulk", str(corpus), "--out", str(tmp_path / "out"), "--quiet", "--jobs", jobs,
        env={"TMPDIR": str(spool)},
        limit=FILE_SIZE_LIMIT,
    )  # fmt: skip
    assert lines == [
        f"dedup: error: {spool}: cannot write the run's temporary files (File too large); "
        "TMPDIR chooses where they go"
    ]
    assert not (tmp_path / "out").exists()
    assert list(spool.iterdir()) == []  # the spool's files had no names


def test_a_disk_that_takes_no_more_of_an_output_ends_strip_with_one_line(tmp_path: Path) -> None:
    out = tmp_path / "stripped.jsonl"
    out.write_text("the previous run's\n", encoding="utf-8")
    corpus = articles(tmp_path / "in.jsonl", 300)  # 1.2 MB, written out as much again
    assert refused("strip", str(corpus), "--out", str(out), limit=FILE_SIZE_LIMIT) == [
        f"dedup: error: {out}: cannot write it (File too large); nothing of it was kept"
    ]
    assert out.read_text(encoding="utf-8") == "the previous run's\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "stripped.jsonl"]


def test_an_output_where_no_file_can_be_made_is_named(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "stripped.jsonl"
    assert refused("strip", str(articles(tmp_path / "in.jsonl", 3)), "--out", str(out)) == [
        f"dedup: error: {out}: cannot write a file there: No such file or directory"
    ]


def test_an_io_error_on_the_index_ends_bulk_with_one_line_and_stores_nothing(
    tmp_path: Path,
) -> None:
    """Files of up to 2 MB: the run's temporary files and outputs fit, the index of 300
    articles (2.8 MB) does not, and SQLite reports the refused write as an I/O error."""
    db = tmp_path / "index.db"
    first = articles(tmp_path / "first.jsonl", 5)
    code, _ = dedup(
        "bulk", str(first), "--out", str(tmp_path / "first"), "--db", str(db), "--quiet"
    )
    assert code == 0
    lines = refused(
        "bulk", str(articles(tmp_path / "in.jsonl", 300)), "--out", str(tmp_path / "out"),
        "--db", str(db), "--quiet",
        env={"TMPDIR": str(tmp_path)},
        limit=2 * 1024 * 1024,
    )  # fmt: skip
    assert lines == [
        f"dedup: error: {db}: an I/O error on the index's files (SQLITE_IOERR_WRITE); "
        "nothing was written"
    ]
    assert not (tmp_path / "out").exists()
    with Collection.open(db, readonly=True) as collection:
        assert sorted(collection) == [f"a{k}" for k in range(5)]


def test_a_port_in_use_ends_serve_with_one_line_and_the_index_keeps_its_documents(
    tmp_path: Path,
) -> None:
    db = tmp_path / "index.db"
    corpus = articles(tmp_path / "in.jsonl", 5)
    code, _ = dedup("bulk", str(corpus), "--out", str(tmp_path / "out"), "--db", str(db), "--quiet")
    assert code == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, stderr = dedup(
            "serve", "--db", str(db), "--port", str(port),
            "--reader-mode", "thread", "--writer-mode", "thread",
        )  # fmt: skip
    assert code == 2, stderr
    last = stderr.splitlines()[-1]
    assert last.startswith("dedup: error: ") and f"'127.0.0.1', {port}" in last
    assert "address already in use" in last and "Traceback" not in stderr
    with Collection.open(db, readonly=True) as collection:
        assert sorted(collection) == [f"a{k}" for k in range(5)]
