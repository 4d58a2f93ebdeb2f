"""Specification of dedup.io's writing side: OutputDir never leaves a partial set of outputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dedup.errors import InputError, StorageError
from dedup.io import MARKER_FILE, OutputDir, write_jsonl
from dedup.io._output import swap_by_renames
from tests.test_collection_storage import failing_disk


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (hidden ones included) with its content."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def previous_run(target: Path, files: dict[str, str]) -> dict[str, bytes]:
    """Produce ``target`` the way an earlier successful run would, and return its snapshot."""
    with OutputDir(target) as out:
        for name, content in files.items():
            with out.open(name) as handle:
                handle.write(content)
    return snapshot(target.parent)


def test_new_directory_gets_the_files_and_the_marker(tmp_path: Path) -> None:
    """A successful run creates the directory with its files plus the marker file."""
    target = tmp_path / "out"
    with OutputDir(target) as out, out.open("pairs.jsonl") as handle:
        handle.write("{}\n")
    assert sorted(os.listdir(target)) == [MARKER_FILE, "pairs.jsonl"]
    assert (target / "pairs.jsonl").read_text(encoding="utf-8") == "{}\n"


def test_no_staging_directory_is_left_after_success(tmp_path: Path) -> None:
    """After a successful run the parent holds only the output directory."""
    previous_run(tmp_path / "out", {"a.jsonl": "old"})
    previous_run(tmp_path / "out", {"a.jsonl": "new"})
    assert os.listdir(tmp_path) == ["out"]


def test_success_replaces_all_previous_outputs(tmp_path: Path) -> None:
    """A new run's set replaces the old one entirely: files it does not write disappear."""
    target = tmp_path / "out"
    previous_run(target, {"pairs.jsonl": "old pairs", "stale.jsonl": "old"})
    previous_run(target, {"pairs.jsonl": "new pairs"})
    assert sorted(os.listdir(target)) == [MARKER_FILE, "pairs.jsonl"]
    assert (target / "pairs.jsonl").read_text(encoding="utf-8") == "new pairs"


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failure_leaves_directory_exactly_as_before(tmp_path: Path, error: BaseException) -> None:
    """An exception or Ctrl-C inside the block leaves the old outputs and no staging behind."""
    target = tmp_path / "out"
    before = previous_run(target, {"pairs.jsonl": "old pairs"})
    with pytest.raises(type(error)), OutputDir(target) as out:
        out.open("pairs.jsonl").write("half-written")
        raise error
    assert snapshot(tmp_path) == before
    assert os.listdir(tmp_path) == ["out"]


def test_a_write_the_disk_refuses_names_the_outputs_and_keeps_the_previous_ones(
    tmp_path: Path,
) -> None:
    """A write refused by the system (a file-size limit of 0 bytes: for this process, the
    refusal of a full disk) names the output directory, not the staging file it was writing,
    and nothing of the run is installed."""
    target = tmp_path / "out"
    before = previous_run(target, {"pairs.jsonl": "old\n"})
    with pytest.raises(StorageError) as raised, OutputDir(target) as out:
        handle = out.open("pairs.jsonl")
        handle.write("new\n" * 1000)
        with failing_disk():
            handle.flush()
    assert raised.value.path == str(target) and "File too large" in str(raised.value)
    assert snapshot(tmp_path) == before


def test_a_close_the_disk_refuses_names_the_outputs_and_keeps_the_previous_ones(
    tmp_path: Path,
) -> None:
    """The same when what was written waited in a handle's buffer for the end of the run."""
    target = tmp_path / "out"
    before = previous_run(target, {"pairs.jsonl": "old\n"})
    with pytest.raises(StorageError) as raised, failing_disk(), OutputDir(target) as out:
        out.open("pairs.jsonl").write("new\n" * 1000)
    assert raised.value.path == str(target) and "File too large" in str(raised.value)
    assert snapshot(tmp_path) == before


