-- Author requests are stored lowercased (Reddit names are case-insensitive; audit.normalise);
-- an older warehouse may hold other spellings, which would count a pair once per spelling.
-- Keep the first request of each name, lowercased. Nothing to do once they are.
DELETE FROM forget_requests AS f
WHERE f.kind = 'author' AND EXISTS (
    SELECT 1 FROM forget_requests AS g
    WHERE g.kind = 'author' AND lower(g.value) = lower(f.value) AND g.value <> f.value
      AND (g.requested_at < f.requested_at OR (g.requested_at = f.requested_at AND g.value < f.value)));
UPDATE forget_requests SET value = lower(value) WHERE kind = 'author' AND value <> lower(value);
