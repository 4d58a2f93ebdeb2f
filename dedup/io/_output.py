"""Writing a run's outputs so that a reader never sees a partial or mixed set of files."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TextIO, TypeAlias

import orjson

from dedup.errors import InputError
from dedup.io._atomic import refused_write

if sys.platform != "win32":
    import fcntl

MARKER_FILE = ".dedup-output"
"""Written into every output directory; its presence is what makes a directory replaceable."""

_MARKER_TEXT = "Written by dedup: the outputs of one run. The next run replaces this directory.\n"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


class OutputDir:
    """Make directory ``path`` hold exactly one run's complete outputs, or leave it unchanged.

    Usage::

        with OutputDir(args.out) as out:
            with out.open("pairs.jsonl") as handle:
                write_jsonl(handle, pairs)

    **How**: files are written into a hidden staging directory next to ``path`` (same parent, so
    same filesystem), named ``.<name>.dedup-staging-<random>``. On a clean exit every file is
    closed, the marker file ``.dedup-output`` is added, files and directory are fsynced, and the
    staging directory takes ``path``'s place in one step: ``rename`` if ``path`` does not exist,
    otherwise an atomic swap with Linux ``renameat2(RENAME_EXCHANGE)``; the previous outputs,
    now in the hidden directory, are then deleted. Where that swap is unavailable (other
    systems, some filesystems) it falls back to two renames: ``path`` to
    ``.<name>.dedup-old-<random>``, then staging to ``path``.

    **Guarantees**

    * At every moment ``path`` holds either the complete previous set of files or the complete
      new one, never a mix and never a partial file. Files the new run does not write do not
      survive it (the directory is replaced as a whole). The one exception is the two-rename
      fallback: a crash between its two renames leaves ``path`` missing and the complete old
      set in ``.<name>.dedup-old-*``; the next ``OutputDir`` on ``path`` moves it back first.
    * On an exception (``KeyboardInterrupt`` included) inside the ``with`` block, or while
      committing, the staging directory is removed and ``path`` is untouched.
    * A crash can leave hidden ``.<name>.dedup-*`` directories next to ``path``; the next
      ``OutputDir`` on ``path`` removes them (a staging directory still locked by a live run,
      via ``flock``, is left alone).
    * ``path`` is refused with :class:`InputError` if it exists and is not a directory, or is a
      non-empty directory without a ``.dedup-output`` marker: dedup never deletes files it did
      not write. An empty directory is accepted. A symlink is followed: the directory it points
      to is replaced, and the link stays.

    Two concurrent runs into the same ``path`` are not supported: each run's set stays complete,
    but the last to finish wins (or a run fails). Intended for POSIX systems.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._shown = os.fspath(path)
        self._target = Path(os.path.realpath(path))
        self._staging: Path | None = None
        self._lock_fd: int | None = None
        self._handles: dict[str, TextIO] = {}
        self._directories: set[str] = set()
        self._used = False

    @property
    def path(self) -> Path:
        """The directory that receives the outputs (symlinks resolved)."""
        return self._target

    @property
    def staging(self) -> Path:
        """The directory the run's files are in until the commit (inside the with-block only):
        a step that reads them before they are in place (a report of them) reads them here."""
        if self._staging is None:
            raise RuntimeError("OutputDir.staging is only there inside its with-block")
        return self._staging

    def __enter__(self) -> OutputDir:
        if self._used:
            raise RuntimeError("an OutputDir can be entered only once")
        self._used = True
        target = self._target
        if not target.name:
            raise InputError("the filesystem root cannot be an output directory", self._shown)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"cannot create parent directory: {exc.strerror}", self._shown
            ) from None
        _recover(target)
        _check_target(target, self._shown)
        self._staging, self._lock_fd = _make_staging(target)
        return self

    def open(self, name: str) -> TextIO:
        """Create output file ``name`` (a plain file name) for writing: UTF-8, ``\\n`` newlines."""
        if self._staging is None:
            raise RuntimeError("OutputDir.open() is only allowed inside its with-block")
        if not name or name in (".", "..", MARKER_FILE) or "/" in name or os.sep in name:
            raise ValueError(f"not a usable output file name: {name!r}")
        if name in self._handles or name in self._directories:
            raise ValueError(f"{name!r} was already opened in this run")
        handle = open(self._staging / name, "x", encoding="utf-8", newline="\n")  # noqa: SIM115
        self._handles[name] = handle
        return handle

    def directory(self, name: str) -> Path:
        """Reserve output entry ``name`` for a directory another writer creates (say, Spark).

        Returns the path inside the staging directory; nothing is created there, because such
        writers refuse a target that already exists. What they leave there is installed with
        the rest of the run's files, or removed with them on failure.
        """
        if self._staging is None:
            raise RuntimeError("OutputDir.directory() is only allowed inside its with-block")
        if not name or name in (".", "..", MARKER_FILE) or "/" in name or os.sep in name:
            raise ValueError(f"not a usable output name: {name!r}")
        if name in self._handles or name in self._directories:
            raise ValueError(f"{name!r} was already used in this run")
        self._directories.add(name)
        return self._staging / name

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self._commit()
        except OSError as error:  # a full disk as the files are closed: say which outputs
            refused = refused_write(error, self._shown)
            if refused is None:
                raise
            raise refused from error
        finally:
            for handle in self._handles.values():
                with contextlib.suppress(OSError):  # already failing; staging goes anyway
                    handle.close()
            if self._staging is not None:
                shutil.rmtree(self._staging, ignore_errors=True)
                self._staging = None
            if self._lock_fd is not None:
                os.close(self._lock_fd)  # releases the flock
                self._lock_fd = None
        if isinstance(exc, OSError) and (refused := refused_write(exc, self._shown)) is not None:
            raise refused from exc  # a write to an output's handle names no file

    def _commit(self) -> None:
        staging = self._staging
        if staging is None:  # pragma: no cover - __enter__ always sets it
            raise RuntimeError("OutputDir was not entered")
        for handle in self._handles.values():
            handle.close()  # a flush error (disk full) aborts the run here
        (staging / MARKER_FILE).write_text(_MARKER_TEXT, encoding="utf-8")
        for entry in os.scandir(staging):
            fsync_path(entry.path)
        fsync_path(staging)
        _check_target(self._target, self._shown)  # it may have changed during a long run
        previous = _install(staging, self._target)
        self._staging = None  # from here on the new set is in place: nothing to roll back
        fsync_path(self._target.parent)
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)  # leftovers go at the next run


