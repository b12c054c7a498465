-- First half of the upsert of a staged partition (DuckDB's MERGE/ON CONFLICT update of
-- 576k rows took ~65 s; delete + insert takes ~15 s): drop every stored row that a
-- staged retrieval at least as new replaces. Returns the number deleted (= updated).
DELETE FROM reddit_comments AS t
USING staging_reddit_comments AS s
WHERE s.reject_reason IS NULL AND t.id = s.id
    AND s.retrieved_at >= coalesce(t.retrieved_at, s.retrieved_at);
