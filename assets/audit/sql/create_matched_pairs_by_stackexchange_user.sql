-- matched_pairs, the rows the audit's next queries read (temporary: a read-only connection
-- can hold it, and each connection has its own):
-- Every frozen pair (one row per snapshot) with an answer or the question by a Stack Exchange
-- user ("<site>:<user id>"), found by the owner of each post in se_posts.
CREATE OR REPLACE TEMP TABLE matched_pairs AS
WITH authored AS (
    SELECT site || ':' || id AS post
    FROM se_posts
    WHERE site = split_part($value, ':', 1) AND owner_user_id = try_cast(split_part($value, ':', 2) AS BIGINT)
)
SELECT * FROM audited_snapshot_pairs WHERE chosen_id IN (SELECT post FROM authored)
UNION
SELECT * FROM audited_snapshot_pairs WHERE rejected_id IN (SELECT post FROM authored)
UNION
SELECT * FROM audited_snapshot_pairs WHERE source = 'stackexchange' AND post_id IN (SELECT post FROM authored)