def write_jsonl(handle: IO[str], records: Iterable[Mapping[str, Any]]) -> int:
    """Write one compact JSON object per line, keys in the order given; return how many.

    Non-ASCII is written as is (the files are UTF-8 and stay readable), and NaN/Infinity raise
    ``ValueError`` instead of producing lines that strict JSON parsers reject.
    """
    count = 0
    for record in records:
        handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False))
        handle.write("\n")
        count += 1
    return count


#: A JSON value without floats: what a document record (texts, ids, character spans) holds.
Plain: TypeAlias = str | int | bool | list["Plain"] | None


def write_documents(handle: TextIO, records: Iterable[Mapping[str, Plain]]) -> int:
    """Like :func:`write_jsonl`, for records without floats, several times faster on long texts.

    orjson writes the same compact JSON as :func:`write_jsonl` for strings, integers (up to
    64 bits), booleans, nulls and lists; it differs only on floats (``5e-6`` for ``5e-06``, and
    NaN as ``null`` instead of an error), which is why it is kept to records typed without them:
    the documents of ``deduped.jsonl``, where escaping the texts is most of the writing time.
    """
    return write_lines(handle, (orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in records))


def write_lines(handle: TextIO, lines: Iterable[bytes]) -> int:
    """Write encoded lines (each with its line break) to ``handle``'s bytes; how many."""
    handle.flush()  # what went through the text layer goes first
    raw = handle.buffer
    count = 0
    for line in lines:
        raw.write(line)
        count += 1
    raw.flush()
    return count


def _prefix(target: Path) -> str:
    return f".{target.name}.dedup-"


def _check_target(target: Path, shown: str) -> None:
    if not os.path.lexists(target):
        return
    if not target.is_dir():
        raise InputError("output path exists and is not a directory", shown)
    try:
        names = os.listdir(target)
    except OSError as exc:
        raise InputError(f"cannot read output directory: {exc.strerror}", shown) from None
    if names and not (target / MARKER_FILE).is_file():
        raise InputError(
            f"refusing to replace a non-empty directory without a {MARKER_FILE} marker "
            "(dedup marks every output directory it writes and replaces only those); "
            "choose another output directory or empty this one",
            shown,
        )


def _make_staging(target: Path) -> tuple[Path, int]:
    """Create and lock a fresh staging directory with the permissions ``target`` has/would get."""
    while True:
        staging = target.parent / f"{_prefix(target)}staging-{secrets.token_hex(8)}"
        try:
            staging.mkdir()  # not mkdtemp: that would make the final directory mode 0700
            break
        except FileExistsError:
            continue
    if target.is_dir():
        os.chmod(staging, stat.S_IMODE(os.stat(target).st_mode))
    fd = os.open(staging, os.O_RDONLY)
    if sys.platform != "win32":
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return staging, fd


def _recover(target: Path) -> None:
    """Undo what a crashed run left next to ``target`` (see OutputDir's guarantees)."""
    prefix = _prefix(target)
    names = sorted(
        entry.name
        for entry in os.scandir(target.parent)
        if entry.name.startswith((prefix + "staging-", prefix + "old-"))
        and entry.is_dir(follow_symlinks=False)
    )
    olds = [name for name in names if name.startswith(prefix + "old-")]
    if olds and not os.path.lexists(target):
        os.rename(target.parent / olds[0], target)
        names.remove(olds[0])
    for name in names:
        _remove_unless_locked(target.parent / name)


def _remove_unless_locked(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        if sys.platform != "win32":
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # a live run is writing there
        shutil.rmtree(path, ignore_errors=True)
    finally:
        os.close(fd)


def _install(staging: Path, target: Path) -> Path | None:
    """Put ``staging`` at ``target``; return where the previous contents now are, if any."""
    if not os.path.lexists(target):
        os.rename(staging, target)
        return None
    if _exchange(staging, target):
        return staging
    return swap_by_renames(staging, target)


def swap_by_renames(staging: Path, target: Path) -> Path:
    """The portable fallback: move ``target`` aside, then ``staging`` in; return the aside path."""
    aside = target.parent / f"{_prefix(target)}old-{secrets.token_hex(8)}"
    os.rename(target, aside)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(aside, target)
        raise
    return aside


def _exchange(first: Path, second: Path) -> bool:
    """Atomically swap two paths with Linux renameat2; False if the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False  # C library without renameat2 (glibc < 2.28, some musl builds)
    result = renameat2(
        ctypes.c_int(_AT_FDCWD),
        ctypes.c_char_p(os.fsencode(first)),
        ctypes.c_int(_AT_FDCWD),
        ctypes.c_char_p(os.fsencode(second)),
        ctypes.c_uint(_RENAME_EXCHANGE),
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False  # kernel or filesystem does not support the exchange
    raise OSError(code, os.strerror(code), os.fspath(first), None, os.fspath(second))


def fsync_path(path: str | os.PathLike[str]) -> None:
    """Make ``path`` (a file, or a directory's entries) durable before it is relied on."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
