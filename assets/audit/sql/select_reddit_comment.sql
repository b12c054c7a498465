SELECT id, post_id, subreddit, author, score, created_utc, source, source_line
FROM reddit_comments
WHERE id = $id
