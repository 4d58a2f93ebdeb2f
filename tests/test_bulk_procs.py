"""Process-parallel ingest: byte ranges at line boundaries, and results as a sequential read's."""

from __future__ import annotations

import gzip
import itertools
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from dedup import Config
from dedup.bulk import Ingest, ShingleSpool
from dedup.bulk.procs import JsonlFiles, ProcessIngest
from dedup.bulk.records import RecordSpool
from dedup.errors import InputError
from dedup.fingerprint import Fingerprinter
from dedup.io import FieldNames, line_ranges, range_lines, read_documents
from dedup.lsh import Banding
from dedup.synth import news_corpus
from tests._process_support import killed_leaves, session_members, session_of

FIELDS = FieldNames()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _lines(path: Path, ranges: list[tuple[int, int]]) -> list[bytes]:
    with path.open("rb") as handle:
        return [line for start, end in ranges for line in range_lines(handle, start, end)]


# --- cutting a file into ranges ------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"a\nbb\nccc\ndddd\n" * 20,
        b"a\r\nbb\r\nccc\r\n" * 20,  # CRLF: cut after the \n, never between \r and \n
        b"a\nbb\nccc\ndddd",  # no final line break
        b"\n\n\n\n\n\n",  # blank lines only
        b"x",
    ],
)
@pytest.mark.parametrize("parts", [1, 2, 3, 7, 100])
def test_ranges_cover_the_file_in_order_and_cut_only_after_line_breaks(
    tmp_path: Path, data: bytes, parts: int
) -> None:
    path = _write(tmp_path / "in.jsonl", data)
    ranges = line_ranges(path, parts)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    assert all(start < end for start, end in ranges)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert all(data[start - 1 : start] == b"\n" for start, _ in ranges[1:])
    assert len(ranges) <= parts
    assert _lines(path, ranges) == data.splitlines(keepends=True)


def test_a_line_longer_than_a_range_is_never_split(tmp_path: Path) -> None:
    data = b"short\n" + b"L" * 1000 + b"\nshort\nshort\n"
    path = _write(tmp_path / "in.jsonl", data)
    ranges = line_ranges(path, 10)
    assert len(ranges) < 10
    assert _lines(path, ranges) == data.splitlines(keepends=True)


def test_an_empty_file_has_no_ranges(tmp_path: Path) -> None:
    assert line_ranges(_write(tmp_path / "in.jsonl", b""), 4) == []


# --- which inputs qualify ------------------------------------------------------------------


def test_only_plain_jsonl_files_are_read_by_processes(tmp_path: Path) -> None:
    plain = _write(tmp_path / "a.jsonl", b'{"id": "1", "text": "x"}\n')
    nd = _write(tmp_path / "b.NDJSON", b'{"id": "2", "text": "x"}\n')
    zipped = _write(tmp_path / "c.jsonl", gzip.compress(b'{"id": "3", "text": "x"}\n'))
    text = _write(tmp_path / "d.txt", b"hello")
    assert JsonlFiles.of([str(plain), str(nd)], FIELDS) is not None
    for other in (str(zipped), str(text), "-", str(tmp_path), str(tmp_path / "missing.jsonl")):
        assert JsonlFiles.of([str(plain), other], FIELDS) is None


# --- the same corpus as a sequential read --------------------------------------------------


def _corpus_file(path: Path, n: int, seed: int = 5, crlf: bool = False) -> Path:
    end = "\r\n" if crlf else "\n"
    with path.open("w", encoding="utf-8", newline="") as handle:
        for i, doc in enumerate(news_corpus(n, seed=seed)):
            record = {"id": f"{path.stem}-{doc.id}", "text": doc.text, "source": doc.source}
            if doc.published:
                record["published"] = doc.published
            handle.write(json.dumps(record, ensure_ascii=False) + end)
            if i % 7 == 3:
                handle.write(end)  # blank lines count as lines but hold no document
    return path


