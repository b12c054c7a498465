"""Reddit: archive dumps (zstd NDJSON) and live praw fetches, written by one row writer."""
