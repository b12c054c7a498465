-- The Stack Exchange build replaces its own rows of the one pair table, no other source's.
DELETE FROM preference_pairs WHERE source = 'stackexchange';
