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

from dedup import _numba_start  # noqa: F401  (first: numba without its BLAS probe)
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
from dedup.types import Document
from dedup.verify import Relation, Similarity

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
