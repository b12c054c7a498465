-- What CC BY-SA asks of each Stack Exchange pair the snapshot ships: links to the question
-- and both answers, each author's display name and profile link, each post's licence.
SELECT sp.pair_id, sp.community AS site, sp.question_url, sp.chosen_url, sp.rejected_url,
       sp.post_author, 'https://' || sp.community || '/users/' || sp.post_author_id AS post_author_url,
       sp.chosen_author, 'https://' || sp.community || '/users/' || sp.chosen_author_id AS chosen_author_url,
       sp.rejected_author, 'https://' || sp.community || '/users/' || sp.rejected_author_id AS rejected_author_url,
       sp.post_license, sp.chosen_license, sp.rejected_license
FROM snapshot_source_pairs AS s
JOIN stackexchange_pairs AS sp USING (pair_id)
WHERE s.source = 'stackexchange'
ORDER BY sp.pair_id;