def _by_processes(
    files: list[Path],
    tmp_path: Path,
    jobs: int = 2,
    range_bytes: int = 20_000,
    start_method: str | None = None,
) -> tuple[object, np.ndarray, bytes]:
    ingest = ProcessIngest(
        Config(), jobs, batch_size=16, range_bytes=range_bytes, start_method=start_method
    )
    with ShingleSpool(tmp_path) as spool, RecordSpool(tmp_path) as records:
        corpus = ingest.run(JsonlFiles([str(f) for f in files], FIELDS), spool, records)
        return _snapshot(corpus, spool, records)


def _by_threads(files: list[Path], tmp_path: Path) -> tuple[object, np.ndarray, bytes]:
    config = Config()
    with ShingleSpool(tmp_path) as spool, RecordSpool(tmp_path) as records:
        ingest = Ingest(Fingerprinter(config), Banding(config.bands, config.rows), batch_size=256)
        corpus = ingest.run(read_documents([str(f) for f in files]), spool, sink=records.observe)
        return _snapshot(corpus, spool, records)


def _snapshot(corpus: object, spool: ShingleSpool, records: RecordSpool) -> tuple[object, ...]:
    from dedup.bulk.ingest import Corpus

    assert isinstance(corpus, Corpus)
    records.seal()
    everything = np.ones(len(corpus), dtype=bool)
    mapped = spool.mapped()
    flat = np.concatenate([mapped.set(d) for d in range(len(corpus))])
    offsets = np.cumsum([0] + [mapped.set(d).shape[0] for d in range(len(corpus))])
    target = _Bytes()
    records.copy(everything, target)
    plain = (corpus.ids, corpus.sources, corpus.published, corpus.lengths.tolist())
    arrays = (corpus.keys.tobytes(), corpus.content_hashes.tobytes(), flat.tobytes())
    return plain, arrays, (offsets.tobytes(), target.data)


class _Bytes:
    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)


def test_processes_give_the_corpus_and_records_of_a_sequential_read(tmp_path: Path) -> None:
    files = [_corpus_file(tmp_path / "one.jsonl", 90), _corpus_file(tmp_path / "two.jsonl", 40, 9)]
    expected = _by_threads(files, tmp_path)
    for jobs, range_bytes in ((2, 20_000), (3, 7_000), (2, 10**9)):
        assert _by_processes(files, tmp_path, jobs, range_bytes) == expected


def test_workers_from_a_forkserver_give_the_same_corpus(tmp_path: Path) -> None:
    """The way off Linux: workers that start cold, from a forkserver, read the same."""
    files = [_corpus_file(tmp_path / "one.jsonl", 40)]
    expected = _by_threads(files, tmp_path)
    assert _by_processes(files, tmp_path, start_method="forkserver") == expected


def test_crlf_files_read_the_same_by_processes(tmp_path: Path) -> None:
    files = [_corpus_file(tmp_path / "crlf.jsonl", 50, crlf=True)]
    assert _by_processes(files, tmp_path, range_bytes=5_000) == _by_threads(files, tmp_path)


# --- errors: the first in input order, at its line -----------------------------------------


def _sequential_error(files: list[Path]) -> str:
    with pytest.raises(InputError) as caught:
        for _ in read_documents([str(f) for f in files]):
            pass
    return str(caught.value)


def _process_error(files: list[Path], tmp_path: Path) -> str:
    with pytest.raises(InputError) as caught:
        _by_processes(files, tmp_path, range_bytes=5_000)
    return str(caught.value)


def _spoil(path: Path, line: int, replacement: bytes) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    lines[line - 1] = replacement
    path.write_bytes(b"".join(lines))


def test_a_bad_line_in_a_later_range_is_named_by_its_line_in_the_file(tmp_path: Path) -> None:
    path = _corpus_file(tmp_path / "in.jsonl", 60)
    _spoil(path, 50, b'{"id": "x", "text": 5}\n')
    message = _process_error([path], tmp_path)
    assert message == _sequential_error([path])
    assert message.startswith(f"{path}:50: ")


