-- matched_pairs, the rows the audit's next queries read (temporary: a read-only connection
-- can hold it, and each connection has its own):
-- Every frozen pair (one row per snapshot) with an author on either side or of the post,
-- whose text is the prompt (UNION: once when they wrote more than one); names are
-- case-insensitive, as on Reddit. Three equality filters rather than an IN, so each can use
-- its index (on the lowercased name).
CREATE OR REPLACE TEMP TABLE matched_pairs AS
SELECT * FROM audited_snapshot_pairs WHERE lower(chosen_author) = lower($value)
UNION
SELECT * FROM audited_snapshot_pairs WHERE lower(rejected_author) = lower($value)
UNION
SELECT * FROM audited_snapshot_pairs WHERE lower(post_author) = lower($value)
