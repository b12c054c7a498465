-- The earlier rejects of the files just ingested: a re-ingest's rejects replace them.
DELETE FROM ingest_rejects WHERE list_contains($sources, source);
