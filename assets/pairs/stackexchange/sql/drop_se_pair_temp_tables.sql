DROP TABLE IF EXISTS se_pair_scores;
DROP TABLE IF EXISTS se_pair_questions;
DROP TABLE IF EXISTS se_pair_answers;
DROP TABLE IF EXISTS se_pair_candidates;
