"""Where settings come from: a TOML file, then ``DEDUP_*`` environment variables, then flags.

Later sources override earlier ones, key by key. The keys are :class:`dedup.Config`'s fields
(``threshold = 0.85``, ``DEDUP_THRESHOLD=0.85``, ``--threshold 0.85``). A table in the TOML
file belongs to another component (:data:`TABLES`), which checks its values when it reads it;
its key names are checked here, by every command, as the top-level keys are.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from dedup.config import Config
from dedup.errors import ConfigError

ENV_PREFIX = "DEDUP_"
_FIELDS = {f.name: f for f in fields(Config)}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

#: The tables a settings file may have, each read by another component, and their keys:
#: ``[service]`` by :mod:`service.config` (its ``ServiceSettings`` fields; a test keeps the two
#: equal). Any other table is refused rather than ignored: ``[dedup]`` holding ``ngram = 3``
#: would otherwise leave a run at the defaults without a word. So is an unknown key in a known
#: table, in every command: a file shared by ``dedup bulk`` and ``dedup serve`` with a misspelt
#: ``[service]`` limit was accepted by every run until the service was next started.
TABLES: dict[str, frozenset[str]] = {
    "service": frozenset(
        {
            "db",
            "host",
            "port",
            "max_body_bytes",
            "max_text_chars",
            "max_token_chars",
            "max_json_depth",
            "readers",
            "reader_mode",
            "writer_mode",
            "reader_nice",
            "queue_size",
            "bulk_window",
            "idle_timeout",
            "body_timeout",
            "shutdown_timeout",
            "retry_after",
            "write_wait",
            "read_only",
            "post_lanes",
        }
    ),
}


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The TOML file as a dict; a missing or malformed file is a :class:`ConfigError`."""
    try:
        with Path(path).open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8
        raise ConfigError(f"{path}: not UTF-8 (byte {exc.start}); TOML is UTF-8 text") from None


def from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """Config settings found in ``DEDUP_<FIELD>`` variables, parsed to the field's type."""
    found: dict[str, Any] = {}
    for name in _FIELDS:
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is not None:
            found[name] = _parse(name, raw, ENV_PREFIX + name.upper())
    return found


def load_config(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    base: Config | None = None,
) -> Config:
    """The settings the three sources give, on ``base`` (the defaults when ``None``): a
    collection's stored config, whose settings not given stay as they were stored.

    A given value equal to the base's changes nothing: ``num_perm = 128`` on a base of 128
    permutations keeps its banding, as it would not if it were set again (see
    :meth:`Config.replace`)."""
    given = given_settings(path, env, overrides)
    if base is None:
        return Config.from_dict(given)
    stored = base.to_dict()
    return base.replace(**{k: v for k, v in given.items() if k not in stored or stored[k] != v})


def given_settings(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The settings the file, the ``DEDUP_*`` variables (``os.environ`` unless ``env``) and
    ``overrides`` (flags; ``None`` ones are not given) give, the later overriding the earlier
    key by key; only those: the ones no source gives are left to :func:`load_config`'s base."""
    data: dict[str, Any] = {}
    if path is not None:
        data.update(file_settings(path))
    data.update(_checked(from_env(os.environ if env is None else env), "DEDUP_* variables"))
    if overrides:
        data.update({k: v for k, v in overrides.items() if v is not None})
    return data


def file_settings(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The fingerprint settings at the top level of a TOML file, checked: an unknown key, an
    unknown table, an unknown key of a known table (:data:`TABLES`) or a bad value is a
    :class:`ConfigError` naming the file. The values of a known table are its reader's
    business."""
    table = read_toml(path)
    tables = sorted(k for k, v in table.items() if isinstance(v, dict) and k not in _FIELDS)
    if unknown := [f"[{name}]" for name in tables if name not in TABLES]:
        known = ", ".join(f"[{name}]" for name in TABLES)
        raise ConfigError(
            f"{path}: unknown table(s) {', '.join(unknown)} (fingerprint settings go at the "
            f"top of the file, before any table; the tables read are {known})"
        )
    unknown = sorted(k for k, v in table.items() if k not in _FIELDS and not isinstance(v, dict))
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s): {', '.join(unknown)}")
    for name in tables:
        if wrong := sorted(set(table[name]) - TABLES[name]):
            raise ConfigError(f"{path}: unknown [{name}] setting(s): {', '.join(wrong)}")
    return _checked({k: v for k, v in table.items() if k in _FIELDS}, str(path))


def _checked(values: dict[str, Any], where: str) -> dict[str, Any]:
    """``values`` of one source, if they make a config with the defaults; else its error,
    naming ``where`` they came from (a file's bad value, not a flag's)."""
    try:
        Config.from_dict(values)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return values


def _parse(name: str, raw: str, where: str) -> Any:
    return parse_env_value(_FIELDS[name].default, raw, where)


def parse_env_value(default: object, raw: str, where: str) -> Any:
    """An environment variable's text as the type of a setting's ``default``: bool (1, true,
    yes, on; 0, false, no, off), int, float, or the text itself. ``where`` names the variable
    in the :class:`ConfigError` of a text that is not of that type. Shared by every settings
    class that reads ``DEDUP_*`` variables (:mod:`service.config` too)."""
    text = raw.strip()
    try:
        if isinstance(default, bool):
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        kind = type(default).__name__
        raise ConfigError(f"{where}={raw!r} is not a valid {kind}") from None
    return text
