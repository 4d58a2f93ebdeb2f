"""The report as a browser renders it: headless Chromium, DevTools protocol, real DOM.

Skipped, with the install hint, only when no Chromium is found, and never when
DEDUP_REQUIRE_BROWSER is set (CI sets it: there a missing browser is a failure, not a skip).
The screenshot of the page is written under pytest's temporary directory and, when
DEDUP_ARTEFACTS names a directory, copied there as report.png.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._browser import INSTALL_HINT, Browser, Page, find_chromium
from tests._report_support import IMG, SCRIPT, bulk, hostile_records, write_records
from tests.conftest import read_jsonl

pytestmark = pytest.mark.skipif(
    find_chromium() is None and not os.environ.get("DEDUP_REQUIRE_BROWSER"), reason=INSTALL_HINT
)

COLLECT_PAIRS = """
[...document.querySelectorAll('.pair')].map(pair => ({
  canonical: pair.dataset.canonical,
  member: pair.dataset.member,
  sides: Object.fromEntries([...pair.querySelectorAll('.doc')].map(doc => [
    doc.dataset.role,
    [...doc.querySelectorAll('mark')].map(m => [+m.dataset.start, +m.dataset.end, m.textContent]),
  ])),
}))
"""
HANDLERS = """
[...document.querySelectorAll('*')].flatMap(
  el => [...el.attributes].map(a => a.name).filter(name => name.startsWith('on')))
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    """The hostile corpus through `dedup bulk --strip-boilerplate --passages --report`."""
    root = tmp_path_factory.mktemp("browser")
    records = hostile_records()
    corpus = write_records(root / "in.jsonl", records)
    bulk(str(corpus), "--out", str(root / "run"), "--strip-boilerplate", "--passages", "--report")
    return root / "run", records


@pytest.fixture(scope="module")
def page(report: tuple[Path, list[dict[str, object]]]) -> Iterator[Page]:
    """The report open in headless Chromium."""
    with Browser() as browser:
        yield browser.open((report[0] / "report.html").as_uri())


def test_every_section_and_chart_is_rendered(page: Page) -> None:
    """The five sections, the histogram's bars, S-curve and threshold line, and the clusters."""
    found = page.evaluate(
        """({
        sections: [...document.querySelectorAll('main > section')].map(s => s.id),
        bars: document.querySelectorAll('#similarity-chart rect.bar').length,
        curve: document.querySelectorAll('#similarity-chart path.s-curve').length,
        threshold: document.querySelectorAll('#similarity-chart line.threshold').length,
        sizes: document.querySelectorAll('#size-chart rect.bar').length,
        clusters: document.querySelectorAll('#clusters details.cluster').length,
        patterns: document.querySelectorAll('#patterns tr.pattern').length,
    })"""
    )
    assert found["sections"] == ["summary", "similarity", "sizes", "clusters", "boilerplate"]
    assert found["bars"] > 0 and found["sizes"] > 0
    assert found["curve"] == 1 and found["threshold"] == 1
    assert found["clusters"] >= 2 and found["patterns"] >= 1


def test_highlighted_passages_are_the_pairs_jsonl_offsets(
    page: Page, report: tuple[Path, list[dict[str, object]]]
) -> None:
    """Every shown pair's marks, on both sides, are exactly its passages in pairs.jsonl, and
    each mark's text is the original text at those offsets."""
    run, records = report
    texts = {str(r["id"]): str(r["text"]) for r in records}
    pairs = {frozenset((str(p["a"]), str(p["b"]))): p for p in read_jsonl(run / "pairs.jsonl")}
    shown: list[dict[str, Any]] = page.evaluate(COLLECT_PAIRS)
    assert shown
    marked = 0
    for pair in shown:
        canonical, member = pair["canonical"], pair["member"]
        record = pairs[frozenset((canonical, member))]
        side = {canonical: "a" if record["a"] == canonical else "b"}
        side[member] = "b" if side[canonical] == "a" else "a"
        for role, doc in (("canonical", canonical), ("member", member)):
            passages = record["passages"]
            assert isinstance(passages, list)
            expected = sorted(tuple(p[side[doc]]) for p in passages)
            marks = pair["sides"][role]
            assert sorted((s, e) for s, e, _ in marks) == expected
            for start, end, text in marks:
                assert text == texts[doc][start:end]
            marked += len(marks)
    assert marked > 0


def test_markup_in_articles_never_becomes_live(page: Page) -> None:
    """<script> and <img onerror> in texts, ids, titles and sources stay text: the title is
    unchanged, no such element or handler attribute exists, and the strings are readable."""
    assert page.evaluate("document.title").startswith("dedup report: ")
    assert "pwned" not in page.evaluate("document.title")
    assert page.evaluate("document.querySelectorAll('script, img, iframe, object').length") == 0
    assert page.evaluate(HANDLERS) == []
    body = page.evaluate("document.body.textContent")
    assert SCRIPT in body and IMG in body


def test_page_requests_nothing_but_itself(page: Page) -> None:
    """The only request the page made is for its own file."""
    assert [url for url in page.requests if not url.startswith("file://")] == []
    assert len(page.requests) == 1


def test_screenshot_is_kept_as_an_artefact(page: Page, tmp_path: Path) -> None:
    """A PNG of the rendered page is written (and copied to $DEDUP_ARTEFACTS when set)."""
    shot = page.screenshot(tmp_path / "report.png")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 50_000
    target = os.environ.get("DEDUP_ARTEFACTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / "report.png")
    print(json.dumps({"screenshot": str(shot)}))
