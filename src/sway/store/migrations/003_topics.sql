-- Topics: what each account and person is influential about, with the evidence; endorsements
-- (+K) and corrections; topic volume and sentiment over time.
-- A topic run is written once, in one transaction, and never updated (like a score run).
-- Corrections and endorsements are not per run: people make them, and every run and every
-- output respects them.

CREATE TABLE topic_runs (
    topic_run_id    VARCHAR PRIMARY KEY,
    run_id          VARCHAR,              -- the score run it was computed against
    version         VARCHAR NOT NULL,
    ontology        VARCHAR NOT NULL,
    ontology_digest VARCHAR NOT NULL,
    params          JSON NOT NULL,
    as_of           TIMESTAMPTZ NOT NULL,
    window_start    TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    summary         JSON
);

-- Every topic a run names (and their ancestors): the run's own copy of names and hierarchy.
CREATE TABLE topic_catalog (
    topic_run_id VARCHAR NOT NULL,
    topic_id     VARCHAR NOT NULL,
    name         VARCHAR NOT NULL,
    slug         VARCHAR,
    kind         VARCHAR NOT NULL,        -- 'ontology' or 'tag'
    parents      VARCHAR[],
    wikidata     VARCHAR,
    names        JSON
);

CREATE TABLE account_topics (
    topic_run_id      VARCHAR NOT NULL,
    network           VARCHAR NOT NULL,
    account_id        VARCHAR NOT NULL,
    topic_id          VARCHAR NOT NULL,
    direct            BOOLEAN NOT NULL,   -- false: only through a child topic
    shown             BOOLEAN NOT NULL,   -- the content evidence reaches the minimum
    expertise         DOUBLE NOT NULL,
    content_expertise DOUBLE NOT NULL,
    endorsement_boost DOUBLE NOT NULL,
    endorsements      BIGINT NOT NULL,
    raw               DOUBLE NOT NULL,
    score             DOUBLE NOT NULL,
    evidence_count    BIGINT NOT NULL,
    reactors          BIGINT NOT NULL,
    posts             BIGINT NOT NULL,
    authored          BIGINT NOT NULL
);

CREATE TABLE person_topics (
    topic_run_id   VARCHAR NOT NULL,
    person_id      VARCHAR NOT NULL,
    topic_id       VARCHAR NOT NULL,
    accounts       BIGINT NOT NULL,
    direct         BOOLEAN NOT NULL,
    shown          BOOLEAN NOT NULL,
    expertise      DOUBLE NOT NULL,
    raw            DOUBLE NOT NULL,
    score          DOUBLE NOT NULL,
    evidence_count BIGINT NOT NULL,
    reactors       BIGINT NOT NULL,
    posts          BIGINT NOT NULL,
    endorsements   BIGINT NOT NULL
);

CREATE TABLE topic_evidence_posts (
    topic_run_id VARCHAR NOT NULL,
    network      VARCHAR NOT NULL,
    account_id   VARCHAR NOT NULL,
    topic_id     VARCHAR NOT NULL,
    top_rank     BIGINT NOT NULL,
    post_id      VARCHAR NOT NULL,
    reactions    BIGINT NOT NULL,
    reactors     BIGINT NOT NULL,
    contribution DOUBLE NOT NULL
);

CREATE TABLE topic_evidence_reactors (
    topic_run_id VARCHAR NOT NULL,
    network      VARCHAR NOT NULL,
    account_id   VARCHAR NOT NULL,
    topic_id     VARCHAR NOT NULL,
    top_rank     BIGINT NOT NULL,
    reactor      VARCHAR NOT NULL,
    reactions    BIGINT NOT NULL,
    contribution DOUBLE NOT NULL
);

CREATE TABLE topic_volume (
    topic_run_id VARCHAR NOT NULL,
    topic_id     VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    items        BIGINT NOT NULL,
    authors      BIGINT NOT NULL,
    reactions    BIGINT NOT NULL
);

CREATE TABLE account_topic_volume (
    topic_run_id VARCHAR NOT NULL,
    network      VARCHAR NOT NULL,
    account_id   VARCHAR NOT NULL,
    topic_id     VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    items        BIGINT NOT NULL,
    reactions    BIGINT NOT NULL
);

CREATE TABLE topic_sentiment (
    topic_run_id  VARCHAR NOT NULL,
    network       VARCHAR NOT NULL,
    account_id    VARCHAR NOT NULL,
    topic_id      VARCHAR NOT NULL,     -- '' for all topics
    period_start  DATE NOT NULL,
    reactions     BIGINT NOT NULL,
    texts         BIGINT NOT NULL,
    positive      BIGINT NOT NULL,
    negative      BIGINT NOT NULL,
    neutral       BIGINT NOT NULL,
    downvotes     BIGINT NOT NULL,
    mean_compound DOUBLE,
    negative_rise BOOLEAN NOT NULL
);

CREATE TABLE topic_endorsement_decisions (
    topic_run_id   VARCHAR NOT NULL,
    endorsement_id VARCHAR NOT NULL,
    accepted       BOOLEAN NOT NULL,
    reason         VARCHAR NOT NULL,
    weight         DOUBLE NOT NULL,
    colluding      BOOLEAN NOT NULL
);

-- Endorsements made through the CLI or the API (imported ones are `endorse` events with tags).
CREATE TABLE topic_endorsements (
    endorsement_id VARCHAR PRIMARY KEY,
    network        VARCHAR NOT NULL,
    giver          VARCHAR NOT NULL,
    target         VARCHAR NOT NULL,
    topic_id       VARCHAR NOT NULL,
    topic_name     VARCHAR,
    ts             TIMESTAMPTZ NOT NULL,
    source         VARCHAR NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);

-- A person's corrections: hide a topic, or propose one. `subject` is NETWORK:ACCOUNT or a
-- person id; kept across runs and applied by every read.
CREATE TABLE topic_corrections (
    subject    VARCHAR NOT NULL,
    topic_id   VARCHAR NOT NULL,
    action     VARCHAR NOT NULL,       -- 'hide' or 'propose'
    topic_name VARCHAR,
    note       VARCHAR,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (subject, topic_id)
);
