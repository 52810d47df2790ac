-- Scoring: what a run needs beyond the sub-scores of 001, and the reference curve per version.
-- Every row here is written once, in the transaction that publishes its run, and never updated.
-- The per-run detail tables have no primary key on purpose: an ART index over every account of
-- every run would have to fit in memory, and a run is written once by `save_run` anyway.

-- A series is one algorithm version with one set of parameters (window included): history
-- compares runs of one series only.
ALTER TABLE score_runs ADD COLUMN series VARCHAR;
ALTER TABLE score_runs ADD COLUMN window_start TIMESTAMPTZ;
ALTER TABLE score_runs ADD COLUMN data_digest VARCHAR;
ALTER TABLE score_runs ADD COLUMN max_ingest_id BIGINT;
ALTER TABLE score_runs ADD COLUMN summary JSON;

ALTER TABLE person_scores ADD COLUMN raw DOUBLE;
ALTER TABLE person_scores ADD COLUMN accounts BIGINT;
ALTER TABLE person_scores ADD COLUMN networks BIGINT;

-- The frozen reference curve (raw influence -> 1-100) of each algorithm version used.
CREATE TABLE reference_curves (
    algorithm_version VARCHAR PRIMARY KEY,
    curve             JSON NOT NULL,
    recorded_at       TIMESTAMPTZ NOT NULL
);

-- Per account and run: raw influence, its parts, and what was counted or discounted.
CREATE TABLE score_details (
    run_id               VARCHAR NOT NULL,
    network              VARCHAR NOT NULL,
    account_id           VARCHAR NOT NULL,
    raw                  DOUBLE NOT NULL,
    part_reach           DOUBLE NOT NULL,
    part_amplification   DOUBLE NOT NULL,
    part_network_impact  DOUBLE NOT NULL,
    amplification_basis  VARCHAR NOT NULL,
    posts                BIGINT NOT NULL,
    present_days         BIGINT NOT NULL,
    acted_days           BIGINT NOT NULL,
    reactions_given      DOUBLE NOT NULL,
    selectivity          DOUBLE NOT NULL,
    credibility          DOUBLE NOT NULL,
    reactors             BIGINT NOT NULL,
    reactions            BIGINT NOT NULL,
    repeat_reactions     BIGINT NOT NULL,
    unselective_reactors BIGINT NOT NULL,
    selectivity_discount DOUBLE NOT NULL,
    anonymous_reactions  DOUBLE NOT NULL,
    reach_anonymous      DOUBLE NOT NULL,
    self_reactions       BIGINT NOT NULL,
    negative_reactions   BIGINT NOT NULL
);

-- A person's score on each network they have accounts on.
CREATE TABLE person_network_scores (
    run_id         VARCHAR NOT NULL,
    person_id      VARCHAR NOT NULL,
    network        VARCHAR NOT NULL,
    score          DOUBLE NOT NULL,
    raw            DOUBLE NOT NULL,
    reach          DOUBLE NOT NULL,
    amplification  DOUBLE NOT NULL,
    network_impact DOUBLE NOT NULL,
    accounts       BIGINT NOT NULL
);

-- The explicit person links a run used (unlinked accounts are their own person).
CREATE TABLE run_person_accounts (
    run_id     VARCHAR NOT NULL,
    person_id  VARCHAR NOT NULL,
    network    VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL
);

-- The reactors and posts adding most to each account, for explanations.
CREATE TABLE score_top_reactors (
    run_id       VARCHAR NOT NULL,
    network      VARCHAR NOT NULL,
    account_id   VARCHAR NOT NULL,
    top_rank     BIGINT NOT NULL,
    reactor      VARCHAR NOT NULL,
    reactions    BIGINT NOT NULL,
    engagement   DOUBLE NOT NULL,
    selectivity  DOUBLE NOT NULL,
    contribution DOUBLE NOT NULL
);

CREATE TABLE score_top_posts (
    run_id       VARCHAR NOT NULL,
    network      VARCHAR NOT NULL,
    account_id   VARCHAR NOT NULL,
    top_rank     BIGINT NOT NULL,
    post_id      VARCHAR NOT NULL,
    reactions    BIGINT NOT NULL,
    reactors     BIGINT NOT NULL,
    contribution DOUBLE NOT NULL
);
