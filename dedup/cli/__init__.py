"""The ``dedup`` command line: a thin layer over the library.

Each command builds library objects, calls them, and turns :class:`dedup.DedupError` into a
one-line ``dedup: error: ...`` message on stderr with exit code 2; usage errors are one line
with exit code 2 as well (``dedup bulk: error: ...``, :mod:`dedup.cli._usage`). Results go to
files or stdout; progress and summaries go to stderr.
Commands live in the modules of this package and register themselves on :func:`main`.
"""

from dedup.cli import bulk, misc, report  # noqa: F401  (registration)
from dedup.cli._app import build_config, config_options, main, run
from dedup.cli.misc import serve

__all__ = ["build_config", "config_options", "main", "run", "serve"]

if __name__ == "__main__":  # pragma: no cover
    run()
