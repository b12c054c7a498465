-- Lines staged since the last merge, the rows among them, their distinct ids (the
-- difference: copies superseded in-source) and the rejects by reason. count(DISTINCT id)
-- forces a real scan, so a lost append shows up as a mismatch.
-- {reddit_table}: reddit_comments or reddit_submissions, filled in from rows.TABLES only.
SELECT count(*), count(*) FILTER (WHERE reject_reason IS NULL),
    count(DISTINCT id) FILTER (WHERE reject_reason IS NULL),
    map_entries(histogram(reject_reason) FILTER (WHERE reject_reason IS NOT NULL))
FROM staging_{reddit_table};
