INSERT INTO stackexchange_pair_builds (rules, report) VALUES ($rules, $report);
