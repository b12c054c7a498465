-- Top-level comments (the only ones that can pair) and the rest (replies, or no
-- parent), which are skipped and not counted as candidates.
SELECT count(*) FILTER (WHERE parent_id = 't3_' || post_id) AS top_level,
       count(*) FILTER (WHERE parent_id IS DISTINCT FROM 't3_' || post_id) AS skipped
FROM reddit_comments;
