-- The build's scratch tables (temp: this connection only).
DROP TABLE IF EXISTS single_candidates;
DROP TABLE IF EXISTS pair_comments;
DROP TABLE IF EXISTS pair_posts;
