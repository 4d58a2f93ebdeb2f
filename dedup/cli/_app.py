"""What every ``dedup`` command shares: the click group, settings options, error handling,
re-readable inputs and progress reporting."""

from __future__ import annotations

import functools
import gc
import io
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import IO, TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from dedup._exits import INTERRUPTED, TERMINATED
from dedup.cli._usage import Group
from dedup.config import Config
from dedup.errors import DedupError, InputError, shown_path
from dedup.settings import load_config
from dedup.types import Document

if TYPE_CHECKING:
    import numpy as np

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class Terminated(BaseException):
    """SIGTERM, raised in the main thread by :func:`run`'s handler so that a run unwinds as on
    Ctrl-C (temporary files removed, outputs left as they were) instead of dying at once.
    A :class:`BaseException`, as :class:`KeyboardInterrupt` is: no ``except Exception`` takes
    it for an error of the run's."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def _errors_to_exit(func: Callable[P, R]) -> Callable[P, R]:
    """Library errors, and the system's refusals (a full disk, a port in use: an
    :class:`OSError`), become one line on stderr and exit code 2; nothing else is swallowed.

    A closed stdout (``dedup ... | head``) is left to Python's own handling: it is no error of
    the run's. Ctrl-C (SIGINT) ends the run with one line too, and exit code 130, the shells'
    code for a command interrupted by it (click's own answer would be "Aborted!" and 1, the
    code of a failure); SIGTERM, under :func:`run`, with exit code 143. What a run leaves then
    is what any failed run leaves.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                if (stop := _stopped_by(exc)) is not None:
                    raise stop from None
                raise
        except DedupError as exc:
            click.echo(f"dedup: error: {exc}", err=True)
            sys.exit(2)
        except BrokenPipeError:
            raise
        except OSError as exc:
            click.echo(f"dedup: error: {system_error(exc)}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("dedup: interrupted", err=True)
            sys.exit(INTERRUPTED)
        except Terminated:
            click.echo("dedup: terminated", err=True)
            sys.exit(TERMINATED)

    return wrapper


def _stopped_by(exc: BaseException) -> BaseException | None:
    """The interrupt (Ctrl-C, SIGTERM) an error was raised while unwinding from, if any: a
    consequence of the interrupt, not an error of the run's. A Spark run's JVM takes the
    terminal's Ctrl-C too and stops at once, so a call to it on the way out fails."""
    seen: BaseException | None = exc.__context__
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt | Terminated):
            return seen
        seen = seen.__context__
    return None


def system_error(exc: OSError) -> str:
    """``exc`` in one line: the file it names, if any, and what the system said."""
    reason = exc.strerror or str(exc)  # asyncio's bind error says it all in strerror
    if exc.filename is None:
        return reason
    if exc.filename2 is not None:
        return f"{_shown(exc.filename)} -> {_shown(exc.filename2)}: {reason}"
    return f"{_shown(exc.filename)}: {reason}"


def _shown(filename: object) -> str:
    return shown_path(os.fsdecode(filename) if isinstance(filename, bytes) else str(filename))


def config_options(func: Callable[P, R]) -> Callable[P, R]:
    """The settings every command shares: a TOML file and the common overrides."""
    return _settings_options(func, "")


def collection_config_options(func: Callable[P, R]) -> Callable[P, R]:
    """:func:`config_options` of a command on a ``--db`` collection, whose own settings are the
    defaults there (:func:`collection_config`): the help says so."""
    return _settings_options(func, "; with --db, the collection's")


