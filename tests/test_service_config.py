"""Service settings: the [service] table < DEDUP_* variables < flags, checked on load."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import main
from dedup.config import Config
from dedup.errors import ConfigError
from service.config import ServiceSettings, load_settings
from tests.conftest import toml


def test_later_sources_override_earlier_ones_key_by_key(tmp_path: Path) -> None:
    """TOML sets three keys, the environment overrides two, a flag overrides one."""
    path = toml(tmp_path, '[service]\ndb = "a.db"\nport = 9000\nreaders = 3\n')
    env = {"DEDUP_PORT": "9100", "DEDUP_READERS": "4"}
    loaded = load_settings(path, env=env, overrides={"readers": 5, "host": None})
    assert (loaded.db, loaded.port, loaded.readers, loaded.host) == ("a.db", 9100, 5, "127.0.0.1")


def test_top_level_fingerprint_settings_are_left_to_the_library(tmp_path: Path) -> None:
    """threshold at the top of the file does not bother the service loader."""
    path = toml(tmp_path, 'threshold = 0.8\n[service]\ndb = "a.db"\n')
    assert load_settings(path, env={}).db == "a.db"


def test_an_unknown_service_key_is_an_error(tmp_path: Path) -> None:
    """A misspelt key in [service] is a ConfigError naming it."""
    path = toml(tmp_path, '[service]\ndb = "a.db"\nmax_body_byte = 10\n')
    with pytest.raises(ConfigError, match="max_body_byte"):
        load_settings(path, env={})


def test_environment_values_are_parsed_to_the_keys_types() -> None:
    """DEDUP_BODY_TIMEOUT is a float and DEDUP_MAX_BODY_BYTES an integer."""
    env = {"DEDUP_DB": "x.db", "DEDUP_BODY_TIMEOUT": "2.5", "DEDUP_MAX_BODY_BYTES": "4096"}
    loaded = load_settings(env=env)
    assert (loaded.body_timeout, loaded.max_body_bytes) == (2.5, 4096)


def test_a_bad_environment_value_is_an_error_naming_the_variable() -> None:
    """DEDUP_PORT=http is a ConfigError that names DEDUP_PORT."""
    with pytest.raises(ConfigError, match="DEDUP_PORT"):
        load_settings(env={"DEDUP_DB": "x.db", "DEDUP_PORT": "http"})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"db": ""}, "no database"),
        ({"db": ":memory:"}, "database file"),
        ({"port": 70000}, "port"),
        ({"queue_size": 0}, "queue_size"),
        ({"body_timeout": 0}, "body_timeout"),
        ({"max_body_bytes": 10}, "max_body_bytes"),
        ({"writer_mode": "fork"}, "writer_mode"),
        ({"reader_nice": 20}, "reader_nice"),
        ({"write_wait": 0}, "write_wait"),
        ({"read_only": "yes"}, "read_only"),
    ],
)
def test_out_of_range_settings_are_refused(changes: dict[str, object], message: str) -> None:
    """Each impossible setting is a ConfigError naming it."""
    with pytest.raises(ConfigError, match=message):
        ServiceSettings(**{"db": "x.db", **changes})  # type: ignore[arg-type]


def test_service_keys_and_fingerprint_keys_do_not_collide() -> None:
    """No service key is also a Config field, so one DEDUP_* environment serves both."""
    service = {f.name for f in fields(ServiceSettings)}
    assert not service & {f.name for f in fields(Config)}


def test_readers_default_to_one_per_core() -> None:
    """readers = 0 means one reader thread per core."""
    import os

    assert ServiceSettings(db="x.db").reader_threads == (os.cpu_count() or 1)


def test_serve_without_a_database_exits_2_with_one_line(tmp_path: Path) -> None:
    """`dedup serve` with no --db, DEDUP_DB or [service] db says so and exits with 2."""
    result = CliRunner().invoke(main, ["serve"], env={"DEDUP_DB": None})
    assert result.exit_code == 2
    assert "dedup: error: no database" in result.output


def test_serve_with_a_misspelt_service_key_exits_2_naming_the_file_and_key(
    tmp_path: Path,
) -> None:
    """A typo in [service] stops `dedup serve` before it opens anything, in one line."""
    path = toml(tmp_path, "[service]\nprot = 9000\n")
    db = tmp_path / "index.db"
    result = CliRunner().invoke(main, ["serve", "--db", str(db), "--config", str(path)])
    assert result.exit_code == 2
    assert result.output == f"dedup: error: {path}: unknown [service] setting(s): prot\n"
    assert not db.exists()


def test_serve_refuses_a_config_other_than_the_stored_one(tmp_path: Path) -> None:
    """`dedup serve --ngram 3` on an index built with ngram 5 exits 2 naming the mismatch."""
    from dedup.collection import Collection

    db = tmp_path / "index.db"
    Collection.open(db).close()
    result = CliRunner().invoke(main, ["serve", "--db", str(db), "--ngram", "3", "--port", "0"])
    assert result.exit_code == 2
    assert "dedup: error:" in result.output
    assert "config" in result.output


def test_serve_on_a_path_that_cannot_be_opened_exits_2(tmp_path: Path) -> None:
    """`dedup serve --db` in a missing directory is a one-line error, not a traceback."""
    db = tmp_path / "missing" / "index.db"
    result = CliRunner().invoke(main, ["serve", "--db", str(db), "--port", "0"])
    assert result.exit_code == 2
    assert "cannot open the database" in result.output
