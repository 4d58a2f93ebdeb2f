"""The statements that read a batch of queries' band buckets (:meth:`SQLiteStore.buckets`).

Apart from :mod:`dedup.index.sqlite` to keep that module readable; nothing else uses them.
"""

# The buckets of a batch of n queries, in two statements. The keys go in as one JSON array, band
# by band (element i is in band i // n), sorted within each band so that the probes walk the
# B-tree in order, and null where the same key came just before (a bucket shared by several
# queries is read once). The first statement keeps the elements whose bucket holds a document,
# as a semi-join (SQLite probes the primary key for each, with no subquery to run): in a bulk
# insert nearly every probe misses, and this costs 30 % less than reading every bucket through
# the second statement. That one reads each occupied bucket as one row listing at most ``limit``
# handles: cap + 1, the extra one telling that the bucket is hot.
OCCUPIED = """
SELECT j.key FROM json_each(:keys) AS j
WHERE j.value IS NOT NULL AND (j.key / :n, j.value) IN (SELECT band, key FROM bands)
"""
BUCKETS = """
SELECT json_extract(h.value, '$[0]') AS i, (
    SELECT group_concat(doc) FROM (
        SELECT doc FROM bands
        WHERE band = json_extract(h.value, '$[0]') / :n AND key = json_extract(h.value, '$[1]')
        ORDER BY doc LIMIT :limit
    )
)
FROM json_each(:hits) AS h
"""
