-- Rows staged and distinct ids among them (the difference: copies superseded in-source).
-- count(DISTINCT id) forces a real scan, so a lost append shows up as a mismatch.
SELECT count(*), count(DISTINCT id) FROM staging_reddit_comments;
