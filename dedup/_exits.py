"""The command line's exit codes for a stopped run, in a module light enough for
:mod:`dedup.__main__` to import before the command line's own modules load."""

from __future__ import annotations

import signal

#: The exit code of a run stopped by Ctrl-C: 128 + SIGINT, as shells report it.
INTERRUPTED = 128 + signal.SIGINT
#: The exit code of a run stopped by SIGTERM (``timeout``, ``kill``, a service manager).
TERMINATED = 128 + signal.SIGTERM
