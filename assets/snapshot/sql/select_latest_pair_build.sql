SELECT rules, report
FROM pair_builds
ORDER BY built_at DESC
LIMIT 1
