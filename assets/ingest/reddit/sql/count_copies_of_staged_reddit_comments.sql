-- Rows beyond one per id among the ids just merged: 0 unless the merge is broken.
SELECT count(*) - count(DISTINCT id) FROM reddit_comments
WHERE id IN (SELECT id FROM staging_reddit_comments WHERE reject_reason IS NULL);
