DELETE FROM stackexchange_pairs;
