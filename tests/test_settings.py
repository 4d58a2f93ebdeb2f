"""Specification of dedup.settings: where settings come from and what a settings file may hold."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from dedup.config import Config
from dedup.errors import ConfigError
from dedup.settings import TABLES, file_settings, load_config
from service.config import ServiceSettings
from tests.conftest import toml


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
    """[service]'s values are read (and checked) by service.config, not here."""
    path = toml(tmp_path, 'ngram = 3\n[service]\ndb = "a.db"\nport = "not checked here"\n')
    assert file_settings(path) == {"ngram": 3}


def test_a_misspelt_key_of_the_service_table_is_refused_by_every_command(tmp_path: Path) -> None:
    """A file ``dedup bulk`` shares with ``dedup serve`` is checked whole by both."""
    path = toml(tmp_path, "threshold = 0.8\n[service]\nprot = 9000\n")
    with pytest.raises(ConfigError, match=r"dedup\.toml: unknown \[service\] setting\(s\): prot"):
        file_settings(path)


def test_the_service_keys_known_here_are_the_service_settings() -> None:
    """:data:`dedup.settings.TABLES` spells the service's keys out (the library imports nothing
    of the service): a setting added to one and not the other fails here."""
    assert TABLES["service"] == {f.name for f in fields(ServiceSettings)}


def test_settings_not_given_are_the_bases() -> None:
    """A threshold given on a stored word-3 config keeps its 3-grams."""
    loaded = load_config(env={}, overrides={"threshold": 0.9}, base=Config(ngram=3))
    assert (loaded.ngram, loaded.threshold) == (3, 0.9)


def test_with_no_base_the_defaults_fill_in() -> None:
    """Without a stored config, what is not given is the default."""
    loaded = load_config(env={}, overrides={"threshold": 0.9})
    assert loaded == Config(threshold=0.9)


def test_a_given_value_equal_to_the_bases_keeps_its_banding() -> None:
    """num_perm = 128 on 128 permutations banded 16 x 8 changes nothing: it is no new value."""
    base = Config(bands=16, rows=8)
    assert load_config(env={}, overrides={"num_perm": 128}, base=base) == base


def test_a_given_fingerprint_setting_changes_the_bases_id() -> None:
    """A setting given over a stored one wins, so that opening the index can refuse it."""
    loaded = load_config(env={"DEDUP_NGRAM": "5"}, base=Config(ngram=3))
    assert loaded.id != Config(ngram=3).id and loaded.ngram == 5
