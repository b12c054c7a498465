-- Empty the staging table once its rows are merged.
DELETE FROM staging_reddit_submissions;
