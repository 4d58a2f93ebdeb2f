"""The tables of an SQLite index (:data:`SCHEMA`, version :data:`SCHEMA_VERSION`).

``meta`` holds the schema version and the config the index was built
with; ``documents`` one small row per document (the exact-duplicate path and cluster membership
are indexes on it); ``fingerprints`` the signature and shingle set as raw little-endian blobs
(never pickle), apart so that metadata rows stay dense; ``band_keys`` one row per document with
its LSH band keys, appended in handle order, and ``removed`` one row per removed document: each
process inverts them in memory to look buckets up (:mod:`dedup.index._bands`; version 1 kept a
``bands (band, key, doc)`` B-tree, 32 rows at random places per document).

Paragraph units (the boilerplate and text-reuse work) will come as schema version 2: a
``units (unit INTEGER PRIMARY KEY, doc, kind, start, end, UNIQUE (doc, kind, start, end))``
table whose rows have their own fingerprints and band rows keyed by ``unit``; nothing here
assumes a band row belongs to a whole document except the foreign key's name.
"""

SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE documents (
    doc INTEGER PRIMARY KEY AUTOINCREMENT,  -- handle: assigned in order, never reused
    id TEXT NOT NULL UNIQUE,
    source TEXT,
    published TEXT,                         -- YYYY-MM-DDTHH:MM:SSZ
    title TEXT,
    length INTEGER NOT NULL,                -- characters of the text (canonical order)
    text_hash INTEGER NOT NULL,             -- XXH64 of the UTF-8 text: same text => no-op
    content_hash INTEGER NOT NULL,          -- XXH64 of the normalised text: exact duplicates
    canonical INTEGER                       -- doc of the cluster's canonical (itself if one)
);
CREATE INDEX documents_content_hash ON documents (content_hash);
CREATE INDEX documents_canonical ON documents (canonical);

CREATE TABLE fingerprints (
    doc INTEGER PRIMARY KEY,
    signature BLOB NOT NULL,                -- num_perm x uint32, little-endian
    shingles BLOB NOT NULL                  -- sorted unique uint64 shingle hashes, little-endian
);

CREATE TABLE band_keys (
    doc INTEGER PRIMARY KEY,                -- handles only grow: rows are appended
    keys BLOB NOT NULL                      -- the uint64 band keys in band order, little-endian
);

CREATE TABLE removed (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    doc INTEGER NOT NULL                    -- the handle of a removed document
);
"""
