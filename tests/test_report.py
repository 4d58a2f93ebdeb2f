"""The HTML report: what the bulk job keeps for it, what it shows, and how it stays bounded."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import main
from dedup.report import Limits, load_run, render_report, select
from tests._report_support import SCRIPT, bulk, hostile_records, write_records
from tests.conftest import ROOT, WEB_ARTICLES, read_jsonl

LABELLED = ROOT / "examples" / "labelled.jsonl"
SECTIONS = ("summary", "similarity", "sizes", "clusters", "boilerplate")


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The labelled sample through `dedup bulk --strip-boilerplate --passages --report`."""
    out = tmp_path_factory.mktemp("report") / "run"
    bulk(str(LABELLED), "--out", str(out), "--strip-boilerplate", "--passages", "--report")
    return out


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile corpus through the same command."""
    root = tmp_path_factory.mktemp("hostile")
    corpus = write_records(root / "in.jsonl", hostile_records())
    bulk(str(corpus), "--out", str(root / "run"), "--strip-boilerplate", "--passages", "--report")
    return root / "run"


def test_bulk_report_writes_a_page_with_every_section(run: Path) -> None:
    """`bulk --report` leaves report.html with the five sections."""
    page = (run / "report.html").read_text(encoding="utf-8")
    ids = {attrs.get("id") for tag, attrs in _tags(page) if tag == "section"}
    assert ids == set(SECTIONS)


def test_bulk_report_is_titled_by_the_output_directory(run: Path) -> None:
    """The page is made where the outputs are staged, but names where they went."""
    page = (run / "report.html").read_text(encoding="utf-8")
    assert f"<title>dedup report: {run}</title>" in page
    assert "staging" not in page


def test_samples_hold_the_original_texts_of_the_shown_documents(run: Path) -> None:
    """samples.jsonl has exactly the documents the report shows, with their original text."""
    originals = {r["id"]: r["text"] for r in read_jsonl(LABELLED)}
    clusters = [(str(r["id"]), str(r["cluster"])) for r in read_jsonl(run / "clusters.jsonl")]
    shown = select(lambda: clusters, Limits()).documents()
    samples = read_jsonl(run / "samples.jsonl")
    assert {s["id"] for s in samples} == shown
    for sample in samples:
        assert sample["text"] == originals[sample["id"]][:8000]
        assert sample["length"] == len(str(originals[sample["id"]]))


def test_boilerplate_records_count_their_documents_per_source(run: Path) -> None:
    """Each pattern's per_source counts add up to its documents (every sample doc has a source)."""
    for pattern in read_jsonl(run / "boilerplate.jsonl"):
        per_source = pattern["per_source"]
        assert isinstance(per_source, dict)
        assert sum(per_source.values()) == len(pattern["documents"])  # type: ignore[arg-type]
        assert sorted(per_source) == pattern["sources"]


