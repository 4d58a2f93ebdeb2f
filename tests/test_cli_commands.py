"""What every ``dedup`` command shares: settings it cannot use are one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from dedup.cli import main

#: Each command that takes settings, with the arguments it needs to get as far as reading them.
COMMANDS = {
    "bulk": ["in.jsonl", "--out", "out"],
    "strip": ["in.jsonl", "--out", "out.jsonl"],
    "curve": [],
    "eval": ["in.jsonl"],
    "tune": ["in.jsonl"],
    "serve": ["--db", "index.db"],
}


def test_the_table_covers_every_command_that_takes_settings() -> None:
    assert isinstance(main, click.Group)
    taking = {
        name
        for name, command in main.commands.items()
        if any(p.name == "config_path" for p in command.params)
    }
    assert taking == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (b"threshold = 2\n", "settings.toml: threshold must be in (0, 1]"),
        (b"threshold = = 1\n", "settings.toml: "),
        (b'source = "\xff"\n', "settings.toml: not UTF-8 (byte 10)"),
        (b"port = 1\n", "settings.toml: unknown setting(s): port"),
        (b"[dedup]\nngram = 3\n", "settings.toml: unknown table(s) [dedup] "),
        (b"[service]\nprot = 9000\n", "settings.toml: unknown [service] setting(s): prot"),
    ],
    ids=["out-of-range", "not-toml", "not-utf-8", "unknown-key", "unknown-table", "table-key"],
)
def test_settings_it_cannot_use_are_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, settings: bytes, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("in.jsonl").write_text('{"id": "a", "text": "a text of a few words"}\n', encoding="utf-8")
    Path("settings.toml").write_bytes(settings)
    result = CliRunner().invoke(main, [name, *COMMANDS[name], "--config", "settings.toml"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("dedup: error: ") and message in result.output
    assert len(result.output.splitlines()) == 1 and not Path("out").exists()


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["bulk", "--nope"],
            "dedup bulk: error: No such option '--nope'. Did you mean "
            "'--num-perm'? (see 'dedup bulk --help')",
        ),
        (["bulk"], "dedup bulk: error: Missing argument 'INPUTS...'. (see 'dedup bulk --help')"),
        (
            ["curve", "--threshold", "x"],
            "dedup curve: error: Invalid value for '--threshold': "
            "'x' is not a valid float. (see 'dedup curve --help')",
        ),
        (
            ["bulk", "in.jsonl", "--out", "out", "--commit-every", "3"],
            "dedup bulk: error: --commit-every needs --db (see 'dedup bulk --help')",
        ),
        (["nope"], "dedup: error: No such command 'nope'. (see 'dedup --help')"),
    ],
    ids=["unknown-option", "missing-argument", "bad-value", "command-check", "unknown-command"],
)
def test_usage_errors_are_one_line_on_stderr_and_exit_2(args: list[str], line: str) -> None:
    """A usage error is one line naming the command and where its help is, exit code 2."""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert (result.stderr, result.stdout) == (line + "\n", "")


def test_a_command_run_on_its_own_has_one_line_usage_errors_too() -> None:
    """`python -m service` (the serve command alone) names itself in the same one line."""
    from dedup.cli import serve

    result = CliRunner().invoke(serve, ["--nope"], prog_name="python -m service")
    assert result.exit_code == 2
    assert result.stderr == (
        "python -m service: error: No such option '--nope'. Did you mean '--num-perm'? "
        "(see 'python -m service --help')\n"
    )


def test_dedup_without_a_command_prints_its_help() -> None:
    """`dedup` alone is a request for help, not a usage error: the whole help is printed."""
    result = CliRunner().invoke(main, [])
    assert result.stderr.startswith("Usage: dedup [OPTIONS] COMMAND [ARGS]...")
    assert "Commands:" in result.stderr and "error" not in result.stderr
