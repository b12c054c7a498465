-- matched_pairs, the rows the audit's next queries read (temporary: a read-only connection
-- can hold it, and each connection has its own):
-- Every frozen copy (one per snapshot) of a pair.
CREATE OR REPLACE TEMP TABLE matched_pairs AS
SELECT * FROM audited_snapshot_pairs WHERE pair_id = $value
