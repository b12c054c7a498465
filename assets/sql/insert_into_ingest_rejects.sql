-- One batch of rejected lines; `batch` is an Arrow table registered by the caller.
INSERT INTO ingest_rejects (source, line, kind, reason, raw)
SELECT source, line, kind, reason, raw FROM batch;
