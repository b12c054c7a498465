DROP TABLE IF EXISTS temp.matched_pairs
