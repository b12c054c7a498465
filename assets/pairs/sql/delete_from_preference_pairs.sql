-- A pairs build is a full rebuild of the Reddit pairs (inside the build's transaction); the
-- other sources' pairs stay.
DELETE FROM preference_pairs WHERE source = 'reddit';
