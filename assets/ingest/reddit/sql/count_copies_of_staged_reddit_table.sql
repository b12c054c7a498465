-- Rows beyond one per id among the ids just merged: 0 unless the merge is broken.
-- {reddit_table}: reddit_comments or reddit_submissions, filled in from rows.TABLES only.
SELECT count(*) - count(DISTINCT id) FROM {reddit_table}
WHERE id IN (SELECT id FROM staging_{reddit_table} WHERE reject_reason IS NULL);
