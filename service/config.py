"""The service's own settings, from the same three places as the library's.

In increasing priority: the ``[service]`` table of the TOML file (``--config``), ``DEDUP_<KEY>``
environment variables (``DEDUP_PORT=9000``) and flags (``--port 9000``), key by key, exactly
like :func:`dedup.settings.load_config` does for the fingerprinting settings at the top level of
the same file. The two sets of keys are disjoint, so one environment serves both.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from dedup.errors import ConfigError
from dedup.index import DEFAULT_BUSY_TIMEOUT
from dedup.settings import ENV_PREFIX, parse_env_value, read_toml

MIB = 1 << 20

#: Where readers (``reader_mode``) and the writer (``writer_mode``) compute: "process", each in
#: a child process driven by its thread, so that they run side by side instead of taking turns
#: for the interpreter lock (see :mod:`service.remote`, :mod:`service.writer`); "thread", in
#: this process (starts at once: what tests of everything but the transports use).
MODES = ("process", "thread")


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """Where the service listens, which index it serves, and the limits that protect it.

    The limits are what keeps one client from hurting the others: bodies and texts are capped
    so that a request's CPU time stays in the milliseconds, queues are bounded so that overload
    is answered at once (503) instead of piling up latency, and every read has a deadline so
    that a slow client holds a connection for seconds, not forever.
    """

    db: str = ""  # the SQLite file (created if missing); required
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 2 * MIB  # one request body, one line of a bulk body
    max_text_chars: int = 1_000_000  # characters of one document's text
    max_token_chars: int = 10_000  # the longest run of letters and digits in a text
    max_json_depth: int = 16  # nesting of arrays and objects in a JSON body
    readers: int = 0  # reader threads (each with its own read-only connection); 0 = cores
    reader_mode: str = "process"  # "process": each reader computes in a child; "thread": here
    writer_mode: str = "process"  # "process": the writer computes in a child; "thread": here
    reader_nice: int = 5  # how much reader processes lower their CPU priority (0-19)
    queue_size: int = 64  # jobs waiting per pool before 503
    bulk_window: int = 16  # lines of one bulk request in flight at once
    idle_timeout: float = 15.0  # s a connection may take to deliver a request's headers
    body_timeout: float = 30.0  # s to receive a whole body (a bulk body: each line)
    shutdown_timeout: float = 30.0  # s in-flight requests get to finish on SIGTERM
    retry_after: int = 1  # s, the Retry-After of a 503 when a queue is full
    write_wait: float = DEFAULT_BUSY_TIMEOUT  # s a write waits while another process writes
    read_only: bool = False  # serve reads only: no writer; posts, deletes and bulk bodies 403
    post_lanes: bool = True  # posts go reader process -> writer process directly (both "process")

    def __post_init__(self) -> None:
        if not self.db:
            raise ConfigError(
                "no database: give --db PATH, DEDUP_DB=PATH or db = 'PATH' in [service]"
            )
        if self.db == ":memory:":
            raise ConfigError(
                "the service needs a database file: its reader threads open it separately"
            )
        if not self.host:
            raise ConfigError("host must not be empty")
        _check_int("port", self.port, 0, 65535)
        _check_int("max_body_bytes", self.max_body_bytes, 1024, 1 << 30)
        _check_int("max_text_chars", self.max_text_chars, 1, 1 << 30)
        _check_int("max_token_chars", self.max_token_chars, 1, 1 << 30)
        _check_int("max_json_depth", self.max_json_depth, 2, 1000)
        _check_int("readers", self.readers, 0, 256)
        for name in ("reader_mode", "writer_mode"):
            mode = getattr(self, name)
            if mode not in MODES:
                raise ConfigError(f"{name} must be one of {', '.join(MODES)}, got {mode!r}")
        _check_int("reader_nice", self.reader_nice, 0, 19)
        for flag in ("read_only", "post_lanes"):
            if not isinstance(getattr(self, flag), bool):
                raise ConfigError(f"{flag} must be true or false, got {getattr(self, flag)!r}")
        _check_int("queue_size", self.queue_size, 1, 1_000_000)
        _check_int("bulk_window", self.bulk_window, 1, 1024)
        _check_int("retry_after", self.retry_after, 1, 3600)
        for name in ("idle_timeout", "body_timeout", "shutdown_timeout", "write_wait"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{name} must be a number of seconds, got {value!r}")
            if not (0 < value <= 86400) or math.isnan(value):
                raise ConfigError(f"{name} must be in (0, 86400] seconds, got {value}")

    @property
    def reader_threads(self) -> int:
        """The number of reader threads: ``readers``, or one per core."""
        return self.readers or os.cpu_count() or 1

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready settings."""
        return asdict(self)


_FIELDS = {f.name: f for f in fields(ServiceSettings)}


def load_settings(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> ServiceSettings:
    """Merge ``[service]`` in the TOML file < ``DEDUP_*`` variables < ``overrides``.

    ``None`` overrides are ignored (an unset flag); unknown keys in ``[service]`` are an error,
    so that a misspelt limit is not silently left at its default.
    """
    data: dict[str, Any] = {}
    if path is not None:
        table = read_toml(path).get("service", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [service] must be a table")
        unknown = sorted(set(table) - set(_FIELDS))
        if unknown:
            raise ConfigError(f"{path}: unknown [service] setting(s): {', '.join(unknown)}")
        data.update(table)
    environ = os.environ if env is None else env
    for name in _FIELDS:
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is not None:
            data[name] = parse_env_value(_FIELDS[name].default, raw, ENV_PREFIX + name.upper())
    if overrides:
        data.update({k: v for k, v in overrides.items() if v is not None})
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise ConfigError(f"unknown service setting(s): {', '.join(unknown)}")
    if isinstance(data.get("db"), os.PathLike):
        data["db"] = os.fspath(data["db"])
    return ServiceSettings(**data)


def _check_int(name: str, value: object, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}")
