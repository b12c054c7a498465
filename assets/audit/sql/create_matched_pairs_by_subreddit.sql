-- matched_pairs, the rows the audit's next queries read (temporary: a read-only connection
-- can hold it, and each connection has its own):
-- Every frozen pair (one row per snapshot) of a subreddit; names are case-insensitive.
CREATE OR REPLACE TEMP TABLE matched_pairs AS
SELECT * FROM audited_snapshot_pairs WHERE lower(subreddit) = lower($value)
