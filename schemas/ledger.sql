-- ledger.sql: the schema of a prov ledger (one SQLite file).
--
-- entries holds every entry's exact bytes (canonical JSON, the Merkle leaf
-- data); the other tables are indexes derived from them while appending,
-- so that appends, proofs and lookups need no rescan.  Nothing is ever
-- updated or deleted: the triggers below refuse it, and prov-audit detects
-- it when the triggers themselves are removed.

CREATE TABLE IF NOT EXISTS meta (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS entries (
	seq INTEGER PRIMARY KEY,	-- leaf index, from 0
	type TEXT NOT NULL,
	author TEXT NOT NULL,
	time TEXT NOT NULL,
	bytes BLOB NOT NULL		-- exactly what is hashed as the leaf
);

-- Hashes of the perfect subtrees of the Merkle tree (RFC 6962): level 0 are
-- the leaf hashes, level l the subtree of 2^l leaves from leaf idx << l.
CREATE TABLE IF NOT EXISTS nodes (
	level INTEGER NOT NULL,
	idx INTEGER NOT NULL,
	hash BLOB NOT NULL,
	PRIMARY KEY (level, idx)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS parties (
	name TEXT PRIMARY KEY,
	role TEXT NOT NULL,
	vkey TEXT NOT NULL UNIQUE,
	entry INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS approvals (
	entry INTEGER PRIMARY KEY,
	party TEXT NOT NULL,
	project TEXT NOT NULL,
	valid_from TEXT,
	valid_until TEXT,
	delegates TEXT NOT NULL		-- JSON array of party names
);

CREATE TABLE IF NOT EXISTS revocations (
	entry INTEGER PRIMARY KEY,
	target INTEGER,			-- a revoked approval
	vkey TEXT			-- or a revoked key
);

-- Every artifact of every handoff, receipt and sighting, for tracing.
CREATE TABLE IF NOT EXISTS artifacts (
	entry INTEGER NOT NULL,
	n INTEGER NOT NULL,
	path TEXT,
	sha256 TEXT,
	pixels TEXT,
	pdq TEXT,
	PRIMARY KEY (entry, n)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS artifacts_sha256 ON artifacts (sha256);
CREATE INDEX IF NOT EXISTS artifacts_pixels ON artifacts (pixels);

CREATE TABLE IF NOT EXISTS checkpoints (
	size INTEGER PRIMARY KEY,
	note TEXT NOT NULL		-- the signed note, as published
);

CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
	BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
	BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS nodes_no_update BEFORE UPDATE ON nodes
	BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS nodes_no_delete BEFORE DELETE ON nodes
	BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_no_update BEFORE UPDATE ON checkpoints
	BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_no_delete BEFORE DELETE ON checkpoints
	BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS meta_no_update BEFORE UPDATE ON meta
	BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS meta_no_delete BEFORE DELETE ON meta
	BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
