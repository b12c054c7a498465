-- Every frozen pair (one row per snapshot) of a subreddit; names are case-insensitive.
SELECT * FROM audited_snapshot_pairs WHERE lower(subreddit) = lower($value)
