-- Each question with the first question rule that removes it (NULL = kept so far).
CREATE OR REPLACE TEMP TABLE se_pair_questions AS
SELECT site, id, accepted_answer_id, owner_user_id,
       CASE
           WHEN len($sites) > 0 AND NOT list_contains($sites, lower(site)) THEN 'site'
           WHEN score IS NULL OR score < $min_question_score THEN 'question_score'
           WHEN $drop_closed AND closed_date IS NOT NULL THEN 'closed'
           WHEN $drop_community_wiki AND community_owned_date IS NOT NULL THEN 'question_wiki'
           WHEN $drop_deleted_owner AND owner_user_id IS NULL THEN 'question_deleted_owner'
           WHEN title IS NULL OR NOT has_visible_text(title) THEN 'question_empty'
       END AS removed_by
FROM se_posts
WHERE post_type_id = 1;
