-- Temporary (per connection, so a read-only warehouse allows it): every frozen pair with
-- the forget requests that now exclude it, as "comment:<id>" / "author:<name>" joined by
-- ", " (NULL when none). Same rule as select_snapshot_pairs.sql (authors of either comment
-- or of the post, in any case); five equality joins because an OR join on forget_requests
-- would compare every pair with every request.
CREATE OR REPLACE TEMP VIEW audited_snapshot_pairs AS
SELECT sp.*,
       nullif(concat_ws(', ',
           'comment:' || chosen_comment.value, 'comment:' || rejected_comment.value,
           'author:' || chosen_author.value, 'author:' || rejected_author.value,
           'author:' || post_author.value), '') AS forgotten_by
FROM snapshot_pairs AS sp
LEFT JOIN forget_requests AS chosen_comment
    ON chosen_comment.kind = 'comment' AND chosen_comment.value = sp.chosen_id
LEFT JOIN forget_requests AS rejected_comment
    ON rejected_comment.kind = 'comment' AND rejected_comment.value = sp.rejected_id
LEFT JOIN forget_requests AS chosen_author
    ON chosen_author.kind = 'author' AND lower(chosen_author.value) = lower(sp.chosen_author)
LEFT JOIN forget_requests AS rejected_author
    ON rejected_author.kind = 'author' AND lower(rejected_author.value) = lower(sp.rejected_author)
LEFT JOIN forget_requests AS post_author
    ON post_author.kind = 'author' AND lower(post_author.value) = lower(sp.post_author);
