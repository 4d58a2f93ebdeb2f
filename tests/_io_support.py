"""Helpers of the dedup.io tests: the shipped dump, JSON Lines and dump builders, readers."""

from __future__ import annotations

import json
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from dedup.errors import InputError
from dedup.io import read_documents
from dedup.types import Document

SAMPLE_DUMP = Path(__file__).resolve().parent.parent / "examples" / "sample_dump.txt"
SAMPLE_TITLES = [
    "‘Old friend’ Putin arrives in China for state visit, summit with Xi Jinping",  # noqa: RUF001 - the corpus uses typographic quotes
    "US, UK, most EU nations to boycott Putin inauguration",
    "Two Russian journalists arrested over alleged work for Navalny group",
    "How will the Moscow concert hall attack affect Putin?",
    "Who’s to blame for the Moscow massacre? ISIL, Ukraine or Russia itself?",  # noqa: RUF001 - the corpus uses typographic quotes
    "Moscow concert hall attack: Why is ISIL targeting Russia?",
    "Putin wins again but what happened in Russia’s election protests?",  # noqa: RUF001 - the corpus uses typographic quotes
    "Putin poised to win Russian presidential election by a landslide",
    "‘Noon against Putin’ protests as Russian leader set to extend rule in polls",  # noqa: RUF001 - the corpus uses typographic quotes
    "At gunpoint, Ukrainians in occupied regions vote in Russia’s election",  # noqa: RUF001 - the corpus uses typographic quotes
]
FOOTERS = "Check out our Latest News and Follow us at Facebook\n\nOriginal Source"


def jsonl(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def read(*paths: Path | str, **options: Any) -> list[Document]:
    return list(read_documents([str(path) for path in paths], **options))


def read_error(*paths: Path | str, **options: Any) -> InputError:
    with pytest.raises(InputError) as info:
        read(*paths, **options)
    return info.value


def dump(*articles: tuple[str, list[str]], tail: str = "") -> str:
    """Build a dump in the shipped format from (title line, paragraphs) pairs."""
    parts = ["\n\n".join([title, *paragraphs, FOOTERS]) + "\n\n" for title, paragraphs in articles]
    return "".join(parts) + tail


def read_fifo(fifo: Path) -> Future[bytes]:
    """Everything a reader of the FIFO ``fifo`` gets, read in a thread that opens it as any
    reader does: its open waits for a writer, and the read ends when the writer closes.

    A daemon thread, not a pool's: a writer that never opens the FIFO (one that replaced it by
    a regular file) leaves the reader waiting for good, and a waiting daemon thread does not
    hold up the end of the test run. Wait for the result with a timeout.
    """
    result: Future[bytes] = Future()

    def read() -> None:
        try:
            result.set_result(fifo.read_bytes())
        except BaseException as exc:  # handed to the test, which raises it
            result.set_exception(exc)

    threading.Thread(target=read, name=f"read {fifo.name}", daemon=True).start()
    return result
