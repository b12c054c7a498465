-- The distinct comments of the pairs that passed every rule, numbered 0.. (text_idx):
-- the only texts dedup hashes, and where the kept pairs take their texts and authors
-- from (a fraction of pair_comments: at 10M synthetic comments, 0.8M rows instead of 4.9M).
CREATE OR REPLACE TEMP TABLE pair_texts AS
WITH used AS (
    SELECT chosen_id AS id FROM pair_candidates WHERE removed_by IS NULL
    UNION
    SELECT rejected_id FROM pair_candidates WHERE removed_by IS NULL
)
SELECT (row_number() OVER (ORDER BY c.id) - 1)::BIGINT AS text_idx, c.id, c.body, c.author
FROM used
JOIN pair_comments AS c USING (id);
