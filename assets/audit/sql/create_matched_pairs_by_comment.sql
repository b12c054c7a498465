-- matched_pairs, the rows the audit's next queries read (temporary: a read-only connection
-- can hold it, and each connection has its own):
-- Every frozen pair (one row per snapshot) with a comment on either side. Two equality
-- filters rather than an IN, so each can use its index.
CREATE OR REPLACE TEMP TABLE matched_pairs AS
SELECT * FROM audited_snapshot_pairs WHERE chosen_id = $value
UNION
SELECT * FROM audited_snapshot_pairs WHERE rejected_id = $value
