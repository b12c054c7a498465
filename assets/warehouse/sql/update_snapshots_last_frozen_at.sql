-- Once, when snapshots.last_frozen_at is added to an older warehouse: each snapshot was last
-- frozen when it was made, as far as the warehouse knows.
UPDATE snapshots SET last_frozen_at = created_at WHERE last_frozen_at IS NULL;
