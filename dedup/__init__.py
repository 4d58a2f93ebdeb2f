"""dedup: near-duplicate, text-reuse and boilerplate detection for news articles.

The data path: text -> normalise -> shingle -> hash -> MinHash signature -> LSH bands ->
candidates -> exact verification -> matches -> clusters.

>>> from dedup import Config, Fingerprinter, Similarity
>>> fp = Fingerprinter(Config())
>>> story = "Leaders met at the summit on Monday to talk about trade"
>>> a, b = fp.fingerprint([story + " and security.", story])
>>> round(Similarity.of(a.shingles, b.shingles).containment_b_in_a, 2)
1.0
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dedup.config import Config
    from dedup.errors import (
        ConfigError,
        ConfigMismatchError,
        DedupError,
        DocumentNotFoundError,
        InputError,
    )
    from dedup.fingerprint import Fingerprint, FingerprintBatch, Fingerprinter
    from dedup.lsh import Banding, optimal_params, s_curve
    from dedup.normalize import Tokens, tokenize
    from dedup.types import Document, Relation
    from dedup.verify import Similarity

# The public names and their modules, imported on first use (PEP 562): ``import dedup.cli`` for
# ``dedup --help`` then loads neither numba nor the kernels (0.37-0.47 s before, most of it numba).
_HOME = {
    "Banding": "dedup.lsh",
    "Config": "dedup.config",
    "ConfigError": "dedup.errors",
    "ConfigMismatchError": "dedup.errors",
    "DedupError": "dedup.errors",
    "Document": "dedup.types",
    "DocumentNotFoundError": "dedup.errors",
    "Fingerprint": "dedup.fingerprint",
    "FingerprintBatch": "dedup.fingerprint",
    "Fingerprinter": "dedup.fingerprint",
    "InputError": "dedup.errors",
    "Relation": "dedup.types",
    "Similarity": "dedup.verify",
    "Tokens": "dedup.normalize",
    "optimal_params": "dedup.lsh",
    "s_curve": "dedup.lsh",
    "tokenize": "dedup.normalize",
}


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'dedup' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # once: later lookups find it without this function
    return value


__all__ = [
    "Banding",
    "Config",
    "ConfigError",
    "ConfigMismatchError",
    "DedupError",
    "Document",
    "DocumentNotFoundError",
    "Fingerprint",
    "FingerprintBatch",
    "Fingerprinter",
    "InputError",
    "Relation",
    "Similarity",
    "Tokens",
    "optimal_params",
    "s_curve",
    "tokenize",
]

__version__ = "0.1.0"
