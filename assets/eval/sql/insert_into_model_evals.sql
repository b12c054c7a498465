INSERT OR REPLACE INTO model_evals
VALUES ($run_id, $baseline, $model_path, now()::TIMESTAMP, $dagster_run_id, $settings, $eval_pairs,
        $reward_accuracy, $reward_accuracy_low, $reward_accuracy_high, $reward_margin,
        $logp_accuracy_base, $logp_accuracy, $kl_sampled, $ood_nll_increase, $length_growth,
        $gate_passed, $gate, $report)
