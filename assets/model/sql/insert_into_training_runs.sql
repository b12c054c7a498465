INSERT INTO training_runs (
    run_id, dagster_run_id, snapshot_id, base_model, base_model_sha256, hyperparameters,
    model_path, model_sha256, model_files_sha256, code_version, started_at, finished_at, status, final_metrics)
VALUES ($run_id, $dagster_run_id, $snapshot_id, $base_model, $base_model_sha256, $hyperparameters,
        $model_path, $model_sha256, $model_files_sha256, $code_version, $started_at, $finished_at, $status,
        $final_metrics)
ON CONFLICT DO NOTHING
