INSERT INTO single_builds (built_at, rules, report, dagster_run_id)
VALUES (now(), $rules, $report, $dagster_run_id)
