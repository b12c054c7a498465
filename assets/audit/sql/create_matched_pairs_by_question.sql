-- matched_pairs, the rows the audit's next queries read (temporary: a read-only connection
-- can hold it, and each connection has its own):
-- Every frozen pair (one row per snapshot) under a Stack Exchange question ("<site>:<id>").
CREATE OR REPLACE TEMP TABLE matched_pairs AS
SELECT * FROM audited_snapshot_pairs WHERE source = 'stackexchange' AND post_id = $value
