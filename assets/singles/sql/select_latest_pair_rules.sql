-- The rules of the latest pairs build: the filters and split the singles share with the pairs.
SELECT rules
FROM pair_builds
ORDER BY built_at DESC
LIMIT 1;
