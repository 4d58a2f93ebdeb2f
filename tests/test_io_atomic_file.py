"""One output file written all at once (:func:`dedup.io.atomic_text_file`): its permissions are
those a file written in place would have, not the temporary file's private 0600; a symlink is
written through and kept; what is not a regular file (a FIFO here: never /dev/stdout or
/dev/null, which an earlier version replaced) is written into, not replaced."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dedup.errors import InputError
from dedup.io import atomic_text_file
from tests._io_support import read_fifo


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_a_new_file_gets_the_mode_open_gives_a_new_file(tmp_path: Path) -> None:
    reference = tmp_path / "reference.txt"
    reference.write_text("made by open\n", encoding="utf-8")
    with atomic_text_file(tmp_path / "out.jsonl") as handle:
        handle.write("{}\n")
    assert mode(tmp_path / "out.jsonl") == mode(reference)


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    with atomic_text_file(target) as handle:
        handle.write("new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert mode(target) == 0o640


def test_a_symlink_stays_a_link_and_its_target_gets_the_content(tmp_path: Path) -> None:
    """Through a symlink the file it points to is replaced; the link itself is kept."""
    target = tmp_path / "data" / "out.jsonl"
    target.parent.mkdir()
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "out.jsonl"
    link.symlink_to(target)
    with atomic_text_file(link) as handle:
        handle.write("new\n")
    assert link.is_symlink() and link.readlink() == target
    assert target.read_text(encoding="utf-8") == "new\n"


def test_through_a_symlink_the_temporary_file_is_made_beside_the_target(tmp_path: Path) -> None:
    """The temporary file is staged in the target's directory (a rename stays within its file
    system), not in the link's."""
    (tmp_path / "data").mkdir()
    (tmp_path / "links").mkdir()
    link = tmp_path / "links" / "out.jsonl"
    link.symlink_to(tmp_path / "data" / "out.jsonl")
    with atomic_text_file(link) as handle:
        staged = [p.name for p in (tmp_path / "data").iterdir()]
        beside_link = [p.name for p in (tmp_path / "links").iterdir()]
        handle.write("new\n")
    assert len(staged) == 1 and staged[0].endswith(".tmp")
    assert beside_link == ["out.jsonl"]


def test_a_dangling_symlink_gets_the_file_it_names_created(tmp_path: Path) -> None:
    """A link to a file not made yet is kept and the file is made."""
    link = tmp_path / "out.jsonl"
    link.symlink_to(tmp_path / "made.jsonl")
    with atomic_text_file(link) as handle:
        handle.write("new\n")
    assert link.is_symlink()
    assert (tmp_path / "made.jsonl").read_text(encoding="utf-8") == "new\n"


def test_a_fifo_gets_the_content_and_stays_a_fifo(tmp_path: Path) -> None:
    """A named pipe is written into, not replaced by a regular file."""
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received = read_fifo(fifo)
    with atomic_text_file(fifo) as handle:
        handle.write("through the pipe\n")
    assert received.result(timeout=10) == b"through the pipe\n"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_directory_is_refused_naming_it(tmp_path: Path) -> None:
    """A path naming a directory is an InputError that names it; the directory is kept."""
    (tmp_path / "out").mkdir()
    with (
        pytest.raises(InputError, match="is a directory") as raised,
        atomic_text_file(tmp_path / "out") as handle,
    ):
        handle.write("new\n")
    assert str(tmp_path / "out") in str(raised.value)
    assert (tmp_path / "out").is_dir()
