-- The distinct pairs matched, and how many of them a forget request excludes (in any snapshot).
SELECT count(DISTINCT pair_id), count(DISTINCT pair_id) FILTER (WHERE forgotten_by IS NOT NULL)
FROM matched_pairs
