"""XXH64 in numba: the hash of every shingle, content hash and band key (cached on disk).

A transcription of the XXH64 specification; tests compare it with the xxhash package on inputs
of every length class (0..3, 4..7, 8..31, >= 32 bytes).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from dedup import _numba_start  # noqa: F401  (before any kernel runs: no BLAS probe)

P1 = np.uint64(0x9E3779B185EBCA87)
P2 = np.uint64(0xC2B2AE3D27D4EB4F)
P3 = np.uint64(0x165667B19E3779F9)
P4 = np.uint64(0x85EBCA77C2B2AE63)
P5 = np.uint64(0x27D4EB2F165667C5)


@njit(inline="always")
def _rotl(x: np.uint64, r: int) -> np.uint64:
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


# XXH64 reads its input as little-endian words. On a little-endian machine that is one
# unaligned load, which numba cannot express, hence the two intrinsics; assembling the words
# byte by byte (the portable fallback) made shingle hashing 1.5x slower. Callers guarantee
# the bytes read lie inside the array.
_LITTLE_ENDIAN = sys.byteorder == "little"


def _unaligned_load(bits: int) -> Any:
    @intrinsic
    def load(typingctx: Any, arr: Any, idx: Any) -> Any:
        sig = types.uint64(arr, idx)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            ary = context.make_array(signature.args[0])(context, builder, args[0])
            ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), ir.IntType(bits).as_pointer())
            value = builder.load(ptr, align=1)
            return value if bits == 64 else builder.zext(value, ir.IntType(64))

        return sig, codegen

    return load


_load64 = _unaligned_load(64)
_load32 = _unaligned_load(32)


@njit(inline="always")
def _read64(buf: np.ndarray, i: int) -> np.uint64:
    if _LITTLE_ENDIAN:
        return _load64(buf, i)  # type: ignore[no-any-return]
    v = np.uint64(0)
    for k in range(8):
        v |= np.uint64(buf[i + k]) << np.uint64(8 * k)
    return v


@njit(inline="always")
def _read32(buf: np.ndarray, i: int) -> np.uint64:
    if _LITTLE_ENDIAN:
        return _load32(buf, i)  # type: ignore[no-any-return]
    v = np.uint64(0)
    for k in range(4):
        v |= np.uint64(buf[i + k]) << np.uint64(8 * k)
    return v


@njit(inline="always")
def _round(acc: np.uint64, lane: np.uint64) -> np.uint64:
    acc = acc + lane * P2
    acc = _rotl(acc, 31)
    return acc * P1


@njit(inline="always")
def _merge(acc: np.uint64, val: np.uint64) -> np.uint64:
    acc = acc ^ _round(np.uint64(0), val)
    return acc * P1 + P4


@njit(cache=True, nogil=True)
def xxh64(buf: np.ndarray, start: int, end: int, seed: np.uint64) -> np.uint64:
    """XXH64 of ``buf[start:end]`` (uint8), identical to ``xxhash.xxh64_intdigest``."""
    length = end - start
    i = start
    if length >= 32:
        v1 = seed + P1 + P2
        v2 = seed + P2
        v3 = seed
        v4 = seed - P1
        limit = end - 32
        while i <= limit:
            v1 = _round(v1, _read64(buf, i))
            v2 = _round(v2, _read64(buf, i + 8))
            v3 = _round(v3, _read64(buf, i + 16))
            v4 = _round(v4, _read64(buf, i + 24))
            i += 32
        h = _rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)
        h = _merge(h, v1)
        h = _merge(h, v2)
        h = _merge(h, v3)
        h = _merge(h, v4)
    else:
        h = seed + P5
    h = h + np.uint64(length)
    while i + 8 <= end:
        h = h ^ _round(np.uint64(0), _read64(buf, i))
        h = _rotl(h, 27) * P1 + P4
        i += 8
    if i + 4 <= end:
        h = h ^ (_read32(buf, i) * P1)
        h = _rotl(h, 23) * P2 + P3
        i += 4
    while i < end:
        h = h ^ (np.uint64(buf[i]) * P5)
        h = _rotl(h, 11) * P1
        i += 1
    h = h ^ (h >> np.uint64(33))
    h = h * P2
    h = h ^ (h >> np.uint64(29))
    h = h * P3
    return h ^ (h >> np.uint64(32))
