"""One output file written all at once (:func:`dedup.io.atomic_text_file`): its permissions are
those a file written in place would have, not the temporary file's private 0600."""

from __future__ import annotations

from pathlib import Path

from dedup.io import atomic_text_file


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
