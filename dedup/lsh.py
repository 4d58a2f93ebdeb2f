"""Banding parameters for MinHash LSH and what they mean.

Two documents with Jaccard similarity ``s`` share at least one of ``b`` bands of ``r`` rows with
probability ``1 - (1 - s**r)**b`` (the S-curve). :func:`optimal_params` picks ``(b, r)`` for a
threshold the way datasketch does: it minimises the weighted area of false positives (the curve
below the threshold) plus false negatives (one minus the curve above it).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from dedup.errors import ConfigError

_GRID = 2001  # integration points per side of the threshold


def s_curve(similarity: float | np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Probability that a pair with this Jaccard similarity becomes a candidate."""
    s = np.asarray(similarity, dtype=np.float64)
    return 1.0 - (1.0 - s**rows) ** bands


def _area(bands: int, rows: int, lo: float, hi: float, miss: bool) -> float:
    if hi <= lo:
        return 0.0
    xs = np.linspace(lo, hi, _GRID)
    ys = s_curve(xs, bands, rows)
    if miss:
        ys = 1.0 - ys
    return float(np.trapezoid(ys, xs))


@functools.lru_cache(maxsize=256)
def optimal_params(
    threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5
) -> tuple[int, int]:
    """``(bands, rows)`` with ``bands * rows <= num_perm`` minimising weighted FP + FN area."""
    if not 0.0 < threshold < 1.0:
        raise ConfigError(f"LSH threshold must be between 0 and 1 (exclusive), got {threshold}")
    if num_perm < 2:
        raise ConfigError(f"num_perm must be at least 2 for banding, got {num_perm}")
    best = (1, 1)
    best_error = float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = _area(bands, rows, 0.0, threshold, miss=False)
            fn = _area(bands, rows, threshold, 1.0, miss=True)
            error = fp * fp_weight + fn * fn_weight
            if error < best_error:
                best, best_error = (bands, rows), error
    return best


@dataclass(frozen=True, slots=True)
class Banding:
    """Cuts signatures into band keys: the LSH stage of the data path."""

    bands: int
    rows: int

    def keys(self, signatures: np.ndarray) -> np.ndarray:
        """Band keys of a ``(n, num_perm)`` uint32 signature matrix, as ``(n, bands)`` uint64.

        Key ``[i, j]`` is XXH64 (seeded with ``j``) of band ``j``'s values as little-endian
        bytes; documents collide in band ``j`` exactly when those values are all equal
        (up to a 2**-64 chance of a hash collision).
        """
        sigs = np.ascontiguousarray(signatures, dtype=np.uint32)
        if sigs.ndim != 2 or sigs.shape[1] < self.bands * self.rows:
            raise ValueError(
                f"signatures of shape {sigs.shape} cannot hold "
                f"{self.bands} bands x {self.rows} rows"
            )
        # Imported here: the settings (dedup.config) use this module, and the CLI's --help
        # should not load numba for them.
        from dedup import _minhash_kernels

        keys: np.ndarray = _minhash_kernels.band_keys(sigs, self.bands, self.rows)
        return keys

    def probability(self, similarity: float | np.ndarray) -> np.ndarray:
        """The S-curve of these parameters."""
        return s_curve(similarity, self.bands, self.rows)
