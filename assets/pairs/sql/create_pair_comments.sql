-- Every top-level comment with the first rule (in waterfall order) that removes it;
-- removed_by NULL = the comment can be in a pair. Post-level rules come first, so every
-- comment of a removed post carries that post's rule. An empty body is one without a
-- visible character (has_visible_text, warehouse/migrations/0001_initial.sql) once decoded as it
-- reads on Reddit (reddit_text). A score age (migration 0004) that is unknown passes
-- score_age unless $drop_unknown_score_age: it is never compared with the limit.
CREATE OR REPLACE TEMP TABLE pair_comments AS
SELECT c.id,
       c.post_id,
       coalesce(p.subreddit, c.subreddit, '(unknown)') AS subreddit,
       c.author,
       c.body,
       c.score,
       c.created_utc,
       c.score_age_s,
       CASE
           WHEN p.id IS NULL OR NOT has_visible_text(p.prompt) THEN 'post_missing'
           WHEN len($subreddits) > 0
                AND NOT list_contains($subreddits, lower(coalesce(p.subreddit, c.subreddit))) THEN 'subreddit'
           WHEN $drop_nsfw AND coalesce(p.over_18, false) THEN 'nsfw'
           WHEN p.score IS NULL OR p.score < $min_post_score THEN 'post_score'
           WHEN c.body IS NULL OR NOT has_visible_text(c.body) OR c.created_utc IS NULL
                OR ($drop_deleted AND (c.author IS NULL OR c.author = '[deleted]'
                                       OR c.body IN ('[deleted]', '[removed]'))) THEN 'deleted'
           WHEN list_contains($bot_authors, lower(c.author)) THEN 'bot_author'
           WHEN $drop_moderator_distinguished AND c.distinguished = 'moderator' THEN 'moderator'
           WHEN $drop_post_author AND c.author = p.author THEN 'post_author'
           WHEN $drop_stickied AND coalesce(c.stickied, false) THEN 'stickied'
           WHEN $drop_score_hidden AND coalesce(c.score_hidden, false) THEN 'score_hidden'
           WHEN $drop_unknown_score_age AND c.score_age_s IS NULL THEN 'score_age_unknown'
           WHEN c.score_age_s < $min_score_age_s THEN 'score_age'
           WHEN $drop_edited AND coalesce(c.edited, false) THEN 'edited'
           WHEN $max_comment_chars > 0 AND length(c.body) > $max_comment_chars THEN 'comment_length'
           WHEN c.score IS NULL OR c.score < $min_comment_score THEN 'comment_score'
       END AS removed_by
FROM (SELECT * REPLACE (reddit_text(body) AS body) FROM reddit_comments) AS c
LEFT JOIN pair_posts AS p ON p.id = c.post_id
WHERE c.parent_id = 't3_' || c.post_id;
