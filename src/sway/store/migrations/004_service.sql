-- The service (sway serve): API keys, their usage, and an audit log.
--
-- A key is shown once when created and only its SHA-256 is stored: keys are 256-bit random
-- secrets, so a fast hash is enough (no password-style stretching is needed). ``key_id`` is the
-- public part of the key (it is also inside the key), used to find the row and in logs.

CREATE TABLE api_keys (
    key_id          VARCHAR PRIMARY KEY,
    name            VARCHAR NOT NULL,
    secret_sha256   VARCHAR NOT NULL,
    scopes          VARCHAR[] NOT NULL,
    -- NULL: the server's default limits (10/s and 10,000/day unless configured).
    rate_per_second DOUBLE,
    rate_per_day    BIGINT,
    created_at      TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ,
    last_used_at    TIMESTAMPTZ
);

-- Calls per key and UTC day, so that a daily quota survives a restart of the server.
CREATE TABLE api_usage (
    key_id  VARCHAR NOT NULL,
    day     DATE NOT NULL,
    calls   BIGINT NOT NULL,
    limited BIGINT NOT NULL,
    PRIMARY KEY (key_id, day)
);

-- Who did what to which data, for the privacy work (access and erasure requests) to build on.
-- ``actor`` is a key id, or ``cli`` for commands run on the machine.
CREATE SEQUENCE audit_seq START 1;

CREATE TABLE audit_log (
    audit_id  BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
    logged_at TIMESTAMPTZ NOT NULL,
    actor     VARCHAR NOT NULL,
    action    VARCHAR NOT NULL,
    subject   VARCHAR,
    detail    JSON
);
