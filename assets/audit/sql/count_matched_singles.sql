-- How many distinct frozen singles are of the comment ($comment) or by the author ($author).
SELECT count(DISTINCT single_id)
FROM snapshot_singles
WHERE comment_id = $comment OR lower(author) = $author OR lower(post_author) = $author
