-- Withdrawn score runs. A published run is never rewritten, so withdrawing one adds a row
-- here instead: the run stays in `score_runs` (and in `sway runs`, marked withdrawn), but it is
-- never again served as the latest run, nor compared against for day/week/month changes or
-- shown in score histories. One row per run, written once: a withdrawal is not undone.
CREATE TABLE run_withdrawals (
    run_id       VARCHAR PRIMARY KEY,
    withdrawn_at TIMESTAMPTZ NOT NULL,
    withdrawn_by VARCHAR NOT NULL,    -- who asked: an operator name, or `cli`
    reason       VARCHAR NOT NULL
);
