-- One row: for each blocking check, how many of the checked pairs break it. The caller names
-- them checked_pairs: preference_pairs for the asset's checks, or the selection a snapshot
-- is about to freeze.
SELECT
    count(*) FILTER (WHERE chosen_score <= rejected_score)                  AS chosen_scored_higher,
    count(*) FILTER (WHERE $later_must_win
                       AND chosen_created_utc <= rejected_created_utc)      AS chosen_written_later,
    count(*) FILTER (WHERE chosen_id = rejected_id)                         AS no_self_pairs,
    count(*) FILTER (WHERE NOT (has_visible_text(prompt) AND has_visible_text(chosen)
                                AND has_visible_text(rejected)))            AS no_empty_text,
    count(*) - count(DISTINCT pair_id)                                      AS unique_pair_ids,
    (SELECT count(*) FROM (
        SELECT post_id FROM checked_pairs
        GROUP BY post_id HAVING count(DISTINCT split) > 1))                 AS no_post_in_both_splits
FROM checked_pairs
