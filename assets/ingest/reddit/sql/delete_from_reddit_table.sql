-- First half of the upsert of a staged partition (delete + insert: DuckDB's MERGE/ON CONFLICT
-- update is several times slower on a large partition): drop every stored row that a staged
-- retrieval replaces (retrieval_wins). Returns the number deleted (= updated).
-- {reddit_table}: reddit_comments or reddit_submissions, filled in from rows.TABLES only.
DELETE FROM {reddit_table} AS t
USING staging_{reddit_table} AS s
WHERE s.reject_reason IS NULL AND t.id = s.id
    AND retrieval_wins(s.retrieved_at, s.ingested_at, t.retrieved_at, t.ingested_at);
