"""The tables of an SQLite index (:data:`SCHEMA`, version :data:`SCHEMA_VERSION`).

``meta`` holds the schema version and the config the index was built
with; ``documents`` one small row per document (the exact-duplicate path and cluster membership
are indexes on it); ``fingerprints`` the signature and shingle set as raw little-endian blobs
(never pickle), apart so that metadata rows stay dense; ``bands`` one row per document and band,
``WITHOUT ROWID`` with primary key ``(band, key, doc)``, so the table *is* its covering index and
holds integer handles rather than text ids.

Paragraph units (the boilerplate and text-reuse work) will come as schema version 2: a
``units (unit INTEGER PRIMARY KEY, doc, kind, start, end, UNIQUE (doc, kind, start, end))``
table whose rows have their own fingerprints and band rows keyed by ``unit``; nothing here
assumes a band row belongs to a whole document except the foreign key's name.
"""

SCHEMA_VERSION = 1

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

CREATE TABLE bands (
    band INTEGER NOT NULL,
    key INTEGER NOT NULL,                   -- uint64 band key, its bits read as int64
    doc INTEGER NOT NULL,
    PRIMARY KEY (band, key, doc)
) WITHOUT ROWID;
"""
