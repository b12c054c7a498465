-- One batch of normalised rows; `batch` is an Arrow table registered by the caller.
INSERT INTO staging_reddit_submissions BY NAME SELECT * FROM batch;