def test_the_earliest_bad_line_wins_whatever_range_finishes_first(tmp_path: Path) -> None:
    path = _corpus_file(tmp_path / "in.jsonl", 60)
    _spoil(path, 12, b"{not json\n")
    _spoil(path, 55, b'{"text": "no id"}\n')
    assert _process_error([path], tmp_path) == _sequential_error([path])
    assert _process_error([path], tmp_path).startswith(f"{path}:12: invalid JSON")


def test_duplicate_ids_are_found_across_ranges_and_files(tmp_path: Path) -> None:
    one = _corpus_file(tmp_path / "one.jsonl", 40)
    two = _corpus_file(tmp_path / "two.jsonl", 40, 9)
    first = json.loads(one.read_bytes().splitlines()[2])
    _spoil(two, 30, json.dumps({"id": first["id"], "text": "again"}).encode() + b"\n")
    message = _process_error([one, two], tmp_path)
    assert message == _sequential_error([one, two])
    assert f"(first seen at {one}:3)" in message and message.startswith(f"{two}:30: ")


def test_a_duplicate_before_a_bad_line_wins_over_it(tmp_path: Path) -> None:
    path = _corpus_file(tmp_path / "in.jsonl", 60)
    first = json.loads(path.read_bytes().splitlines()[0])
    _spoil(path, 40, json.dumps({"id": first["id"], "text": "again"}).encode() + b"\n")
    _spoil(path, 41, b"[1, 2]\n")
    assert _process_error([path], tmp_path) == _sequential_error([path])
    assert "duplicate id" in _process_error([path], tmp_path)


def test_a_byte_order_mark_is_accepted_only_on_the_first_line(tmp_path: Path) -> None:
    path = _corpus_file(tmp_path / "in.jsonl", 60)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert _by_processes([path], tmp_path, range_bytes=5_000) == _by_threads([path], tmp_path)
    # The first line of a later range is not the file's first line: a BOM there is an error.
    data = path.read_bytes()
    start = line_ranges(path, math.ceil(len(data) / 5_000))[2][0]
    line = data[:start].count(b"\n") + 1
    _spoil(path, line, b"\xef\xbb\xbf" + data[start:].splitlines(keepends=True)[0])
    message = _process_error([path], tmp_path)
    assert message == _sequential_error([path])
    assert message.startswith(f"{path}:{line}: invalid JSON")


# --- spools that span the workers' segments ------------------------------------------------


def test_spool_segments_read_back_as_one_file_in_order(tmp_path: Path) -> None:
    sets = [np.arange(n, dtype=np.uint64) * 3 + n for n in (4, 0, 7, 2, 5)]
    with ShingleSpool(tmp_path) as spool:
        spool.append(np.concatenate(sets[:2]), np.array([0, 4, 4]))
        for chunk in (sets[2:4], sets[4:]):  # filled "by another process", sizes told after
            Path(spool.segment()).write_bytes(np.concatenate(chunk).astype("<u8").tobytes())
            spool.extend(np.array([len(s) for s in chunk]))
        spool.seal()
        mapped = spool.mapped()
        assert mapped.files.tolist()[:1] + mapped.files.tolist()[2:] == [0, 1, 1, 2]
        assert [mapped.set(d).tolist() for d in range(5)] == [s.tolist() for s in sets]
        flat, offsets = spool.load(np.array([0, 2, 3, 4]))  # one read across three files
        got = [flat[offsets[i] : offsets[i + 1]].tolist() for i in range(4)]
        assert got == [sets[k].tolist() for k in (0, 2, 3, 4)]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_a_spool_leaves_no_names_behind_and_unnamed_segments_open_by_descriptor(
    tmp_path: Path,
) -> None:
    with ShingleSpool(tmp_path) as spool:
        spool.append(np.arange(3, dtype=np.uint64), np.array([0, 3]))
        segment = spool.segment(named=False)
        assert str(segment).startswith("/proc/self/fd/")
        assert list(tmp_path.iterdir()) == []  # neither the spool's file nor the segment
        with open(segment, "ab") as handle:  # as a forked worker does
            handle.write(np.arange(5, 7, dtype="<u8").tobytes())
        spool.extend(np.array([2]))
        spool.seal()
        assert [spool.mapped().set(d).tolist() for d in (0, 1)] == [[0, 1, 2], [5, 6]]