def test_page_loads_nothing_from_anywhere(run: Path) -> None:
    """No element has src, and every href is an in-page anchor; a CSP forbids fetches anyway."""
    tags = _tags((run / "report.html").read_text(encoding="utf-8"))
    assert not [attrs for _, attrs in tags if "src" in attrs]
    assert all(str(attrs["href"]).startswith("#") for _, attrs in tags if "href" in attrs)
    csp = [a for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in str(csp[0]["content"])


def test_hostile_text_never_becomes_a_tag_or_handler(hostile_run: Path) -> None:
    """Markup in texts, ids, titles, sources and boilerplate stays text: no script, no img, no
    on* attribute anywhere in the page, and the hostile strings are there as escaped text."""
    page = (hostile_run / "report.html").read_text(encoding="utf-8")
    tags = _tags(page)
    assert not [t for t, _ in tags if t in ("script", "img", "iframe", "object", "embed")]
    assert not [name for _, attrs in tags for name in attrs if name.startswith("on")]
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page


def test_hostile_cluster_and_boilerplate_are_shown(hostile_run: Path) -> None:
    """The hostile pair is a shown cluster and the <script> footer a listed pattern."""
    data = load_run(hostile_run)
    assert "evil-a" in {c.id for c in data.clusters}
    assert SCRIPT in [p["text"] for p in data.patterns]


def test_passages_come_from_the_run_when_it_has_them(run: Path) -> None:
    """With --passages, the marks of each shown pair are the pair record's passages."""
    data = load_run(run)
    assert data.passages == "run"
    pair = next(p for c in data.clusters for p in c.pairs if p.record and p.record["passages"])
    assert pair.record is not None
    expected = {tuple(p["b"] if pair.record["a"] != pair.member_id else p["a"])
                for p in pair.record["passages"]}  # fmt: skip
    assert {(m.start, m.end) for m in pair.canonical_marks} == expected


def test_without_passages_the_report_aligns_the_shown_pairs(tmp_path: Path) -> None:
    """A run made without --passages still gets highlighted passages, aligned for the page."""
    bulk(str(LABELLED), "--out", str(tmp_path / "run"))
    data = load_run(tmp_path / "run")
    assert data.passages == "report"
    assert any(p.member_marks for c in data.clusters for p in c.pairs)
    assert "aligned for this report" in render_report(data)


def test_texts_can_come_from_the_input(run: Path, tmp_path: Path) -> None:
    """Without samples.jsonl, `dedup report --input` reads the texts from the run's input."""
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    (copy / "samples.jsonl").unlink()
    assert load_run(copy).texts == "none"
    result = CliRunner().invoke(
        main, ["report", str(copy), "--input", str(LABELLED), "--out", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "text not available" not in page
    assert page.count('class="text"') >= 2


def _part_of_labelled(path: Path, lines: int) -> Path:
    """The first ``lines`` lines of the labelled sample: the run's input cut short."""
    with LABELLED.open(encoding="utf-8") as handle:
        path.write_text("".join(handle.readlines()[:lines]), encoding="utf-8")
    return path


def test_input_lacking_shown_documents_is_one_warning_with_counts(
    run: Path, tmp_path: Path
) -> None:
    """`--input` without some of the shown documents warns once, counting them, and writes."""
    part = _part_of_labelled(tmp_path / "part.jsonl", 60)
    shown = load_run(run).selection.documents()
    missing = shown - {r["id"] for r in read_jsonl(part)}
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["report", str(run), "--input", str(part), "--out", str(out)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert 0 < len(missing) < len(shown)
    assert warnings == [
        f"dedup: warning: {len(missing)} of the {len(shown)} documents the report shows are "
        f"not in --input {part}; their text is not shown"
    ]
    assert out.is_file()


def test_the_page_says_how_many_shown_texts_the_input_lacks(run: Path, tmp_path: Path) -> None:
    """A page made from an input lacking shown documents says how many, above the clusters."""
    from dedup.io import read_documents

    part = _part_of_labelled(tmp_path / "part.jsonl", 60)
    data = load_run(run, read_documents([str(part)]))
    shown = len(data.selection.documents())
    assert 0 < data.missing_texts < shown
    assert (
        f"{data.missing_texts:,} of the {shown:,} documents shown are not in the input given "
        "to the report: their text is not shown." in render_report(data)
    )


def test_input_holding_none_of_the_shown_documents_is_an_error(run: Path, tmp_path: Path) -> None:
    """`--input` of another corpus is one error line, exit code 2, and no page written."""
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        main, ["report", str(run), "--input", str(WEB_ARTICLES), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert result.output.startswith(f"dedup: error: {WEB_ARTICLES}: none of the ")
    assert len(result.output.splitlines()) == 1 and not out.exists()


def test_samples_holding_none_of_the_shown_documents_is_an_error(run: Path, tmp_path: Path) -> None:
    """An empty samples.jsonl while clusters are shown is one error line pointing to --input,
    exit code 2, and no page written (not a page of clusters without a single text)."""
    copy = Path(shutil.copytree(run, tmp_path / "run"))
    (copy / "samples.jsonl").write_bytes(b"")
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["report", str(copy), "--out", str(out)])
    assert result.exit_code == 2
    assert result.output.startswith(
        f"dedup: error: {copy / 'samples.jsonl'}: holds none of the "
        f"{len(load_run(run).selection.documents())} documents the report shows"
    )
    assert "--input" in result.output
    assert len(result.output.splitlines()) == 1 and not out.exists()


def test_report_command_defaults_to_the_run_directory(run: Path, tmp_path: Path) -> None:
    """`dedup report DIR` writes DIR/report.html, readable by others (mode 0644)."""
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    (copy / "report.html").unlink()
    result = CliRunner().invoke(main, ["report", str(copy)])
    assert result.exit_code == 0, result.output
    assert (copy / "report.html").stat().st_mode & 0o777 == 0o644


def test_report_of_a_directory_that_is_no_run_is_an_error(tmp_path: Path) -> None:
    """A directory without summary.json is refused with a one-line error and exit code 2."""
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a dedup output directory" in result.output


def test_selection_takes_the_largest_clusters_first() -> None:
    """Largest first, ties in first-seen order, singletons never, at most `clusters`."""
    records = [("a", "a"), ("b", "b"), ("c", "a"), ("d", "b"), ("e", "e"), ("f", "f"), ("g", "f"),
               ("h", "f")]  # fmt: skip
    chosen = select(lambda: records, Limits(clusters=2)).clusters
    assert [(c, size) for c, size, _ in chosen] == [("f", 3), ("a", 2)]


def test_selection_keeps_the_first_members_in_input_order() -> None:
    """The canonical comes first, then at most `members` others in input order."""
    records = [("m1", "c"), ("c", "c"), ("m2", "c"), ("m3", "c")]
    chosen = select(lambda: records, Limits(members=2)).clusters
    assert chosen == [("c", 4, ["c", "m1", "m2"])]


def _fake_run(root: Path, documents: int, cluster_size: int, clusters: int) -> None:
    """Outputs of a run of ``documents`` documents: ``clusters`` clusters of ``cluster_size``
    (each member paired with its canonical), the rest singletons; no texts kept."""
    with (root / "clusters.jsonl").open("w") as c, (root / "pairs.jsonl").open("w") as p:
        doc = 0
        for k in range(clusters):
            canonical = f"d{doc}"
            for j in range(cluster_size):
                c.write(json.dumps({"id": f"d{doc}", "cluster": canonical, "canonical": j == 0}))
                c.write("\n")
                if j:
                    jaccard = 0.5 + 0.5 * ((k * 7 + j) % 100) / 100
                    p.write(json.dumps({"a": canonical, "b": f"d{doc}", "jaccard": jaccard,
                                        "containment_a_in_b": jaccard,
                                        "containment_b_in_a": jaccard,
                                        "relation": "near_duplicate"}) + "\n")  # fmt: skip
                doc += 1
        while doc < documents:
            c.write(json.dumps({"id": f"d{doc}", "cluster": f"d{doc}", "canonical": True}) + "\n")
            doc += 1
    summary = {"documents": documents, "config": {}, "config_id": "x", "pairs": 0}
    (root / "summary.json").write_text(json.dumps(summary))


def test_report_of_a_100k_document_run_stays_bounded(tmp_path: Path) -> None:
    """100,000 documents, 5,000 clusters of 5 and 20,000 pairs: the page shows 50 clusters, counts
    every pair and cluster, says so, and stays small (how long it takes is for benchmarks/)."""
    _fake_run(tmp_path, 100_000, 5, 5_000)
    data = load_run(tmp_path)
    page = render_report(data)
    assert data.histogram.total == 20_000
    assert len(data.clusters) == 50
    assert sum(data.selection.sizes.values()) == 80_000
    assert "the 50 largest of 5,000 clusters with duplicates are shown" in page
    assert len(page.encode()) < 1_000_000
