-- Idempotent: a repeated request keeps the first one's time and reason; RETURNING gives a
-- row only when the request is new.
INSERT INTO forget_requests (kind, value, reason)
VALUES ($kind, $value, $reason)
ON CONFLICT (kind, value) DO NOTHING
RETURNING requested_at
