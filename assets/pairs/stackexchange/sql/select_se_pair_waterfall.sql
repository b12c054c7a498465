-- Candidate pairs per site and the rule that removed each (NULL: kept by the rules).
SELECT site, removed_by, count(*) FROM se_pair_candidates GROUP BY ALL;
