"""``python -m dedup`` and the ``dedup`` script: the command line, once its modules are loaded.

Loading them (click, NumPy, the command modules) takes a fifth of a second or more, before
:func:`dedup.cli.run` can answer Ctrl-C with its one line: a Ctrl-C meanwhile printed a
traceback of the imports it cut short. :func:`run` answers it as a later one is answered.
"""

from __future__ import annotations

import sys

from dedup._exits import INTERRUPTED


def run() -> None:
    """Load the command line, then run it (:func:`dedup.cli.run`)."""
    try:
        from dedup.cli import run as command
    except KeyboardInterrupt:
        sys.stderr.write("dedup: interrupted\n")
        raise SystemExit(INTERRUPTED) from None
    command()


if __name__ == "__main__":  # pragma: no branch
    run()
