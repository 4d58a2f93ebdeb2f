"""Shared fixtures: real articles from data/web-articles.jsonl and small corpora built from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DUMP = ROOT / "examples" / "sample_dump.txt"
WEB_ARTICLES = ROOT / "data" / "web-articles.jsonl"


@pytest.fixture(scope="session")
def web_articles() -> list[dict[str, object]]:
    """The 130 real articles, as dicts (id, title, source, lang, text)."""
    with WEB_ARTICLES.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="session")
def long_english_articles(web_articles: list[dict[str, object]]) -> list[str]:
    """Texts of English articles with at least 2,000 characters and 6 paragraphs."""
    texts = []
    for article in web_articles:
        text = str(article["text"])
        lang = str(article.get("lang") or "")
        if lang.startswith("en") and len(text) >= 2000 and text.count("\n\n") >= 5:
            texts.append(text)
    return texts


@pytest.fixture
async def client(aiohttp_client: Any, tmp_path: Path) -> TestClient[Any, Any]:
    """A test client of a service over a fresh SQLite file, on a real loopback server."""
    from service import create_app
    from tests.service_support import settings

    return await aiohttp_client(create_app(settings(tmp_path)))


@pytest.fixture(scope="session")
def article(long_english_articles: list[str]) -> str:
    """One real news-length English article."""
    return long_english_articles[0]


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    """Write records as JSON Lines and return the path."""
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def read_jsonl(path: Path) -> list[dict[str, object]]:
    """Read a JSON Lines file."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# --- TEMPORARY (service branch): a stand-in for dedup.collection until the index lands in main.
# It follows the lead's contract with a brute-force scan over a real SQLite file (WAL, one
# connection per Collection), only so that the HTTP layer can be exercised. It is installed
# only when the real module is missing, and is deleted once main has dedup/collection.py.
def _install_temporary_collection_fake() -> None:
    import sqlite3
    import sys
    import types
    from dataclasses import dataclass, field

    import numpy as np

    from dedup.boilerplate.strip import Stripped
    from dedup.config import Config
    from dedup.errors import DocumentNotFoundError
    from dedup.fingerprint import Fingerprinter
    from dedup.verify import Similarity

    @dataclass
    class MatchReport:
        id: str
        relation: str
        jaccard: float
        containment: float
        containment_reverse: float
        passages: list[dict[str, Any]] = field(default_factory=list)

        def to_dict(self) -> dict[str, Any]:
            return dict(self.__dict__)

    @dataclass
    class Verdict:
        id: str
        status: str
        duplicate_of: str | None
        matches: list[MatchReport]
        boilerplate: list[tuple[int, int]]
        stored: str | None
        truncated: bool = False

        def to_dict(self) -> dict[str, Any]:
            return {
                "id": self.id,
                "status": self.status,
                "duplicate_of": self.duplicate_of,
                "matches": [m.to_dict() for m in self.matches],
                "boilerplate": [list(b) for b in self.boilerplate],
                "stored": self.stored,
                "truncated": self.truncated,
            }

    @dataclass
    class DocumentView:
        id: str
        source: str | None
        published: str | None
        title: str | None
        length: int
        cluster: str
        members: list[str]
        matches: list[MatchReport]

        def to_dict(self) -> dict[str, Any]:
            d = dict(self.__dict__)
            d["matches"] = [m.to_dict() for m in self.matches]
            return d

    class Collection:
        def __init__(self, conn: sqlite3.Connection, config: Config) -> None:
            self.conn, self.config = conn, config
            self.fp = Fingerprinter(config)

        @classmethod
        def open(cls, path: Any, config: Config | None = None, *, readonly: bool = False):
            if readonly:
                conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
            else:
                conn = sqlite3.connect(str(path), isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS docs (seq INTEGER PRIMARY KEY, id TEXT UNIQUE,"
                    " text TEXT, source TEXT, published TEXT, title TEXT, cluster TEXT)"
                )
            return cls(conn, config or Config())

        def _scan(self, doc: Any, since: Any, until: Any, excl: bool) -> tuple[str, Any, list]:
            me = self.fp.fingerprint_one(doc.text)
            matches, dup_of, status = [], None, "new"
            for did, text, source, published in self.conn.execute(
                "SELECT id, text, source, published FROM docs WHERE id != ? ORDER BY seq", (doc.id,)
            ):
                if (since and (published or "") < since) or (until and (published or "~") > until):
                    continue
                if excl and doc.source is not None and source == doc.source:
                    continue
                other = self.fp.fingerprint_one(text)
                sim = Similarity.of(me.shingles, other.shingles)
                rel = sim.relation(self.config.threshold, me.content_hash == other.content_hash)
                if rel is None:
                    continue
                matches.append(
                    MatchReport(
                        did, str(rel), sim.jaccard, sim.containment_a_in_b, sim.containment_b_in_a
                    )
                )
                if rel in ("duplicate", "near_duplicate") and dup_of is None:
                    dup_of, status = did, str(rel)
            return status, dup_of, matches

        def check(self, doc: Any, *, since=None, until=None, exclude_same_source=False) -> Verdict:
            status, dup_of, matches = self._scan(doc, since, until, exclude_same_source)
            return Verdict(doc.id, status, dup_of, matches, [], None)

        def post(self, doc: Any, *, since=None, until=None, exclude_same_source=False) -> Verdict:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                row = self.conn.execute("SELECT text FROM docs WHERE id = ?", (doc.id,)).fetchone()
                if row is not None and row[0] == doc.text:
                    self.conn.execute("COMMIT")
                    return Verdict(doc.id, "duplicate", doc.id, [], [], "unchanged")
                status, dup_of, matches = self._scan(doc, since, until, exclude_same_source)
                self.conn.execute(
                    "INSERT INTO docs (id, text, source, published, title, cluster) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET text = excluded.text",
                    (doc.id, doc.text, doc.source, doc.published, doc.title, dup_of or doc.id),
                )
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            stored = "added" if row is None else "updated"
            return Verdict(doc.id, status, dup_of, matches, [], stored)

        def strip(self, text: str, source: str | None = None) -> Stripped:
            return Stripped(text, [])

        def get(self, doc_id: str) -> DocumentView:
            row = self.conn.execute(
                "SELECT id, source, published, title, length(text), cluster FROM docs WHERE id=?",
                (doc_id,),
            ).fetchone()
            if row is None:
                raise DocumentNotFoundError(doc_id)
            members = [
                r[0]
                for r in self.conn.execute(
                    "SELECT id FROM docs WHERE cluster = ? ORDER BY seq", (row[5],)
                )
            ]
            return DocumentView(*row, members, [])

        def delete(self, doc_id: str) -> None:
            if self.conn.execute("DELETE FROM docs WHERE id = ?", (doc_id,)).rowcount == 0:
                raise DocumentNotFoundError(doc_id)

        def __len__(self) -> int:
            return int(self.conn.execute("SELECT count(*) FROM docs").fetchone()[0])

        def close(self) -> None:
            self.conn.close()

    del np
    module = types.ModuleType("dedup.collection")
    module.Collection = Collection  # type: ignore[attr-defined]
    module.Verdict = Verdict  # type: ignore[attr-defined]
    module.MatchReport = MatchReport  # type: ignore[attr-defined]
    module.DocumentView = DocumentView  # type: ignore[attr-defined]
    sys.modules["dedup.collection"] = module


try:
    import dedup.collection  # noqa: F401
except ImportError:
    _install_temporary_collection_fake()
