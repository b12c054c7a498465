-- Each trained model's evaluation against a baseline (its base model unless one was given),
-- as `model_eval` and `upvote-dpo eval` record it: the key figures as columns, for listing and
-- comparing models, and the whole report. Evaluating the same model against the same
-- baseline again replaces the row: the evaluation is seeded, so only new settings change it.
CREATE TABLE model_evals (
    run_id                VARCHAR NOT NULL,   -- training_runs.run_id of the evaluated model
    baseline              VARCHAR NOT NULL,   -- the folder of the model compared with
    model_path            VARCHAR NOT NULL,
    evaluated_at          TIMESTAMP NOT NULL,
    dagster_run_id        VARCHAR,
    settings              JSON NOT NULL,      -- training.evaluation.EvalConfig and the gate
    eval_pairs            INTEGER NOT NULL,
    reward_accuracy       DOUBLE,             -- NULL when the snapshot has no eval pairs
    reward_accuracy_low   DOUBLE,
    reward_accuracy_high  DOUBLE,
    reward_margin         DOUBLE,
    logp_accuracy_base    DOUBLE,
    logp_accuracy         DOUBLE,
    kl_sampled            DOUBLE,             -- nats per token, on the replies the model sampled
    ood_nll_increase      DOUBLE,             -- nats per token, trained minus baseline
    length_growth         DOUBLE,             -- mean sampled reply length, trained / baseline
    gate_passed           BOOLEAN NOT NULL,
    gate                  JSON NOT NULL,      -- each check: passed, value, threshold
    report                JSON NOT NULL,
    PRIMARY KEY (run_id, baseline)
);
