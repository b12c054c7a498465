-- Kept pairs and questions per site and split.
SELECT community, split, count(*), count(DISTINCT post_id) FROM stackexchange_pairs GROUP BY ALL ORDER BY ALL;