def _settings_options(func: Callable[P, R], stored: str) -> Callable[P, R]:
    decorators = [
        click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False),
            help="TOML file of settings (overridden by DEDUP_* variables, then by flags).",
        ),
        click.option(
            "--threshold", type=float, help=f"Similarity a pair must reach [0.7{stored}]."
        ),
        click.option("--ngram", type=int, help=f"Words per shingle [5{stored}]."),
        click.option("--num-perm", type=int, help=f"MinHash permutations [128{stored}]."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def build_config(
    config_path: str | None, threshold: float | None, ngram: int | None, num_perm: int | None
) -> Config:
    """The effective config of a command (file < environment < flags)."""
    return load_config(
        config_path, overrides={"threshold": threshold, "ngram": ngram, "num_perm": num_perm}
    )


def collection_config(
    db_path: str | None,
    config_path: str | None,
    threshold: float | None,
    ngram: int | None,
    num_perm: int | None,
) -> Config:
    """The effective config of a command on the collection in ``db_path`` (``bulk --db``,
    ``strip --db``, ``serve``): the settings it was built with, those given on top (file <
    environment < flags); for a collection not made yet, or none (``db_path`` None), the
    defaults with those on top, as :func:`build_config` gives them.

    Settings not given are never the defaults for an existing collection: ``--threshold``
    alone must not ask a collection built with ``--ngram 3`` for word 5-grams. A given setting
    that is part of the config id and differs from the stored one is refused here, naming both
    ids, before a run reads its inputs (opening the collection checks it again: another
    process may make the file meanwhile); one that is not (the threshold) applies to this run.
    """
    from dedup.errors import ConfigMismatchError
    from dedup.index import stored_config

    stored = None if db_path is None else stored_config(db_path)
    overrides = {"threshold": threshold, "ngram": ngram, "num_perm": num_perm}
    config = load_config(config_path, overrides=overrides, base=stored)
    if stored is not None and config.id != stored.id:
        raise ConfigMismatchError(config.id, stored.id, where=f"index {db_path}")
    return config


@click.group(name="dedup", cls=Group)
@click.version_option(package_name="dedup")
def main() -> None:
    """Find near-duplicate articles, reused passages and boilerplate."""


def run() -> None:
    """The ``dedup`` program: :func:`main`, in a process that ends when it returns.

    Before the interpreter shuts down, every object is frozen out of the garbage collector:
    its last collections would otherwise walk the tens of thousands of objects numba loads:
    0.19 s from the last statement to the end of a process that loaded the kernels, 0.02 s
    frozen (``python -m benchmarks.bulk_parts``), to free memory the process gives back whole.
    Not part of :func:`main`, which tests (click's ``CliRunner``) call in a process that goes on.

    SIGTERM raises :class:`Terminated` (a command that serves replaces the handler with its
    own graceful stop): by default it would end the process at once and leave, say, the copy
    of stdin a run was reading in ``TMPDIR``.
    """
    signal.signal(signal.SIGTERM, _terminate)
    try:
        main(prog_name="dedup")
    finally:
        gc.freeze()


class Inputs:
    """The job's inputs, readable from the start as many times as needed.

    Jobs read their input more than once (learn, fingerprint, write). Standard input is copied
    to a temporary file first. An input that is neither a regular file nor a directory (a
    shell's ``<(cmd)``, a FIFO) can be read only once too: opened again, a pipe gives nothing
    and a FIFO waits for another writer. The first pass reads it through a copy it writes
    (:class:`_Tee`), so it streams as a file does; later passes read the copy, under the
    input's name. Calling the object reads every document; :meth:`selected` reads again only
    the ones a mask marks (see :func:`dedup.io.read_selected`).
    """

    def __init__(
        self,
        inputs: Sequence[str],
        fields: Mapping[str, str],
        stdin: str | None,
        copies: Mapping[str, str] | None = None,
    ):
        self.inputs = list(inputs)
        self.fields = dict(fields)
        self.stdin = stdin
        self.copies = dict(copies or {})  # input read once -> the path of its copy
        self._copied = False  # whether a pass read them through (their copies are whole)
        self._teed = False  # whether a pass began reading them

    def __call__(self) -> Iterator[Document]:
        from dedup.io import read_documents

        with ExitStack() as files:
            streams = self._streams(files)
            yield from read_documents(
                self.inputs, stdin=self._stdin(files), streams=streams, **self.fields
            )
        self._copied = True

    def selected(self, wanted: np.ndarray) -> Iterator[tuple[int, Document]]:
        """``(position, document)`` for the positions ``wanted`` marks."""
        from dedup.io import read_selected

        with ExitStack() as files:
            streams = self._streams(files)
            yield from read_selected(
                self.inputs, wanted, stdin=self._stdin(files), streams=streams, **self.fields
            )

    @contextmanager
    def opened(self) -> Iterator[dict[str, IO[bytes]]]:
        """The inputs read once, open for a reader of the job's own that reads them whole (the
        gold labels) before any pass: it reads them through the tee, as a first pass would."""
        with ExitStack() as files:
            yield self._streams(files)
        self._copied = True

    def _stdin(self, files: ExitStack) -> IO[bytes] | None:
        if self.stdin is None:
            return None
        return files.enter_context(open(self.stdin, "rb", buffering=1 << 20))

    def _streams(self, files: ExitStack) -> dict[str, IO[bytes]]:
        """The inputs read once: their copies, or the first time, themselves through a tee."""
        streams: dict[str, IO[bytes]] = {}
        for name, copy in self.copies.items():
            if self._copied:
                streams[name] = files.enter_context(open(copy, "rb", buffering=1 << 20))  # noqa: SIM115
                continue
            if self._teed:  # a pass stopped before its end: the rest is gone from the pipe
                raise InputError("can be read only once, and its first read did not end", name)
            self._teed = True
            try:
                source = files.enter_context(open(name, "rb", buffering=0))  # noqa: SIM115
            except OSError as exc:
                raise InputError(f"cannot open: {exc.strerror}", name) from None
            sink = files.enter_context(open(copy, "wb"))  # noqa: SIM115
            streams[name] = io.BufferedReader(_Tee(source, sink), 1 << 20)
        return streams


class _Tee(io.RawIOBase):
    """A stream that reads ``source`` and writes every byte it reads to ``sink``."""

    def __init__(self, source: IO[bytes], sink: IO[bytes]) -> None:
        super().__init__()
        self._source, self._sink = source, sink

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._source.readinto(buffer)  # type: ignore[attr-defined]
        if count:
            self._sink.write(memoryview(buffer)[:count])
        return int(count or 0)


@contextmanager
def _rereadable(inputs: Sequence[str], fields: Mapping[str, str]) -> Iterator[Inputs]:
    """The inputs as :class:`Inputs`, stdin copied and the copies of the inputs read once
    kept for as long as needed."""
    with ExitStack() as stack:
        stdin_copy = None
        if "-" in inputs:
            stdin_copy = stack.enter_context(_spooled(sys.stdin.buffer, "stdin"))
        copies = {
            name: stack.enter_context(_temporary("input"))
            for name in dict.fromkeys(inputs)
            if _read_once(name)
        }
        yield Inputs(inputs, fields, stdin_copy, copies)


def _read_once(name: str) -> bool:
    """Whether input ``name`` exists and is a stream rather than a file or a directory: a
    pipe (``<(cmd)``, ``/dev/fd/N``), a FIFO, a character device."""
    if name == "-":
        return False
    try:
        mode = os.stat(name).st_mode
    except OSError:  # missing or unreadable: the reader says so, naming it
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


@contextmanager
def _spooled(source: IO[bytes], what: str) -> Iterator[str]:
    """``source`` copied to a temporary file (removed at the end of the block)."""
    with _temporary(what) as path:
        with open(path, "wb") as handle:
            shutil.copyfileobj(source, handle, 1 << 20)
        yield path


@contextmanager
def _temporary(what: str) -> Iterator[str]:
    """The path of a new temporary file, removed at the end of the block."""
    fd, path = tempfile.mkstemp(prefix=f"dedup-{what}-", suffix=".jsonl")
    os.close(fd)
    try:
        yield path
    finally:
        os.unlink(path)


class _Progress:
    """A progress bar on a terminal, a line every few seconds otherwise, nothing if quiet."""

    def __init__(self, enabled: bool, stream: IO[str] | None = None) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._bar: Any = None
        self._last = 0.0
        self._start = time.monotonic()

    def stage(self, name: str) -> Callable[[int], None]:
        self.close()
        self._start = time.monotonic()
        if self.enabled and self.tty:
            from tqdm import tqdm

            self._bar = tqdm(desc=name, unit=" docs", file=self.stream, smoothing=0.1)

        def update(done: int) -> None:
            if not self.enabled:
                return
            if self._bar is not None:
                self._bar.update(done - self._bar.n)
                return
            now = time.monotonic()
            if now - self._last >= 5.0:
                self._last = now
                rate = done / max(now - self._start, 1e-9)
                print(f"{name}: {done} documents ({rate:,.0f} docs/s)", file=self.stream)

        return update

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _counted(items: Iterable[T], progress: Callable[[int], None]) -> Iterator[T]:
    """``items``, reporting the running count every 256."""
    count = 0
    for count, item in enumerate(items, 1):
        if count % 256 == 0:
            progress(count)
        yield item
    progress(count)
