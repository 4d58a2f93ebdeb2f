"""Shared fixtures: real articles from data/web-articles.jsonl and small corpora built from them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _index_support import BACKENDS, Backends
from aiohttp.test_utils import TestClient

from dedup.collection import Collection
from dedup.index import IndexCore
from dedup.io import read_documents
from dedup.synth import Article, clean_articles, load_articles
from dedup.types import Document

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DUMP = ROOT / "examples" / "sample_dump.txt"
WEB_ARTICLES = ROOT / "data" / "web-articles.jsonl"


@pytest.fixture(scope="session")
def sample() -> list[Document]:
    """The shipped sample's ten articles (``examples/sample_dump.txt``)."""
    return list(read_documents([str(SAMPLE_DUMP)]))


@pytest.fixture(scope="session")
def web_articles() -> list[dict[str, object]]:
    """The 130 real articles, as dicts (id, title, source, lang, text)."""
    with WEB_ARTICLES.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="session")
def articles() -> list[Article]:
    """The real articles as :mod:`dedup.synth` loads them (the generators' raw material)."""
    return load_articles()


@pytest.fixture(scope="session")
def clean(articles: list[Article]) -> list[Article]:
    """Those of them that share no paragraph with another (the generators' clean base)."""
    return clean_articles(articles)


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
def collection(tmp_path: Path) -> Iterator[Collection]:
    """A fresh collection file (the Collection tests')."""
    with Collection.open(tmp_path / "articles.db") as articles:
        yield articles


@pytest.fixture
async def client(aiohttp_client: Any, tmp_path: Path) -> TestClient[Any, Any]:
    """A test client of a service over a fresh SQLite file, on a real loopback server."""
    from service import create_app
    from tests.service_support import settings

    test_client: TestClient[Any, Any] = await aiohttp_client(create_app(settings(tmp_path)))
    return test_client


@pytest.fixture(scope="session")
def article(long_english_articles: list[str]) -> str:
    """One real news-length English article."""
    return long_english_articles[0]


@pytest.fixture(scope="session")
def story(long_english_articles: list[str]) -> str:
    """One real paragraph of news (checks of many copies of it stay fast)."""
    return long_english_articles[0].split("\n\n")[1]


def toml(tmp_path: Path, text: str) -> Path:
    """A settings file ``dedup.toml`` in ``tmp_path`` holding ``text``."""
    path = tmp_path / "dedup.toml"
    path.write_text(text, encoding="utf-8")
    return path


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


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local[2] SparkSession for the whole test run (skips without PySpark or Java)."""
    pytest.importorskip(
        "pyspark", reason="PySpark is not installed: the Spark engine needs pip install '.[spark]'"
    )
    from dedup.engines.spark.session import java_executable, start_session

    if java_executable() is None:
        pytest.skip(
            "Java is not installed: the Spark engine tests need Java 17+ "
            "(e.g. apt-get install openjdk-17-jre-headless, or set JAVA_HOME)"
        )
    session = start_session(
        "local[2]",
        app_name="dedup tests",
        conf={"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4"},
    )
    yield session
    session.stop()


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IndexCore]:
    """An empty index of each kind, in-memory and SQLite (a test file may define its own)."""
    backends = Backends(request.param, tmp_path)
    yield backends.open()
    backends.close_all()
