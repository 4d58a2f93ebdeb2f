"""Specification of dedup.settings: where settings come from and what a settings file may hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup.errors import ConfigError
from dedup.settings import file_settings


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dedup.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unknown_table_is_an_error_naming_the_file_and_the_table(tmp_path: Path) -> None:
    """Settings put in a [dedup] table are refused, not left unread at their defaults."""
    path = toml(tmp_path, "[dedup]\nthreshold = 0.95\nngram = 3\n")
    with pytest.raises(ConfigError, match=r"dedup\.toml: unknown table\(s\) \[dedup\]"):
        file_settings(path)


def test_a_dotted_table_is_named_by_its_first_part(tmp_path: Path) -> None:
    """[a.b] makes a table [a] holding [b]: [a] is the one nothing reads."""
    path = toml(tmp_path, "[a.b]\nngram = 3\n")
    with pytest.raises(ConfigError, match=r"unknown table\(s\) \[a\] "):
        file_settings(path)


def test_the_service_table_is_left_to_the_service(tmp_path: Path) -> None:
    """[service] is read (and its keys checked) by service.config, not here."""
    path = toml(tmp_path, 'ngram = 3\n[service]\ndb = "a.db"\n')
    assert file_settings(path) == {"ngram": 3}
