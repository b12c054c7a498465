-- The stored submissions of one subreddit created in a live window [start, end), newest first
-- as the listing walks them: what a live run fetches again by id when the listing no longer
-- reaches them (Reddit's listings stop near 1000 posts, and a matured day lies days deep).
SELECT id FROM reddit_submissions
WHERE lower(subreddit) = lower($subreddit) AND created_utc >= $start AND created_utc < $end
ORDER BY created_utc DESC, id;
