-- The current singles less every one that used a forgotten comment or author (the reply's
-- or the post's, whose text is the prompt; in any case), in single-id order.
SELECT s.*
FROM preference_singles AS s
WHERE NOT EXISTS (
    SELECT 1 FROM forget_requests AS f
    WHERE (f.kind = 'comment' AND f.value = s.comment_id)
       OR (f.kind = 'author' AND lower(f.value) IN (lower(s.author), lower(s.post_author)))
)
ORDER BY s.single_id
