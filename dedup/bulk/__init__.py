"""The bulk job: a corpus in, clusters, verified pairs and a deduplicated corpus out."""

from dedup.bulk.candidates import CandidatePairs, CandidateStats
from dedup.bulk.ingest import Corpus, Ingest
from dedup.bulk.outputs import write_outputs
from dedup.bulk.run import BulkOptions, BulkResult, run_bulk
from dedup.bulk.spool import ShingleSpool
from dedup.bulk.verify import PairVerifier, VerifiedPairs

__all__ = [
    "BulkOptions",
    "BulkResult",
    "CandidatePairs",
    "CandidateStats",
    "Corpus",
    "Ingest",
    "PairVerifier",
    "ShingleSpool",
    "VerifiedPairs",
    "run_bulk",
    "write_outputs",
]
