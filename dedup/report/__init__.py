"""The HTML report of a bulk run: ``dedup report DIR`` and ``dedup bulk --report``.

:func:`write_report` reads a run's output directory (:func:`load_run`, bounded memory: see
:mod:`dedup.report.data`), renders one self-contained page (:func:`render_report`: inline CSS
and SVG, no scripts, no fetches, every text escaped) and writes it atomically.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from dedup.io import output_text_file
from dedup.report.data import SAMPLES_FILE, RunData, load_run
from dedup.report.page import render_report
from dedup.report.selection import Limits, Selection, select
from dedup.types import Document

REPORT_FILE = "report.html"


def write_report(
    directory: str | os.PathLike[str],
    target: str | os.PathLike[str] | None = None,
    *,
    documents: Iterable[Document] | None = None,
    limits: Limits | None = None,
) -> Path:
    """Write the report of the run in ``directory`` to ``target`` (default: its report.html;
    ``-``: standard output).

    ``documents`` is the run's input read again, for runs without ``samples.jsonl`` or to show
    more than the run kept; the file appears complete or not at all. Returns its path.
    """
    return save_report(load_run(directory, documents, limits), target)


def save_report(data: RunData, target: str | os.PathLike[str] | None = None) -> Path:
    """Render ``data`` and write it to ``target`` (default: its run's report.html), complete or
    not at all (:func:`dedup.io.output_text_file`: ``-`` is standard output, a symlink is
    written through); returns its path. Apart from :func:`write_report` for a caller that reads
    ``data`` first (what it found: :attr:`RunData.missing_texts`)."""
    path = Path(target) if target is not None else Path(data.directory) / REPORT_FILE
    page = render_report(data)
    with output_text_file(path) as handle:
        handle.write(page)
    return path


__all__ = [
    "REPORT_FILE",
    "SAMPLES_FILE",
    "Limits",
    "RunData",
    "Selection",
    "load_run",
    "render_report",
    "save_report",
    "select",
    "write_report",
]