def test_a_set_split_across_segments_is_an_error_when_mapped(tmp_path: Path) -> None:
    """Segments whose sizes add up but whose sets straddle a file boundary are refused."""
    with ShingleSpool(tmp_path) as spool:
        for hashes in (2, 4):  # sizes told are 3 and 3: the same total, other boundaries
            Path(spool.segment()).write_bytes(np.arange(hashes, dtype="<u8").tobytes())
            spool.extend(np.array([3]))
        spool.seal()
        with pytest.raises(OSError, match="spans two spool files"):
            spool.mapped()


def test_a_segment_that_disagrees_with_its_sizes_is_an_error(tmp_path: Path) -> None:
    with RecordSpool(tmp_path) as records:
        Path(records.segment()).write_bytes(b'{"id": "1"}\n')
        records.extend(np.array([5]))
        with pytest.raises(OSError, match="truncated"):
            records.seal()


# --- no process outlives the job -----------------------------------------------------------

_STUCK_PARENT = """
import sys, time
from dedup import Config
from dedup.bulk import ShingleSpool
from dedup.bulk.procs import JsonlFiles, ProcessIngest
from dedup.io import FieldNames

def stuck(done):
    print("workers running", flush=True)
    time.sleep(120)

if __name__ == "__main__":
    with ShingleSpool(sys.argv[2]) as spool:
        files = JsonlFiles([sys.argv[1]], FieldNames())
        ProcessIngest(Config(), 2, range_bytes=5_000).run(files, spool, progress=stuck)
"""


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc to find the workers")
def test_workers_exit_when_the_parent_is_killed(tmp_path: Path) -> None:
    """SIGKILL gives the parent no chance to stop its workers: they must notice by themselves,
    and the spool's files, which have no names, go with the last process holding them."""
    corpus = _corpus_file(tmp_path / "in.jsonl", 60)
    script = tmp_path / "stuck.py"
    script.write_text(_STUCK_PARENT)
    with session_of([sys.executable, str(script), str(corpus), str(tmp_path)]) as proc:
        assert proc.stdout is not None and proc.stdout.readline() == b"workers running\n"
        helpers = session_members(proc.pid) - {proc.pid}
        assert len(helpers) >= 2  # two workers (from a forkserver: it and a resource tracker too)
        assert killed_leaves(proc) == set()
        assert list(tmp_path.glob("dedup-*")) == []  # no spool file outlives the run


def test_an_input_given_twice_counts_its_lines_anew(tmp_path: Path) -> None:
    path = _corpus_file(tmp_path / "in.jsonl", 30)
    message = _process_error([path, path], tmp_path)
    assert message == _sequential_error([path, path])
    assert message.startswith(f"{path}:1: duplicate id")


def test_a_program_read_from_stdin_keeps_the_thread_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers from a forkserver import the main module again by its path; ``python -`` has no
    such file. Forked workers (Linux) need none."""
    import types

    from dedup.bulk import procs

    monkeypatch.setattr(procs, "_start_method", lambda: "forkserver")
    assert procs.available()  # pytest's own main module is importable
    fake = types.ModuleType("__main__")
    fake.__file__ = "<stdin>"
    monkeypatch.setitem(sys.modules, "__main__", fake)
    assert not procs.available()
