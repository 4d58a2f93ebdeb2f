"""Unsigned 64-bit hashes as SQLite integers: SQLite stores signed 64-bit integers, so a hash
is stored as its two's-complement bit pattern and read back unsigned."""

from __future__ import annotations

_BIT63 = 1 << 63
_BIT64 = 1 << 64


def signed(value: int) -> int:
    """The int64 with the same bits as the uint64 ``value``."""
    return value - _BIT64 if value >= _BIT63 else value


def unsigned(value: int) -> int:
    """The uint64 with the same bits as the int64 ``value``."""
    return value + _BIT64 if value < 0 else value
