-- The build's scratch tables (temp: this connection only).
DROP TABLE IF EXISTS pair_selection;
DROP TABLE IF EXISTS pair_texts;
DROP TABLE IF EXISTS pair_candidates;
DROP TABLE IF EXISTS pair_comments;
DROP TABLE IF EXISTS pair_posts;
