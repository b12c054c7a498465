-- Every trained model with its snapshot, loss, base and the key figures of its latest
-- evaluation (NULL where it has none). `current` marks the newest finished model whose
-- latest evaluation passed the gate: the one to use.
WITH latest_eval AS (
    SELECT * FROM model_evals
    QUALIFY row_number() OVER (PARTITION BY run_id ORDER BY evaluated_at DESC) = 1
), models AS (
    SELECT r.run_id, r.model_path, r.snapshot_id, r.hyperparameters ->> 'loss_type' AS loss_type,
           r.base_model, r.finished_at, r.status,
           e.reward_accuracy, e.reward_accuracy_low, e.reward_accuracy_high, e.reward_margin,
           e.logp_accuracy_base, e.logp_accuracy, e.kl_sampled, e.ood_nll_increase, e.length_growth,
           e.gate_passed, e.evaluated_at
    FROM training_runs AS r
    LEFT JOIN latest_eval AS e USING (run_id)
)
SELECT *,
       coalesce(run_id = (SELECT run_id FROM models WHERE gate_passed AND status = 'completed'
                          ORDER BY finished_at DESC, run_id LIMIT 1), false) AS current
FROM models
ORDER BY finished_at, run_id
