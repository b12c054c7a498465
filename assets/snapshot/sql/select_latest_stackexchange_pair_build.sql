SELECT rules FROM stackexchange_pair_builds ORDER BY built_at DESC LIMIT 1;
