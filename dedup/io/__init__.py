"""Getting documents in and results out of the bulk job.

Reading (:func:`read_documents`) streams JSON Lines (plain or gzip, files or stdin), directories
of ``.txt`` files and concatenated article dumps, validating every record and locating every
problem by file and line.
"""

from dedup.io._dates import parse_published
from dedup.io._readers import read_documents

__all__ = ["parse_published", "read_documents"]
