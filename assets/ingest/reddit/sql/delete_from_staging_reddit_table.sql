-- Empty the staging table once its rows are merged.
-- {reddit_table}: reddit_comments or reddit_submissions, filled in from rows.TABLES only.
DELETE FROM staging_{reddit_table};
