-- The first schema: events, accounts, people, ingest log, score runs, scores, tombstones.
-- Uniqueness of (network, event_id) is enforced by ingest (an anti-join against what is
-- stored), not by an index: an ART index over hundreds of millions of keys must fit in memory.

CREATE TABLE events (
    network     VARCHAR NOT NULL,
    event_id    VARCHAR NOT NULL,
    ts          TIMESTAMPTZ NOT NULL,
    actor       VARCHAR,
    action      VARCHAR NOT NULL,
    target      VARCHAR,
    content_id  VARCHAR,
    parent_id   VARCHAR,
    text        VARCHAR,
    tags        VARCHAR[],
    lang        VARCHAR,
    value       DOUBLE,
    ingest_id   BIGINT NOT NULL
);

CREATE TABLE accounts (
    network      VARCHAR NOT NULL,
    account_id   VARCHAR NOT NULL,
    handle       VARCHAR,
    display_name VARCHAR,
    created_at   TIMESTAMPTZ,
    followers    BIGINT,
    following    BIGINT,
    birth_date   DATE,
    is_minor     BOOLEAN,
    is_bot       BOOLEAN,
    reputation   BIGINT,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (network, account_id)
);

-- Every account is its own person until linked; only explicit links are stored.
CREATE TABLE people (
    person_id    VARCHAR PRIMARY KEY,
    display_name VARCHAR,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE person_accounts (
    person_id  VARCHAR NOT NULL,
    network    VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    linked_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (person_id, network, account_id)
);

CREATE SEQUENCE ingest_seq START 1;

CREATE TABLE ingests (
    ingest_id   BIGINT PRIMARY KEY,
    source      VARCHAR NOT NULL,
    format      VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL,
    new_events  BIGINT NOT NULL,
    duplicates  BIGINT NOT NULL,
    rejected    BIGINT NOT NULL,
    accounts    BIGINT NOT NULL
);

-- A score run is immutable once written: its rows are never updated, only read.
CREATE TABLE score_runs (
    run_id            VARCHAR PRIMARY KEY,
    algorithm_version VARCHAR NOT NULL,
    params            JSON NOT NULL,
    window_days       DOUBLE NOT NULL,
    as_of             TIMESTAMPTZ NOT NULL,
    watermark         TIMESTAMPTZ,
    events_used       BIGINT NOT NULL,
    engine            VARCHAR NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE scores (
    run_id         VARCHAR NOT NULL,
    network        VARCHAR NOT NULL,
    account_id     VARCHAR NOT NULL,
    score          DOUBLE NOT NULL,
    reach          DOUBLE NOT NULL,
    amplification  DOUBLE NOT NULL,
    network_impact DOUBLE NOT NULL,
    PRIMARY KEY (run_id, network, account_id)
);

CREATE TABLE person_scores (
    run_id         VARCHAR NOT NULL,
    person_id      VARCHAR NOT NULL,
    score          DOUBLE NOT NULL,
    reach          DOUBLE NOT NULL,
    amplification  DOUBLE NOT NULL,
    network_impact DOUBLE NOT NULL,
    PRIMARY KEY (run_id, person_id)
);

-- Erased identities: a salted hash of network and account id, so a re-ingest cannot recreate them.
CREATE TABLE tombstones (
    digest     VARCHAR PRIMARY KEY,
    erased_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE settings (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