def test_failure_on_first_run_creates_nothing(tmp_path: Path) -> None:
    """If the very first run fails, no output directory appears at all."""
    with pytest.raises(ValueError, match="boom"), OutputDir(tmp_path / "out") as out:
        out.open("pairs.jsonl").write("x")
        raise ValueError("boom")
    assert os.listdir(tmp_path) == []


def test_foreign_non_empty_directory_is_refused_and_untouched(tmp_path: Path) -> None:
    """A non-empty directory without the marker is never replaced."""
    target = tmp_path / "photos"
    target.mkdir()
    (target / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(InputError, match=MARKER_FILE) as info, OutputDir(target):
        pass
    assert info.value.path == str(target)
    assert snapshot(tmp_path) == {"photos/holiday.jpg": b"\xff\xd8"}


def test_empty_existing_directory_is_accepted(tmp_path: Path) -> None:
    """An empty directory (e.g. made by the user beforehand) is used as the output directory."""
    target = tmp_path / "out"
    target.mkdir()
    previous_run(target, {"a.jsonl": "x"})
    assert (target / "a.jsonl").read_text(encoding="utf-8") == "x"


def test_file_in_place_of_directory_is_refused(tmp_path: Path) -> None:
    """An output path that is a regular file is an InputError."""
    (tmp_path / "out").write_text("data", encoding="utf-8")
    with pytest.raises(InputError, match="not a directory"), OutputDir(tmp_path / "out"):
        pass


def test_symlinked_output_directory_is_replaced_behind_the_link(tmp_path: Path) -> None:
    """A symlink to an output directory stays a link; the directory it points to is replaced."""
    real = tmp_path / "real"
    previous_run(real, {"a.jsonl": "old"})
    (tmp_path / "link").symlink_to(real)
    previous_run(tmp_path / "link", {"a.jsonl": "new"})
    assert (tmp_path / "link").is_symlink()
    assert (real / "a.jsonl").read_text(encoding="utf-8") == "new"


def test_output_directory_mode_is_not_private(tmp_path: Path) -> None:
    """The output directory gets ordinary permissions, like a directory made with mkdir."""
    (tmp_path / "reference").mkdir()
    previous_run(tmp_path / "out", {})
    assert (tmp_path / "out").stat().st_mode == (tmp_path / "reference").stat().st_mode


def test_leftover_staging_directory_is_cleaned_up(tmp_path: Path) -> None:
    """A staging directory left by a crashed run is removed by the next run."""
    target = tmp_path / "out"
    leftover = tmp_path / ".out.dedup-staging-0123456789abcdef"
    leftover.mkdir()
    (leftover / "pairs.jsonl").write_text("partial", encoding="utf-8")
    previous_run(target, {"pairs.jsonl": "complete"})
    assert os.listdir(tmp_path) == ["out"]


def test_crash_between_fallback_renames_restores_the_old_set(tmp_path: Path) -> None:
    """If a run died with the old set moved aside and nothing in place, the next run restores it."""
    aside = tmp_path / ".out.dedup-old-0123456789abcdef"
    aside.mkdir()
    (aside / MARKER_FILE).write_text("", encoding="utf-8")
    (aside / "pairs.jsonl").write_text("old pairs", encoding="utf-8")
    with pytest.raises(RuntimeError), OutputDir(tmp_path / "out"):
        raise RuntimeError("this run fails too")
    assert snapshot(tmp_path) == {f"out/{MARKER_FILE}": b"", "out/pairs.jsonl": b"old pairs"}


def test_fallback_swap_by_renames_installs_the_new_set(tmp_path: Path) -> None:
    """The portable two-rename swap puts the new set in place and returns the old one aside."""
    target, staging = tmp_path / "out", tmp_path / "staging"
    target.mkdir()
    (target / "a").write_text("old", encoding="utf-8")
    staging.mkdir()
    (staging / "a").write_text("new", encoding="utf-8")
    aside = swap_by_renames(staging, target)
    assert (target / "a").read_text(encoding="utf-8") == "new"
    assert (aside / "a").read_text(encoding="utf-8") == "old"


def test_live_run_staging_is_not_removed_by_another_run(tmp_path: Path) -> None:
    """A run's cleanup skips the staging directory a live run still holds locked."""
    target = tmp_path / "out"
    with OutputDir(target) as first:
        with first.open("a.jsonl") as handle:
            handle.write("first")
        previous_run(target, {"a.jsonl": "second"})
    assert (target / "a.jsonl").read_text(encoding="utf-8") == "first"
    assert os.listdir(tmp_path) == ["out"]


def test_files_left_open_are_flushed_on_success(tmp_path: Path) -> None:
    """Handles the caller did not close are closed, and their content kept, at commit."""
    with OutputDir(tmp_path / "out") as out:
        out.open("a.jsonl").write("kept")
    assert (tmp_path / "out" / "a.jsonl").read_text(encoding="utf-8") == "kept"


@pytest.mark.parametrize("name", ["", ".", "..", "sub/a.jsonl", MARKER_FILE])
def test_open_accepts_only_plain_file_names(tmp_path: Path, name: str) -> None:
    """Output names are plain file names; the marker name is reserved."""
    with pytest.raises(ValueError, match="file name"), OutputDir(tmp_path / "out") as out:
        out.open(name)


def test_open_refuses_the_same_name_twice(tmp_path: Path) -> None:
    """Opening one output file twice in a run is a programming error."""
    with pytest.raises(ValueError, match="already opened"), OutputDir(tmp_path / "out") as out:
        out.open("a.jsonl").close()
        out.open("a.jsonl")


def test_open_outside_the_with_block_is_refused(tmp_path: Path) -> None:
    """Files can only be opened while the OutputDir is active."""
    with pytest.raises(RuntimeError):
        OutputDir(tmp_path / "out").open("a.jsonl")


def test_write_jsonl_is_compact_utf8_in_key_order(tmp_path: Path) -> None:
    """Records are compact JSON lines, non-ASCII unescaped, keys in the order given."""
    with OutputDir(tmp_path / "out") as out, out.open("r.jsonl") as handle:
        count = write_jsonl(handle, [{"z": "é", "a": [1, 2.5]}, {"b": None}])
    assert count == 2
    expected = '{"z":"é","a":[1,2.5]}\n{"b":null}\n'
    assert (tmp_path / "out" / "r.jsonl").read_bytes() == expected.encode("utf-8")


def test_write_jsonl_rejects_nan(tmp_path: Path) -> None:
    """NaN is refused rather than written as invalid JSON (and the run leaves nothing behind)."""
    with pytest.raises(ValueError), OutputDir(tmp_path / "out") as out:
        write_jsonl(out.open("r.jsonl"), [{"score": float("nan")}])
    assert os.listdir(tmp_path) == []


def test_a_reserved_directory_is_installed_with_the_files(tmp_path: Path) -> None:
    """What another writer puts at a path from directory() arrives in the target with the rest."""
    target = tmp_path / "out"
    with OutputDir(target) as out:
        part = out.directory("pairs.parquet")
        assert not part.exists()
        part.mkdir()
        (part / "part-0").write_text("x", encoding="utf-8")
    assert (target / "pairs.parquet" / "part-0").read_text(encoding="utf-8") == "x"


def test_a_reserved_directory_goes_away_on_failure(tmp_path: Path) -> None:
    """A run that fails after filling a reserved directory leaves no trace of it."""
    target = tmp_path / "out"
    with pytest.raises(RuntimeError), OutputDir(target) as out:
        out.directory("pairs.parquet").mkdir()
        raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []


def test_a_name_is_reserved_once(tmp_path: Path) -> None:
    """A directory name cannot also be opened as a file in the same run."""
    with OutputDir(tmp_path / "out") as out:
        out.directory("clusters.parquet")
        with pytest.raises(ValueError, match="already"):
            out.open("clusters.parquet")
