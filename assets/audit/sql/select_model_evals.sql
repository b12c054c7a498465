-- A run's evaluations, newest first: the key figures and the gate's verdict (model_evals).
SELECT baseline, evaluated_at, eval_pairs, reward_accuracy, reward_accuracy_low, reward_accuracy_high,
       kl_sampled, ood_nll_increase, length_growth, gate_passed
FROM model_evals
WHERE run_id = $run_id
ORDER BY evaluated_at DESC
