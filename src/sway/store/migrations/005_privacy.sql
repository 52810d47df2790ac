-- Privacy: tombstones that say why, a record of every erasure, who may see whose scores, and
-- the person an API key belongs to.
--
-- The tombstone salt is a per-store random secret, created once (by sway.privacy on the first
-- write that needs it) and kept in ``settings`` under ``privacy.salt``. Tombstone digests are
-- ``sha256(salt | network | value)`` of an erased account's id and of its
-- folded handle, so a store holds no erased id in the clear, and a digest copied out of one
-- store says nothing in another.

-- 'erased' (a request to forget) or 'minor' (declared or flagged under the minimum age);
-- 'id' or 'handle' (what the digest is of).
ALTER TABLE tombstones ADD COLUMN reason VARCHAR;
ALTER TABLE tombstones ADD COLUMN kind VARCHAR;

-- Every erasure: published runs are immutable except for this, so each one is recorded here,
-- with the runs it touched and how many rows it removed or anonymised (never the ids).
CREATE SEQUENCE erasure_seq START 1;

CREATE TABLE erasures (
    erasure_id   BIGINT PRIMARY KEY DEFAULT nextval('erasure_seq'),
    erased_at    TIMESTAMPTZ NOT NULL,
    requested_by VARCHAR NOT NULL,
    reason       VARCHAR NOT NULL,
    accounts     BIGINT NOT NULL,
    runs         VARCHAR[] NOT NULL,
    counts       JSON NOT NULL
);

-- Who may see a person's scores beyond keys with the read scope and the person's own key.
-- No row: the store's default (``privacy.publish_scores``, false unless set).
CREATE TABLE score_visibility (
    subject    VARCHAR PRIMARY KEY,
    public     BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- A key created for one person: it reads, exports and erases that person's data only.
ALTER TABLE api_keys ADD COLUMN person_id VARCHAR;
