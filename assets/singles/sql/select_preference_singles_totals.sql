-- Totals of the freshly built table, per subreddit, split and label.
SELECT subreddit, split, label, count(*) AS singles
FROM preference_singles
GROUP BY ALL;
