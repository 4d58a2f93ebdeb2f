"""`dedup eval` and `dedup tune` on labelled files with bad lines or bad gold spans.

They read labelled files the way `dedup bulk` reads its input: a line bulk refuses is refused
here too, with the same message; and a gold span must lie within its text. Either way: one
line naming file and line, exit code 2, no traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import main
from dedup.evaluate import read_labels
from tests.conftest import write_jsonl

GOOD: list[dict[str, object]] = [
    {"id": "a", "text": "one two three four five six seven", "cluster": "a"},
    {"id": "b", "text": "eight nine ten eleven twelve thirteen", "cluster": "b"},
]
BAD_LINES = {
    "nested 100,000 deep": "[" * 100_000 + "]" * 100_000,
    "a 5,000-digit integer": '{"id": "c", "text": "x y", "cluster": ' + "1" * 5_000 + "}",
    "NaN": '{"id": "c", "text": "x y", "cluster": NaN}',
    "not an object": '["c", "x y"]',
}


def run(*args: str) -> tuple[int, str]:
    """Invoke the CLI in-process; returns (exit code, stdout and stderr)."""
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def labelled(tmp_path: Path, bad_line: str) -> Path:
    """Two good records, then ``bad_line`` as line 3."""
    path = write_jsonl(tmp_path / "labelled.jsonl", list(GOOD))
    with path.open("a", encoding="utf-8") as handle:
        handle.write(bad_line + "\n")
    return path


def spanned(span: list[int], text: str = "tiny", text_field: str = "text") -> dict[str, object]:
    """A labelled record whose text carries one gold boilerplate span."""
    return {"id": "x", "cluster": "c", text_field: text, "boilerplate": [span]}


def one_line(code: int, output: str) -> str:
    """The single error line of a refused run."""
    assert code == 2, output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) == 1, output
    return output.strip()


@pytest.mark.parametrize("command", ["eval", "tune"])
def test_a_line_nested_too_deep_is_invalid_json_at_its_line(tmp_path: Path, command: str) -> None:
    """A line nested past the parser's recursion limit is refused, not a RecursionError."""
    path = labelled(tmp_path, BAD_LINES["nested 100,000 deep"])
    message = one_line(*run(command, str(path)))
    assert message.startswith(f"dedup: error: {path}:3: invalid JSON: maximum recursion depth")


@pytest.mark.parametrize("command", ["eval", "tune"])
def test_an_integer_too_long_to_read_is_invalid_json_at_its_line(
    tmp_path: Path, command: str
) -> None:
    """An integer past Python's digit limit is refused, not a ValueError traceback."""
    path = labelled(tmp_path, BAD_LINES["a 5,000-digit integer"])
    message = one_line(*run(command, str(path)))
    assert message.startswith(f"dedup: error: {path}:3: invalid JSON: Exceeds the limit")


@pytest.mark.parametrize("bad_line", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_eval_refuses_a_line_with_the_message_bulk_gives(tmp_path: Path, bad_line: str) -> None:
    """eval's message for a bad line is word for word the bulk reader's."""
    path = labelled(tmp_path, bad_line)
    from_bulk = one_line(*run("bulk", str(path), "--out", str(tmp_path / "out"), "--quiet"))
    assert one_line(*run("eval", str(path))) == from_bulk


def test_a_gold_span_past_the_end_of_the_text_is_refused(tmp_path: Path) -> None:
    """A span ending beyond the text would count characters that do not exist."""
    path = write_jsonl(tmp_path / "labelled.jsonl", [*GOOD, spanned([0, 1000])])
    message = one_line(*run("eval", str(path)))
    assert message == (
        f"dedup: error: {path}:3: 'boilerplate' span [0, 1000] ends past the end of the text "
        "(4 characters)"
    )


def test_an_empty_gold_span_is_refused(tmp_path: Path) -> None:
    """A span must hold at least one character: start < end."""
    path = write_jsonl(tmp_path / "labelled.jsonl", [spanned([2, 2])])
    message = one_line(*run("eval", str(path)))
    assert message == (
        f"dedup: error: {path}:1: 'boilerplate' span [2, 2] is empty (a span needs start < end)"
    )


def test_a_gold_span_may_end_at_the_end_of_the_text(tmp_path: Path) -> None:
    """[0, len(text)] covers the whole text and is accepted."""
    path = write_jsonl(tmp_path / "labelled.jsonl", [spanned([0, 4])])
    assert read_labels([str(path)]).boilerplate == {"x": [(0, 4)]}


def test_spans_are_measured_against_the_named_text_field(tmp_path: Path) -> None:
    """With another text field, a span's bound is that field's length."""
    record = spanned([0, 13], text="a longer text", text_field="body")
    path = write_jsonl(tmp_path / "labelled.jsonl", [record])
    assert read_labels([str(path)], text_field="body").boilerplate == {"x": [(0, 13)]}


@pytest.mark.parametrize("command", ["eval", "tune"])
def test_an_input_without_documents_is_refused_not_scored_perfect(
    tmp_path: Path, command: str
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    code, output = run(command, str(empty))
    assert code == 2
    assert output.strip() == f"dedup: error: {empty}: no labelled documents to evaluate"
