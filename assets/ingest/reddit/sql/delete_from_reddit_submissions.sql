-- First half of the upsert of a staged partition (DuckDB's MERGE/ON CONFLICT update of
-- 576k rows took ~65 s; delete + insert takes ~15 s): drop every stored row that a
-- staged retrieval replaces (retrieval_wins). Returns the number deleted (= updated).
DELETE FROM reddit_submissions AS t
USING staging_reddit_submissions AS s
WHERE s.reject_reason IS NULL AND t.id = s.id
    AND retrieval_wins(s.retrieved_at, s.ingested_at, t.retrieved_at, t.ingested_at);
